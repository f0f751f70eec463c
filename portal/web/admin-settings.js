// Security settings and room policy: the values the configuration file gives, changed here
// (validated by the server, audited, in force at once), each saying where it comes from and
// able to go back to the file's value.
import { call } from './api.js';
import { $, button, confirmAction, element } from './dom.js';
import { explain, say } from './admin.js';
import { texts } from './admin-texts.js';

const POLICY_OPTIONS = ['waitingRoom', 'guestsAllowed', 'pin', 'recording', 'usersWait'];
const MODES = ['forced_on', 'optional', 'forced_off'];

let wired = false;
let stored = null; // { settings, sources } as the server has them

const lines = (text) => text.split('\n').map((line) => line.trim()).filter(Boolean);
const settingNodes = () => [...document.querySelectorAll('#settings-form .setting')];
const input = (key) => $(`set-${key}`);
const labelOf = (key) => document.querySelector(`label[for="set-${key}"]`)?.textContent
  ?? document.querySelector(`#set-${key} + span`)?.textContent ?? key;
const fromConsole = (key) => stored.sources?.[key] === 'admin_api';

/** The source line and "use the file's value" button under each setting. */
function sourceLine(key, name) {
  const line = element('p', '', 'source');
  line.dataset.source = key;
  line.append(element('span', fromConsole(key) ? texts.settings.fromConsole : texts.settings.fromFile));
  if (fromConsole(key)) {
    const revert = button(texts.settings.useFile, () => revertOne(key, name),
      { className: 'link-button', accessibleName: texts.settings.useFileLabel(name) });
    revert.dataset.key = `revert-${key}`;
    line.append(' ', revert);
  }
  return line;
}

function policyRow(option, policy) {
  const name = texts.settings.options[option];
  const tr = element('tr');
  tr.dataset.option = option;
  tr.append(element('th', name));
  tr.lastChild.scope = 'row';
  const mode = document.createElement('select');
  mode.id = `policy-${option}-mode`;
  mode.setAttribute('aria-label', texts.settings.modeLabel(name));
  for (const value of MODES) {
    const item = element('option', texts.settings.modes[value]);
    item.value = value;
    mode.append(item);
  }
  mode.value = policy?.mode ?? 'optional';
  const modeCell = element('td');
  modeCell.append(mode);
  const startOn = document.createElement('input');
  startOn.type = 'checkbox';
  startOn.id = `policy-${option}-default`;
  startOn.checked = Boolean(policy?.default);
  startOn.disabled = mode.value !== 'optional';
  mode.addEventListener('change', () => { startOn.disabled = mode.value !== 'optional'; });
  const startLabel = element('label', texts.settings.defaultOn, 'switch');
  startLabel.prepend(startOn, ' ');
  startOn.setAttribute('aria-label', texts.settings.defaultLabel(name));
  const startCell = element('td');
  startCell.append(startLabel);
  const sourceKey = stored.sources?.[`roomPolicy.${option}`] !== undefined ? `roomPolicy.${option}` : 'roomPolicy';
  const sourceCell = element('td', fromConsole(sourceKey) ? texts.settings.fromConsole : texts.settings.fromFile);
  tr.append(modeCell, startCell, sourceCell);
  return tr;
}

function fill(answer) {
  stored = answer;
  const settings = answer.settings ?? {};
  for (const node of settingNodes()) {
    const key = node.dataset.key;
    const field = input(key);
    const value = settings[key];
    if (field.type === 'checkbox') field.checked = Boolean(value);
    else if (field.tagName === 'TEXTAREA') field.value = (value ?? []).join('\n');
    else field.value = value ?? '';
    node.querySelector('.source')?.remove();
    node.append(sourceLine(key, labelOf(key)));
  }
  const policy = settings.roomPolicy ?? {};
  $('policy-rows').replaceChildren(...POLICY_OPTIONS.filter((option) => option in policy || !Object.keys(policy).length)
    .map((option) => policyRow(option, policy[option])));
}

/** The values in the form that differ from the stored ones; throws on a bad number. */
function changes() {
  const changed = {};
  const settings = stored.settings ?? {};
  for (const node of settingNodes()) {
    const key = node.dataset.key;
    const field = input(key);
    let value;
    if (field.type === 'checkbox') value = field.checked;
    else if (field.tagName === 'TEXTAREA') value = lines(field.value);
    else {
      if (!/^\d+$/.test(field.value.trim())) {
        field.focus();
        throw new Error(texts.settings.notANumber(labelOf(key)));
      }
      value = Number(field.value);
    }
    if (JSON.stringify(value) !== JSON.stringify(settings[key])) changed[key] = value;
  }
  const policy = {};
  for (const row of document.querySelectorAll('#policy-rows tr')) {
    const option = row.dataset.option;
    policy[option] = { mode: $(`policy-${option}-mode`).value, default: $(`policy-${option}-default`).checked };
  }
  if (JSON.stringify(policy) !== JSON.stringify(settings.roomPolicy ?? {})) changed.roomPolicy = policy;
  return changed;
}

async function onSave(event) {
  event.preventDefault();
  $('settings-error').textContent = '';
  let changed;
  try {
    changed = changes();
  } catch (error) {
    $('settings-error').textContent = error.message;
    return;
  }
  if (!Object.keys(changed).length) {
    say(texts.settings.nothingChanged);
    return;
  }
  try {
    fill(await call('PUT', '/api/v1/admin/settings', changed));
    say(texts.settings.saved);
  } catch (error) {
    $('settings-error').textContent = explain(error);
  }
}

async function revertOne(key, name) {
  try {
    fill(await call('DELETE', `/api/v1/admin/settings/${encodeURIComponent(key)}`));
    say(texts.settings.reverted(name));
    input(key)?.focus();
  } catch (error) {
    say(explain(error));
  }
}

async function revertAll() {
  const yes = await confirmAction({ title: texts.settings.revertAllTitle, text: texts.settings.revertAllText,
    confirm: texts.settings.revertAllConfirm });
  if (!yes) return;
  try {
    fill(await call('DELETE', '/api/v1/admin/settings'));
    say(texts.settings.revertedAll);
  } catch (error) {
    say(explain(error));
  }
}

export async function show() {
  if (!wired) {
    wired = true;
    $('settings-form').addEventListener('submit', onSave);
    $('settings-revert-all').addEventListener('click', revertAll);
  }
  try {
    fill(await call('GET', '/api/v1/admin/settings'));
  } catch (error) {
    say(explain(error));
  }
}
