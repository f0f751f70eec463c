// Security settings and room policy: the values the configuration file gives, changed here
// (validated by the server, audited, in force at once), each saying where it comes from and
// able to go back to the file's value. Session times are kept in seconds by the server and
// shown in minutes and hours (data-scale in the HTML).
import { call } from './api.js';
import { $, button, confirmAction, element } from './dom.js';
import { explain, say } from './admin.js';
import { texts } from './admin-texts.js';

const POLICY_OPTIONS = ['waitingRoom', 'guestsAllowed', 'usersWait', 'pin', 'recording'];

let wired = false;
let stored = null; // { settings, sources } as the server has them

const lines = (text) => text.split('\n').map((line) => line.trim()).filter(Boolean);
const settingNodes = () => [...document.querySelectorAll('#settings-form .setting')];
const input = (key) => $(`set-${key}`);
const labelOf = (key) => document.querySelector(`label[for="set-${key}"]`)?.textContent ?? key;
const fromConsole = (key) => stored.sources?.[key] === 'admin_api';
const scaleOf = (node) => Number(node.dataset.scale ?? 1);
/** A stored number as shown: whole numbers, or up to two decimals for scaled values. */
const shown = (value, scale) => (value === undefined || value === null ? '' : String(Math.round((value / scale) * 100) / 100));

/** Where a value comes from, with a button back to the file's value when it was saved here. */
function sourceLine(key, name, tag = 'p') {
  const line = element(tag, '', 'source');
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

function checkbox(id, checked, label, accessibleName) {
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = id;
  box.checked = Boolean(checked);
  box.setAttribute('aria-label', accessibleName);
  const wrapper = element('label', '', 'switch');
  wrapper.append(box, ' ', element('span', label));
  return { box, wrapper };
}

function policyRow(option, policy) {
  const name = texts.settings.options[option];
  const recording = option === 'recording';
  const tr = element('tr');
  tr.dataset.option = option;
  const head = element('th', name);
  head.scope = 'row';
  const mode = document.createElement('select');
  mode.id = `policy-${option}-mode`;
  mode.setAttribute('aria-label', texts.settings.modeLabel(name));
  const modes = recording ? texts.settings.recordingModes : texts.settings.modes;
  for (const [value, label] of Object.entries(modes)) {
    const item = element('option', label);
    item.value = value;
    mode.append(item);
  }
  mode.value = policy?.mode ?? 'optional';
  const modeCell = element('td');
  modeCell.append(mode);
  // Recording has no starting value; it says whether guests made moderator may record.
  const { box, wrapper } = recording
    ? checkbox(`policy-${option}-guests`, policy?.guestModerators, texts.settings.guestModerators, texts.settings.guestModeratorsLabel)
    : checkbox(`policy-${option}-default`, policy?.default, texts.settings.defaultOn, texts.settings.defaultLabel(name));
  const follow = () => { box.disabled = mode.value !== 'optional'; };
  mode.addEventListener('change', follow);
  follow();
  const detailCell = element('td');
  detailCell.append(wrapper);
  const sourceCell = element('td');
  sourceCell.append(sourceLine(`roomPolicy.${option}`, name, 'span'));
  tr.append(head, modeCell, detailCell, sourceCell);
  return tr;
}

function fill(answer) {
  stored = answer;
  const settings = answer.settings ?? {};
  for (const node of settingNodes()) {
    const key = node.dataset.key;
    const field = input(key);
    const value = settings[key];
    if (field.tagName === 'TEXTAREA') field.value = (value ?? []).join('\n');
    else field.value = shown(value, scaleOf(node));
    node.querySelector('.source')?.remove();
    node.append(sourceLine(key, labelOf(key)));
  }
  const policy = settings.roomPolicy ?? {};
  $('policy-rows').replaceChildren(...POLICY_OPTIONS.filter((option) => option in policy)
    .map((option) => policyRow(option, policy[option])));
}

/** The values in the form that differ from the stored ones; throws on a bad number. */
function changes() {
  const changed = {};
  const settings = stored.settings ?? {};
  for (const node of settingNodes()) {
    const key = node.dataset.key;
    const field = input(key);
    if (field.tagName === 'TEXTAREA') {
      const value = lines(field.value);
      if (JSON.stringify(value) !== JSON.stringify(settings[key])) changed[key] = value;
      continue;
    }
    const scale = scaleOf(node);
    const text = field.value.trim();
    if (!(scale === 1 ? /^\d+$/ : /^\d+(\.\d+)?$/).test(text)) {
      field.focus();
      throw new Error(texts.settings.notANumber(labelOf(key)));
    }
    if (text !== shown(settings[key], scale)) changed[key] = Math.round(Number(text) * scale);
  }
  const policy = {};
  for (const row of document.querySelectorAll('#policy-rows tr')) {
    const option = row.dataset.option;
    const before = settings.roomPolicy?.[option] ?? {};
    const after = { mode: $(`policy-${option}-mode`).value };
    if (option === 'recording') after.guestModerators = $(`policy-${option}-guests`).checked;
    else after.default = $(`policy-${option}-default`).checked;
    // Only what changed: a PUT may give a room option in part.
    const diff = Object.fromEntries(Object.entries(after).filter(([field, value]) => value !== before[field]));
    if (Object.keys(diff).length) policy[option] = diff;
  }
  if (Object.keys(policy).length) changed.roomPolicy = policy;
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
    (input(key) ?? $(`policy-${key.replace('roomPolicy.', '')}-mode`))?.focus();
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
