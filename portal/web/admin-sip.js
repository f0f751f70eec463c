// Phones and room systems (SIP): whether dialling in is on and how devices call, the calls
// now and what was refused; the devices with an account (their registration, when their
// password was set); add one (Parley makes its password, shown once), rename it, make it a
// new password, delete it (its call hangs up).
import { call } from './api.js';
import { $, button, confirmAction, element } from './dom.js';
import { copyAndSay, explain, keepFocus, say } from './admin.js';
import { texts } from './admin-texts.js';
import { dateTime, duration } from './admin-format.js';

let wired = false;
let status = { enabled: false };
let editing = null; // the endpoint being renamed, or null when adding one

const nameOf = (endpoint) => endpoint.displayName || endpoint.username;

function sipError(error) {
  switch (error.code) {
    case 'endpoint_exists': return texts.sip.taken;
    case 'sip_disabled': return texts.sip.sipOff;
    default: return explain(error);
  }
}

function fillStatus() {
  $('sip-state').textContent = status.enabled ? texts.sip.on(status.port) : texts.sip.off;
  $('sip-facts').hidden = !status.enabled;
  $('sip-new').disabled = !status.enabled;
  if (!status.enabled) return;
  $('sip-how').textContent = texts.sip.how(window.location.hostname, status.port);
  $('sip-port').textContent = String(status.port);
  $('sip-realm').textContent = status.realm;
  $('sip-guests').textContent = status.allowGuests ? texts.sip.guestsAllowed : texts.sip.guestsRefused;
  $('sip-calls').textContent = String(status.activeCalls);
  $('sip-rekey').textContent = status.rekeySeconds === 0
    ? texts.sip.rekeyOff(status.rekeys)
    : texts.sip.rekey(duration(status.rekeySeconds), status.rekeys, status.rekeyFailures, status.rekeysNotTaken);
  const refusals = Object.entries(status.refusals ?? {});
  $('sip-refusals').textContent = refusals.length
    ? refusals.map(([reason, count]) => texts.sip.refusal(reason, count)).join('; ')
    : texts.sip.noRefusals;
}

function showPassword(endpoint, password) {
  $('sip-password-text').textContent = texts.sip.passwordFor(nameOf(endpoint));
  $('sip-password-username').textContent = endpoint.username;
  $('sip-password-realm').textContent = status.realm ?? '';
  $('sip-password').value = password;
  $('sip-password-dialog').showModal();
  $('sip-password').select();
}

function openDialog(endpoint) {
  editing = endpoint;
  $('sip-form').reset();
  $('sip-error').textContent = '';
  $('sip-dialog-title').textContent = endpoint ? texts.sip.changeTitle(nameOf(endpoint)) : texts.sip.newTitle;
  $('sip-new-fields').hidden = Boolean(endpoint);
  $('sip-display-name').value = endpoint?.displayName ?? '';
  $('sip-dialog').showModal();
  (endpoint ? $('sip-display-name') : $('sip-username')).focus();
}

async function onSave(event) {
  event.preventDefault();
  const displayName = $('sip-display-name').value.trim();
  const fail = (text, field) => {
    $('sip-error').textContent = text;
    field.focus();
  };
  try {
    if (editing) {
      if (!displayName) return fail(texts.sip.needName, $('sip-display-name'));
      await call('PATCH', `/api/v1/admin/sip/endpoints/${encodeURIComponent(editing.username)}`, { displayName });
      $('sip-dialog').close();
      say(texts.sip.changed(displayName));
      await load();
      return;
    }
    const username = $('sip-username').value.trim();
    if (!username) return fail(texts.sip.needUsername, $('sip-username'));
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(username)) return fail(texts.sip.badUsername, $('sip-username'));
    if (!displayName) return fail(texts.sip.needName, $('sip-display-name'));
    const created = await call('POST', '/api/v1/admin/sip/endpoints', { username, displayName });
    $('sip-dialog').close();
    say(texts.sip.created(displayName));
    await load();
    showPassword(created, created.password);
  } catch (error) {
    $('sip-error').textContent = sipError(error);
  }
}

async function newPassword(endpoint) {
  const yes = await confirmAction({ title: texts.sip.resetTitle(nameOf(endpoint)), text: texts.sip.resetText,
    confirm: texts.sip.resetConfirm });
  if (!yes) return;
  try {
    const changed = await call('PATCH', `/api/v1/admin/sip/endpoints/${encodeURIComponent(endpoint.username)}`,
      { newPassword: true });
    await load();
    showPassword(changed, changed.password);
  } catch (error) {
    say(sipError(error));
  }
}

async function remove(endpoint) {
  const yes = await confirmAction({ title: texts.sip.deleteTitle(nameOf(endpoint)), text: texts.sip.deleteText,
    confirm: texts.sip.deleteConfirm });
  if (!yes) return;
  try {
    await call('DELETE', `/api/v1/admin/sip/endpoints/${encodeURIComponent(endpoint.username)}`);
    say(texts.sip.deleted(nameOf(endpoint)));
    await load();
  } catch (error) {
    say(sipError(error));
  }
}

function endpointRow(endpoint) {
  const tr = element('tr');
  tr.dataset.endpoint = endpoint.username;
  const registration = endpoint.registration
    ? texts.sip.registeredFrom(endpoint.registration.address, dateTime(endpoint.registration.expiresAt))
    : texts.sip.notRegistered;
  const password = endpoint.credentialsCurrent || !status.enabled
    ? texts.sip.passwordSet(dateTime(endpoint.passwordChangedAt))
    : texts.sip.passwordStale;
  tr.append(element('td', endpoint.displayName), element('td', endpoint.username, 'code'), element('td', registration),
    element('td', password, endpoint.credentialsCurrent || !status.enabled ? '' : 'warning'));
  const actions = element('td');
  const key = (what) => `${what}-${endpoint.username}`;
  const rename = button(texts.sip.change, () => openDialog(endpoint), { accessibleName: texts.sip.changeLabel(nameOf(endpoint)) });
  rename.dataset.key = key('rename');
  const reset = button(texts.sip.reset, () => newPassword(endpoint), { accessibleName: texts.sip.resetLabel(nameOf(endpoint)) });
  reset.dataset.key = key('reset');
  reset.disabled = !status.enabled;
  const del = button(texts.sip.delete, () => remove(endpoint), { className: 'danger', accessibleName: texts.sip.deleteLabel(nameOf(endpoint)) });
  del.dataset.key = key('delete');
  actions.append(rename, reset, del);
  tr.append(actions);
  return tr;
}

async function load() {
  const [state, list] = await Promise.all([call('GET', '/api/v1/admin/sip'), call('GET', '/api/v1/admin/sip/endpoints')]);
  status = state;
  fillStatus();
  keepFocus(() => {
    $('sip-rows').replaceChildren(...list.endpoints.map(endpointRow));
    $('sip-empty').hidden = list.endpoints.length > 0;
    $('sip-table').hidden = list.endpoints.length === 0;
  }, 'sip-title');
}

export async function show() {
  if (!wired) {
    wired = true;
    $('sip-new').addEventListener('click', () => openDialog(null));
    $('sip-form').addEventListener('submit', onSave);
    $('sip-cancel').addEventListener('click', () => $('sip-dialog').close());
    $('sip-password-copy').addEventListener('click', () => copyAndSay($('sip-password').value, $('sip-password')));
    // The password is shown once: it leaves the page when the dialog closes.
    $('sip-password-dialog').addEventListener('close', () => { $('sip-password').value = ''; });
    $('sip-password-close').addEventListener('click', () => $('sip-password-dialog').close());
  }
  await load();
}
