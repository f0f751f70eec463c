// Live meetings: every meeting with someone in it; one opened (#meetings/<roomId>) shows its
// people with their connection quality, and ends the meeting, removes a person or stops the
// recording. Refreshed every 5 seconds while shown, keeping the keyboard focus in place.
import { ApiError, call } from './api.js';
import { $, button, confirmAction, element } from './dom.js';
import { explain, keepFocus, say } from './admin.js';
import { texts } from './admin-texts.js';
import { dateTime, duration, milliseconds, percent, rate, secondsSince } from './admin-format.js';

const REFRESH_MS = 5000;
let timer = null;
let shown = false;
let generation = 0; // a refresh loop from an earlier showing stops itself
let roomId = null; // the meeting opened, or null for the list
let meeting = null;

const ownerName = (owner) => (typeof owner === 'string' ? owner : owner?.displayName || owner?.username || '');

function row(cells, actions) {
  const tr = element('tr');
  for (const text of cells) tr.append(element('td', text));
  const cell = element('td');
  cell.append(...actions);
  tr.append(cell);
  return tr;
}

function renderList(meetings) {
  $('meetings-rows').replaceChildren(...meetings.map((m) => {
    const open = element('a', texts.meetings.open, 'button');
    open.href = `#meetings/${m.roomId}`;
    open.dataset.key = `open-${m.roomId}`;
    open.setAttribute('aria-label', texts.meetings.openLabel(m.title));
    const tr = row([m.title, ownerName(m.owner), texts.meetings.people(m.participants, m.waiting),
      duration(secondsSince(m.startedAt)), m.recording ? texts.meetings.recording : texts.meetings.notRecording], [open]);
    tr.dataset.room = m.roomId;
    return tr;
  }));
  $('meetings-empty').hidden = meetings.length > 0;
  $('meetings-table').hidden = meetings.length === 0;
}

function personKind(person) {
  if (person.sip) return texts.meetings.phone;
  return person.guest ? texts.meetings.guest : texts.meetings.user(person.username);
}

function personRole(person) {
  if (person.state === 'waiting') return texts.meetings.waiting;
  return person.moderator ? texts.meetings.moderator : texts.meetings.participant;
}

function personState(person) {
  if (person.state === 'waiting') return texts.meetings.waiting;
  const connection = person.reconnecting ? texts.meetings.reconnecting : texts.meetings.connected;
  const muted = texts.meetings.muted(person.audioMuted, person.videoMuted);
  return muted ? `${connection}; ${muted}` : connection;
}

async function removePerson(person) {
  const yes = await confirmAction({ title: texts.meetings.removeTitle(person.name), text: texts.meetings.removeText,
    confirm: texts.meetings.removeConfirm });
  if (!yes) return;
  try {
    await call('DELETE', `/api/v1/admin/meetings/${roomId}/participants/${encodeURIComponent(person.participantId)}`);
    say(texts.meetings.removed(person.name));
  } catch (error) {
    say(explain(error));
  }
  await refresh();
}

function renderMeeting() {
  $('meeting-name').textContent = meeting.title;
  $('meeting-facts').textContent = [texts.meetings.facts(ownerName(meeting.owner), meeting.meetingId ?? '',
    dateTime(meeting.startedAt)), meeting.locked ? texts.meetings.locked : '',
  meeting.recording && meeting.recordingSince ? texts.meetings.recordingSince(dateTime(meeting.recordingSince)) : '',
  meeting.mediaAvailable === false ? texts.meetings.mediaOff : ''].filter(Boolean).join(' ');
  $('meeting-stop-recording').hidden = !meeting.recording;
  const people = meeting.people ?? [];
  $('people-rows').replaceChildren(...people.map((person) => {
    const remove = button(texts.meetings.remove, () => removePerson(person),
      { className: 'danger', accessibleName: texts.meetings.removeLabel(person.name) });
    remove.dataset.key = `remove-${person.participantId}`;
    const tr = row([person.name, personKind(person), personRole(person), personState(person), rate(person.bitsPerSecondIn),
      rate(person.bitsPerSecondOut), percent(person.packetLossPercent), milliseconds(person.roundTripMs)], [remove]);
    tr.dataset.participant = person.participantId;
    return tr;
  }));
  $('people-empty').hidden = people.length > 0;
}

function showMeetingGone() {
  meeting = null;
  $('meeting-name').textContent = texts.meetings.notLive;
  $('meeting-facts').textContent = '';
  $('meeting-stop-recording').hidden = true;
  $('meeting-end').hidden = true;
  $('people-rows').replaceChildren();
  $('people-empty').hidden = true;
}

async function refresh(loop = generation) {
  clearTimeout(timer);
  try {
    if (roomId === null) {
      const { meetings } = await call('GET', '/api/v1/admin/meetings');
      if (shown && roomId === null) keepFocus(() => renderList(meetings), 'meetings-title');
    } else {
      const opened = roomId;
      try {
        meeting = await call('GET', `/api/v1/admin/meetings/${opened}`);
        $('meeting-end').hidden = false;
        if (shown && roomId === opened) keepFocus(renderMeeting, 'meeting-name');
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        showMeetingGone();
      }
    }
  } catch (error) {
    say(explain(error));
  }
  if (shown && loop === generation) {
    clearTimeout(timer);
    timer = setTimeout(() => refresh(loop), REFRESH_MS);
  }
}

async function endMeeting() {
  if (!meeting) return;
  const title = meeting.title;
  const yes = await confirmAction({ title: texts.meetings.endTitle(title), text: texts.meetings.endText,
    confirm: texts.meetings.endConfirm });
  if (!yes) return;
  try {
    await call('DELETE', `/api/v1/admin/meetings/${roomId}`);
    say(texts.meetings.ended(title));
    window.location.hash = '#meetings';
  } catch (error) {
    say(explain(error));
  }
}

async function stopRecording() {
  try {
    await call('POST', `/api/v1/rooms/${roomId}/recording`, { action: 'stop' });
    say(texts.meetings.recordingStopped);
  } catch (error) {
    say(explain(error));
  }
  await refresh();
}

let wired = false;

export async function show(argument) {
  if (!wired) {
    wired = true;
    $('meeting-end').addEventListener('click', endMeeting);
    $('meeting-stop-recording').addEventListener('click', stopRecording);
  }
  shown = true;
  generation += 1;
  roomId = /^\d+$/.test(argument) ? Number(argument) : null;
  $('meetings-list-view').hidden = roomId !== null;
  $('meeting-view').hidden = roomId === null;
  if (roomId !== null) {
    $('meeting-name').textContent = '';
    $('people-rows').replaceChildren();
  }
  await refresh();
}

export function hide() {
  shown = false;
  generation += 1;
  clearTimeout(timer);
}
