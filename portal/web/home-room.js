// The personal room on the home page: start it, copy its guest link, its PIN and switches,
// a new link, personal invitations.
import { call } from './api.js';
import { $, confirmAction } from './dom.js';
import { openInvitations } from './home-invitations.js';
import { copyAndSay, explain, say } from './portal.js';
import { texts } from './portal-texts.js';

let room = null;
let wired = false;

export const absoluteLink = (joinPath) => new URL(joinPath, window.location.origin).href;

async function change(fields, message = texts.saved) {
  try {
    room = await call('PATCH', `/api/v1/rooms/${room.id}`, fields);
    render();
    say(message);
  } catch (error) {
    render(); // back to what is stored
    say(explain(error));
  }
}

function render() {
  $('room-title').textContent = room.title;
  $('room-meeting-id').textContent = room.meetingId;
  $('room-start').href = room.joinPath;
  $('room-link').value = absoluteLink(room.joinPath);
  $('room-waiting').checked = room.waitingRoom;
  $('room-users-wait').checked = room.usersWait;
  $('room-users-wait').disabled = !room.waitingRoom;
  $('room-guests').checked = room.guestsAllowed;
  $('room-locked').checked = room.locked;
  if (document.activeElement !== $('room-pin')) $('room-pin').value = room.pin ?? '';
  const retention = room.recordingRetentionDays;
  const option = retention === null || retention === undefined ? 'default' : String(retention);
  if (![...$('room-retention').options].some((o) => o.value === option)) {
    const custom = document.createElement('option');
    custom.value = option;
    custom.textContent = texts.room.retentionDays(option);
    $('room-retention').append(custom);
  }
  $('room-retention').value = option;
}

function wire() {
  wired = true;
  const toggles = { 'room-waiting': 'waitingRoom', 'room-users-wait': 'usersWait', 'room-guests': 'guestsAllowed', 'room-locked': 'locked' };
  for (const [id, field] of Object.entries(toggles))
    $(id).addEventListener('change', () => change({ [field]: $(id).checked }));
  $('room-pin-save').addEventListener('click', () => {
    const pin = $('room-pin').value.trim();
    change({ pin }, texts.room.pinSaved(pin));
  });
  $('room-pin').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      $('room-pin-save').click();
    }
  });
  $('room-retention').addEventListener('change', () => {
    const value = $('room-retention').value;
    change({ recordingRetentionDays: value === 'default' ? null : Number(value) });
  });
  $('room-link-copy').addEventListener('click', async () => {
    await copyAndSay($('room-link').value, $('room-link'));
  });
  $('room-link-regenerate').addEventListener('click', async () => {
    const yes = await confirmAction({ title: texts.room.regenerateTitle, text: texts.room.regenerateText,
      confirm: texts.room.regenerateConfirm });
    if (!yes) return;
    try {
      room = await call('POST', `/api/v1/rooms/${room.id}/link`);
      render();
      say(texts.room.regenerated);
    } catch (error) {
      say(explain(error));
    }
  });
  $('room-invitations-open').addEventListener('click', () => openInvitations(room));
}

export function showRoom(personal) {
  if (!personal) return;
  room = personal;
  if (!wired) wire();
  render();
}
