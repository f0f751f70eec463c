// Recordings: all of them, searchable and paged on the server (owner, meeting, length, size,
// how long they are kept, integrity), with the volume's space; check one now, or delete it.
import { call } from './api.js';
import { $, button, confirmAction, element } from './dom.js';
import { explain, say } from './admin.js';
import { texts } from './admin-texts.js';
import { date, dateTime, duration, size } from './admin-format.js';
import { PER_PAGE, Pager, query } from './admin-pager.js';

let pager = null;

const ownerOf = (recording) => (typeof recording.owner === 'string' ? recording.owner
  : texts.rooms.owner(recording.owner?.displayName, recording.owner?.username));

const titleOf = (recording) => recording.roomTitle ?? recording.title ?? '';

function lengthOf(recording) {
  if (recording.durationSeconds !== undefined) return duration(recording.durationSeconds);
  if (recording.durationMs !== undefined) return duration(recording.durationMs / 1000);
  return '';
}

function keptUntil(recording) {
  const until = recording.deleteAfter ?? recording.expiresAt;
  return until ? date(until) : texts.recordings.forever;
}

function stateOf(recording) {
  const state = texts.recordings.state;
  if (recording.state === 'recording') return state.recording;
  if (recording.state === 'failed') return state.unusable;
  const composition = recording.composition ?? {};
  if (composition.state === 'pending' || composition.state === 'composing')
    return state.preparing(Math.round((composition.progress ?? 0) * 100));
  if (composition.state === 'failed') return state.failed;
  return state[recording.integrity?.result] ?? state.unchecked;
}

async function check(recording) {
  try {
    const result = await call('POST', `/api/v1/recordings/${recording.id}/verify`);
    say(result.result === 'ok' ? texts.recordings.intact(titleOf(recording)) : texts.recordings.damaged(titleOf(recording)));
  } catch (error) {
    say(explain(error));
  }
  await pager.reload();
}

async function remove(recording) {
  const title = titleOf(recording);
  const yes = await confirmAction({ title: texts.recordings.deleteTitle(title), text: texts.recordings.deleteText,
    confirm: texts.recordings.deleteConfirm });
  if (!yes) return;
  try {
    await call('DELETE', `/api/v1/recordings/${recording.id}`);
    say(texts.recordings.deleted(title));
  } catch (error) {
    say(explain(error));
  }
  await pager.reload();
}

function recordingRow(recording) {
  const tr = element('tr');
  tr.dataset.recording = recording.id;
  const title = titleOf(recording);
  for (const text of [title, ownerOf(recording), dateTime(recording.startedAt), lengthOf(recording),
    recording.sizeBytes === undefined ? '' : size(recording.sizeBytes), keptUntil(recording), stateOf(recording)])
    tr.append(element('td', text));
  const actions = element('td');
  if (recording.composition?.state === 'done') {
    const verify = button(texts.recordings.check, () => check(recording), { accessibleName: texts.recordings.checkLabel(title) });
    verify.dataset.key = `check-${recording.id}`;
    actions.append(verify);
  }
  // While recording (or its file is being made) the server refuses a deletion.
  if (recording.state !== 'recording') {
    const del = button(texts.recordings.delete, () => remove(recording),
      { className: 'danger', accessibleName: texts.recordings.deleteLabel(title) });
    del.dataset.key = `delete-${recording.id}`;
    actions.append(del);
  }
  tr.append(actions);
  return tr;
}

async function load(page) {
  try {
    const result = await call('GET', `/api/v1/admin/recordings?${query({ q: $('recordings-q').value.trim(), page, per_page: PER_PAGE })}`);
    const storage = result.storage;
    $('recordings-storage').textContent = storage && storage.freeBytes !== null && storage.freeBytes !== undefined
      ? texts.recordings.storage(size(storage.composedBytes ?? storage.usedBytes), size(storage.freeBytes), size(storage.sizeBytes))
      : texts.recordings.storageUnknown(storage?.unavailable);
    pager.showRows(result.recordings, recordingRow, result, page);
  } catch (error) {
    say(explain(error));
  }
}

export async function show() {
  if (!pager) pager = new Pager('recordings', load);
  await pager.reload();
}
