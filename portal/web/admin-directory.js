// Directory (LDAP): the settings as a form (saved and in force at once, or given back to the
// configuration file), and the step-by-step test of what is in the form, each step with the
// server's message.
import { call } from './api.js';
import { $, confirmAction, element } from './dom.js';
import { explain, say } from './admin.js';
import { texts } from './admin-texts.js';

let wired = false;
let stored = null; // the settings as the server has them

const lines = (text) => text.split('\n').map((line) => line.trim()).filter(Boolean);

/** Form field ids and the setting each holds; `list` fields hold one value per line. */
const fields = [
  ['dir-enabled', 'enabled', 'switch'],
  ['dir-uris', 'uris', 'list'],
  ['dir-ca-file', 'caFile'],
  ['dir-verify', 'verifyCertificate', 'switch'],
  ['dir-allow-plain', 'allowPlain', 'switch'],
  ['dir-network-timeout', 'networkTimeoutSeconds', 'number'],
  ['dir-operation-timeout', 'operationTimeoutSeconds', 'number'],
  ['dir-bind-dn', 'bindDn'],
  ['dir-user-base', 'userBase'],
  ['dir-user-filter', 'userFilter'],
  ['dir-login-attribute', 'loginAttribute'],
  ['dir-name-attribute', 'displayNameAttribute'],
  ['dir-mail-attribute', 'mailAttribute'],
  ['dir-group-mode', 'groupMode'],
  ['dir-group-base', 'groupBase'],
  ['dir-group-filter', 'groupFilter'],
  ['dir-admin-groups', 'adminGroups', 'list'],
  ['dir-auditor-groups', 'auditorGroups', 'list'],
  ['dir-user-groups', 'userGroups', 'list'],
];

function fill({ source, settings }) {
  stored = settings;
  $('directory-source').textContent = source === 'admin_api' ? texts.directory.fromConsole : texts.directory.fromFile;
  $('directory-revert').hidden = source !== 'admin_api';
  for (const [id, key, kind] of fields) {
    const value = settings[key];
    if (kind === 'switch') $(id).checked = Boolean(value);
    else if (kind === 'list') $(id).value = (value ?? []).join('\n');
    else $(id).value = value ?? '';
  }
  $('dir-bind-password').value = '';
  $('dir-bind-password-hint').textContent = settings.bindPasswordSet ? texts.directory.passwordSet : texts.directory.passwordNotSet;
}

/** The form's values that differ from the stored settings (the password when typed). */
function changes() {
  const changed = {};
  for (const [id, key, kind] of fields) {
    let value;
    if (kind === 'switch') value = $(id).checked;
    else if (kind === 'list') value = lines($(id).value);
    else if (kind === 'number') value = $(id).value === '' ? undefined : Number($(id).value);
    else value = $(id).value.trim();
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(stored?.[key])) changed[key] = value;
  }
  if ($('dir-bind-password').value) changed.bindPassword = $('dir-bind-password').value;
  return changed;
}

async function onSave(event) {
  event.preventDefault();
  $('directory-error').textContent = '';
  try {
    fill(await call('PUT', '/api/v1/admin/ldap', changes()));
    say(texts.directory.saved);
  } catch (error) {
    $('directory-error').textContent = explain(error);
  }
}

async function onRevert() {
  const yes = await confirmAction({ title: texts.directory.revertTitle, text: texts.directory.revertText,
    confirm: texts.directory.revertConfirm });
  if (!yes) return;
  try {
    fill(await call('DELETE', '/api/v1/admin/ldap'));
    say(texts.directory.reverted);
  } catch (error) {
    say(explain(error));
  }
}

const stepName = (step) => texts.directory.steps[step] ?? step;

function showSteps(result) {
  $('directory-steps').replaceChildren(...result.steps.map((step) => {
    const item = element('li', '', step.ok ? 'good' : 'bad');
    item.dataset.step = step.step;
    item.dataset.ok = String(step.ok);
    item.append(element('strong', `${stepName(step.step)} – ${step.ok ? texts.directory.stepOk : texts.directory.stepFailed}`));
    item.append(element('span', step.message, 'step-message'));
    return item;
  }));
  const failed = result.steps.find((step) => !step.ok);
  $('directory-test-summary').textContent = result.ok ? texts.directory.passed : texts.directory.failedAt(stepName(failed?.step ?? ''));
  $('directory-test-summary').className = `state-line ${result.ok ? 'good' : 'bad'}`;
  say($('directory-test-summary').textContent);
}

async function onTest(event) {
  event.preventDefault();
  $('directory-test').disabled = true;
  $('directory-steps').replaceChildren();
  $('directory-test-summary').className = 'state-line';
  $('directory-test-summary').textContent = texts.directory.testing;
  const body = { settings: changes() };
  const testUser = $('dir-test-user').value.trim();
  if (testUser) Object.assign(body, { testUser, testPassword: $('dir-test-password').value });
  try {
    showSteps(await call('POST', '/api/v1/admin/ldap/test', body));
  } catch (error) {
    $('directory-test-summary').textContent = explain(error);
  } finally {
    $('directory-test').disabled = false;
  }
}

export async function show() {
  if (!wired) {
    wired = true;
    $('directory-form').addEventListener('submit', onSave);
    $('directory-revert').addEventListener('click', onRevert);
    $('directory-test-form').addEventListener('submit', onTest);
  }
  try {
    fill(await call('GET', '/api/v1/admin/ldap'));
  } catch (error) {
    say(explain(error));
  }
}
