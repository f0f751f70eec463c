// Audit log: filter by who, what, outcome and time, paged on the server; check the chain
// (and show the first altered entry); export CSV or JSON lines with the head hash; and check
// an exported copy against the server.
import { call } from './api.js';
import { $, element, fromLocalInput } from './dom.js';
import { explain, say } from './admin.js';
import { texts } from './admin-texts.js';
import { preciseTime } from './admin-format.js';
import { PER_PAGE, Pager, query } from './admin-pager.js';

let pager = null;

function filters() {
  return {
    actor: $('audit-actor').value.trim(),
    action: $('audit-action').value.trim(),
    outcome: $('audit-outcome').value,
    from: fromLocalInput($('audit-from').value),
    to: fromLocalInput($('audit-to').value),
  };
}

/** A detail's value as words: "from → to" for a change, "a, b" for a list, "k v" pairs. */
function valueText(value) {
  if (value === null || value === undefined || value === '') return texts.audit.empty;
  if (Array.isArray(value)) return value.map(valueText).join(', ');
  if (typeof value === 'object') {
    if ('from' in value && 'to' in value) return texts.audit.change(valueText(value.from), valueText(value.to));
    return Object.entries(value).map(([key, inner]) => `${key} ${valueText(inner)}`).join(', ');
  }
  return String(value);
}

function detailsText(details) {
  if (!details || typeof details !== 'object') return details ? String(details) : texts.audit.noDetails;
  return Object.entries(details).map(([key, value]) => `${key}: ${valueText(value)}`).join('; ');
}

function entryRow(entry) {
  const tr = element('tr', undefined, entry.outcome === 'failure' ? 'failure' : '');
  tr.dataset.seq = entry.seq;
  const who = entry.sourceAddress ? `${entry.actor} (${entry.sourceAddress})` : entry.actor;
  for (const text of [preciseTime(entry.time), who, entry.action, entry.target ?? '',
    texts.audit.outcome[entry.outcome] ?? entry.outcome, detailsText(entry.details)])
    tr.append(element('td', text));
  return tr;
}

function exportLinks() {
  const current = filters();
  $('audit-export-csv').href = `/api/v1/audit/export?${query({ format: 'csv', ...current })}`;
  $('audit-export-jsonl').href = `/api/v1/audit/export?${query({ format: 'jsonl', ...current })}`;
}

/** Loads `page`, or with `latest` the last page (the newest entries; the log is oldest first). */
async function load(page, { latest = false } = {}) {
  try {
    exportLinks();
    const fetchPage = (number) => call('GET', `/api/v1/audit?${query({ ...filters(), page: number, per_page: PER_PAGE })}`);
    let result = await fetchPage(page);
    const last = Math.max(1, Math.ceil((result.total ?? 0) / PER_PAGE));
    if (latest && last > page) {
      page = last;
      result = await fetchPage(last);
    }
    pager.showRows(result.entries, entryRow, result, page);
  } catch (error) {
    say(explain(error));
  }
}

async function verify() {
  const line = $('audit-verify-result');
  line.className = 'state-line';
  line.textContent = texts.audit.verifying;
  try {
    const result = await call('GET', '/api/v1/audit/verify');
    line.textContent = result.ok ? texts.audit.intact(result.entriesChecked)
      : texts.audit.broken(result.firstBadSeq, result.problem);
    line.className = `state-line ${result.ok ? 'good' : 'bad'}`;
  } catch (error) {
    line.textContent = explain(error);
  }
  say(line.textContent);
}

async function checkExport(event) {
  event.preventDefault();
  const line = $('audit-check-result');
  line.className = 'state-line';
  const file = $('audit-check-file').files[0];
  if (!file) {
    line.textContent = texts.audit.needFile;
    $('audit-check-file').focus();
    return;
  }
  line.textContent = texts.audit.checking;
  try {
    const contentType = file.name.endsWith('.csv') ? 'text/csv' : 'application/jsonl';
    const result = await call('POST', '/api/v1/audit/verify-export', await file.text(), { contentType });
    // `ok` holds when the chain is intact and every entry is in this server's log as it is.
    const sentences = [result.ok ? texts.audit.fileOk(result.entries) : texts.audit.fileBad(result.firstBadSeq, result.problem)];
    if (result.ok || result.chainIntact) sentences.push(result.matchesServer ? texts.audit.matches : texts.audit.doesNotMatch);
    if (result.head) sentences.push(texts.audit.head(result.head.seq, preciseTime(result.head.exportedAt)));
    line.textContent = sentences.join(' ');
    line.className = `state-line ${result.ok ? 'good' : 'bad'}`;
  } catch (error) {
    line.textContent = error.code === 'invalid_export' ? texts.audit.notAnExport : explain(error);
    line.className = 'state-line bad';
  }
  say(line.textContent);
}

export async function show() {
  if (!pager) {
    pager = new Pager('audit', load, { latest: true });
    $('audit-clear').addEventListener('click', () => {
      $('audit-search').reset();
      load(1, { latest: true });
    });
    $('audit-verify').addEventListener('click', verify);
    $('audit-check-form').addEventListener('submit', checkExport);
  }
  await load(1, { latest: true });
}
