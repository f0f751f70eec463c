// Small pieces of page building the portal's pages share: elements, copying, confirming,
// and local times.
export const $ = (id) => document.getElementById(id);

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
