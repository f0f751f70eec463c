// Small pieces of page building the portal's pages share: elements, copying, confirming,
// and local times.
export const $ = (id) => document.getElementById(id);

/** The text at `path` ("page.signIn.title") in `texts`; a function gets `slots` ("{link}").
 *  The path itself when there is no such text, so that a missing one shows. */
function textAt(texts, path, slots) {
  const value = path.split('.').reduce((node, key) => node?.[key], texts);
  if (typeof value === 'function') return value(...slots.map((name) => `{${name}}`));
  return typeof value === 'string' ? value : path;
}

/** Fills the texts the HTML names below `root` from `texts`: data-text="path" sets an
 *  element's text, data-text-label="path" its aria-label. Child elements marked
 *  data-slot="name" stay, at the place of "{name}" in the text (a link inside a sentence). */
export function applyTexts(texts, root = document) {
  for (const node of root.querySelectorAll('[data-text]')) {
    const slots = [...node.children].filter((child) => child.dataset.slot);
    const text = textAt(texts, node.dataset.text, slots.map((slot) => slot.dataset.slot));
    if (!slots.length) {
      node.textContent = text;
      continue;
    }
    const byName = new Map(slots.map((slot) => [slot.dataset.slot, slot]));
    node.replaceChildren(...text.split(/\{(\w+)\}/).map((part, i) => (i % 2 ? byName.get(part) ?? `{${part}}` : part)));
  }
  for (const node of root.querySelectorAll('[data-text-label]'))
    node.setAttribute('aria-label', textAt(texts, node.dataset.textLabel, []));
}

/** A <button type="button"> with `label`, calling `handler`; `accessibleName` when the
 *  visible label alone would be ambiguous in a list. */
export function button(label, handler, { className, accessibleName } = {}) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  if (className) element.className = className;
  if (accessibleName) element.setAttribute('aria-label', accessibleName);
  element.addEventListener('click', handler);
  return element;
}

export function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** Copies `text`; resolves true when it worked. Falls back to selecting `input` so the
 *  person can copy it themselves. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.focus();
      input.select();
    }
    return false;
  }
}

/** Asks with the page's confirm dialog; resolves true for yes. Focus returns where it was. */
export function confirmAction({ title, text, confirm }) {
  const dialog = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-yes').textContent = confirm;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      opener?.focus?.();
      resolve(dialog.returnValue === 'yes');
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-no').focus();
  });
}

/** The person's own time zone, as the browser knows it (e.g. "Europe/Berlin"). */
export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
});
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** An ISO time shown in the person's time zone. */
export const localDateTime = (iso) => dateTimeFormat.format(new Date(iso));
export const localTime = (iso) => timeFormat.format(new Date(iso));

/** A time range: the end without its date when both fall on the same day. */
export function localRange(startIso, endIso) {
  const start = new Date(startIso);
  const end = new Date(endIso);
  const sameDay = start.toDateString() === end.toDateString();
  return [localDateTime(startIso), sameDay ? localTime(endIso) : localDateTime(endIso)];
}

/** The value of a datetime-local input (local wall time) for an ISO time. */
export function toLocalInput(iso) {
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The ISO UTC time of a datetime-local input's value (read in the person's time zone). */
export function fromLocalInput(value) {
  if (!value) return '';
  const date = new Date(value); // a date-time without offset is local time
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
