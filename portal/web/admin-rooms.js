// Rooms and meetings: every personal room and scheduled meeting, searchable and paged on the
// server; change who gets in (waiting room, guests, PIN, lock, retention) or delete a meeting.
import { call } from './api.js';
import { $, button, confirmAction, element } from './dom.js';
import { explain, say } from './admin.js';
import { texts } from './admin-texts.js';
import { dateTime } from './admin-format.js';
import { PER_PAGE, Pager, query } from './admin-pager.js';

let pager = null;
let editing = null;

const ownerOf = (room) => (typeof room.owner === 'string' ? texts.rooms.owner(room.ownerDisplayName, room.owner)
  : texts.rooms.owner(room.owner?.displayName, room.owner?.username));

function when(room) {
  if (room.kind === 'personal') return texts.rooms.always;
  return room.startsAt ? dateTime(room.startsAt) : '';
}

// `live` is true while someone is in the room (an object with counts in the owner's API).
const isLive = (room) => (room.live && typeof room.live === 'object' ? room.live.present > 0 : Boolean(room.live));

function roomRow(room) {
  const tr = element('tr');
  tr.dataset.room = room.id;
  const title = element('td');
  title.append(element('span', room.title));
  if (room.kind === 'personal') title.append(element('span', texts.rooms.personal, 'tag'));
  if (room.ended) title.append(element('span', texts.rooms.ended, 'tag'));
  if (isLive(room)) title.append(element('span', texts.rooms.live, 'tag live'));
  tr.append(title);
  for (const text of [ownerOf(room), room.meetingId ?? '', when(room), texts.rooms.policy(room)])
    tr.append(element('td', text));
  const actions = element('td');
  const change = button(texts.rooms.change, () => openDialog(room), { accessibleName: texts.rooms.changeLabel(room.title) });
  change.dataset.key = `change-${room.id}`;
  actions.append(change);
  if (room.kind !== 'personal') {
    const del = button(texts.rooms.delete, () => remove(room), { className: 'danger', accessibleName: texts.rooms.deleteLabel(room.title) });
    del.dataset.key = `delete-${room.id}`;
    actions.append(del);
  }
  tr.append(actions);
  return tr;
}

function openDialog(room) {
  editing = room;
  $('room-error').textContent = '';
  $('room-dialog-title').textContent = texts.rooms.changeTitle(room.title);
  $('room-waiting').checked = room.waitingRoom;
  $('room-users-wait').checked = room.usersWait;
  $('room-guests').checked = room.guestsAllowed;
  $('room-locked').checked = room.locked;
  $('room-pin').value = room.pin ?? '';
  $('room-retention').value = room.recordingRetentionDays ?? '';
  // What the room policy forces is shown fixed (the server refuses it otherwise).
  const forced = room.forced ?? {};
  for (const [option, id] of [['waitingRoom', 'room-waiting'], ['usersWait', 'room-users-wait'], ['guestsAllowed', 'room-guests']])
    $(id).disabled = option in forced;
  $('room-pin').disabled = forced.pin === false;
  $('room-forced').hidden = !Object.keys(forced).length;
  $('room-dialog').showModal();
  $('room-waiting').focus();
}

async function onSave(event) {
  event.preventDefault();
  const room = editing;
  const wanted = {
    waitingRoom: $('room-waiting').checked,
    usersWait: $('room-users-wait').checked,
    guestsAllowed: $('room-guests').checked,
    locked: $('room-locked').checked,
    pin: $('room-pin').value.trim(),
    recordingRetentionDays: $('room-retention').value === '' ? null : Number($('room-retention').value),
  };
  const changes = {};
  for (const [key, value] of Object.entries(wanted))
    if (value !== (key === 'pin' ? room.pin ?? '' : room[key] ?? null)) changes[key] = value;
  try {
    if (Object.keys(changes).length) await call('PATCH', `/api/v1/rooms/${room.id}`, changes);
    $('room-dialog').close();
    say(texts.rooms.changed(room.title));
    await pager.reload();
  } catch (error) {
    // A PIN against the policy: the server's message says what the policy wants.
    $('room-error').textContent = explain(error);
    if (error.code === 'invalid_pin' || error.code === 'pin_required') $('room-pin').focus();
  }
}

async function remove(room) {
  const yes = await confirmAction({ title: texts.rooms.deleteTitle(room.title), text: texts.rooms.deleteText,
    confirm: texts.rooms.deleteConfirm });
  if (!yes) return;
  try {
    await call('DELETE', `/api/v1/rooms/${room.id}`);
    say(texts.rooms.deleted(room.title));
    await pager.reload();
  } catch (error) {
    say(error.code === 'personal_room' ? texts.rooms.personalRoom : explain(error));
  }
}

async function load(page) {
  try {
    const params = { q: $('rooms-q').value.trim(), kind: $('rooms-kind').value, page, per_page: PER_PAGE };
    const result = await call('GET', `/api/v1/admin/rooms?${query(params)}`);
    pager.showRows(result.rooms, roomRow, result, page);
  } catch (error) {
    say(explain(error));
  }
}

export async function show() {
  if (!pager) {
    pager = new Pager('rooms', load);
    $('rooms-kind').addEventListener('change', () => pager.go(1));
    $('room-form').addEventListener('submit', onSave);
    $('room-cancel').addEventListener('click', () => $('room-dialog').close());
  }
  await pager.reload();
}
