// A table paged on the server with a search box: the section's form (id "<name>-search"),
// its "<name>-prev" / "<name>-next" buttons and "<name>-info" line. The section loads a page
// with `load(page)` and shows what it got with `showRows` (its "<name>-rows" table body,
// "<name>-table", "<name>-empty" line and "<name>-title" heading).
import { $ } from './dom.js';
import { keepFocus } from './admin.js';
import { texts } from './admin-texts.js';

export const PER_PAGE = 25;

export class Pager {
  /** `load(page, options)` fetches and shows that page (1-based); it is called on search and
   *  paging. With `latest`, a new search shows the last page (for a log kept oldest first). */
  constructor(name, load, { latest = false } = {}) {
    this.name = name;
    this.page = 1;
    this.pages = 1;
    this.load = load;
    $(`${name}-search`).addEventListener('submit', (event) => {
      event.preventDefault();
      this.load(1, { latest });
    });
    $(`${name}-prev`).addEventListener('click', () => this.go(this.page - 1));
    $(`${name}-next`).addEventListener('click', () => this.go(this.page + 1));
  }

  go(page) {
    return this.load(Math.max(1, Math.min(page, this.pages)));
  }

  reload() {
    return this.load(this.page);
  }

  /** Shows `items` as the table's rows (made by `rowOf`), or the empty line instead of the
   *  table, keeping keyboard focus on the same control (else on the heading); then records
   *  the page and total the server reported in `result` (`page` when it says none). */
  showRows(items, rowOf, result, page) {
    keepFocus(() => {
      $(`${this.name}-rows`).replaceChildren(...items.map(rowOf));
      $(`${this.name}-empty`).hidden = items.length > 0;
      $(`${this.name}-table`).hidden = items.length === 0;
    }, `${this.name}-title`);
    this.shown(result.page ?? page, result.perPage ?? PER_PAGE, result.total ?? items.length);
  }

  /** Records the page shown and the total the server reported; sets the buttons and line. */
  shown(page, perPage, total) {
    this.page = page;
    this.pages = Math.max(1, Math.ceil(total / perPage));
    $(`${this.name}-prev`).disabled = page <= 1;
    $(`${this.name}-next`).disabled = page >= this.pages;
    $(`${this.name}-info`).textContent = texts.pageInfo(page, this.pages, total.toLocaleString());
  }
}

/** The query string of `params`, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== '' && value !== undefined && value !== null) search.set(key, String(value));
  return search.toString();
}
