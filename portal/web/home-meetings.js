// Scheduled meetings on the home page: schedule, list upcoming and past, change, delete,
// calendar file, invitation text, copy link, invitations.
import { call } from './api.js';
import { $, button, confirmAction, element, fromLocalInput, localRange, timeZone, toLocalInput } from './dom.js';
import { openInvitations } from './home-invitations.js';
import { absoluteLink } from './home-room.js';
import { copyAndSay, explain, refreshRooms, say } from './portal.js';
import { texts } from './portal-texts.js';

let editing = null; // the meeting being changed, or null when scheduling a new one
let moderators = [];
let searchTimer = null;

function meetingItem(meeting) {
  const item = element('li', undefined, 'meeting');
  const title = element('h4', meeting.title);
  title.id = `meeting-${meeting.id}-title`;
  item.setAttribute('aria-labelledby', title.id);
  const [start, end] = localRange(meeting.startsAt, meeting.endsAt);
  const when = element('p', texts.meetings.when(start, end), 'when');
  const facts = element('p', [texts.meetings.meetingId(meeting.meetingId), meeting.pin ? texts.meetings.pin(meeting.pin) : '']
    .filter(Boolean).join(' · '), 'hint');
  item.append(title, when, facts);
  if (meeting.live && meeting.live.present + meeting.live.waiting > 0)
    item.append(element('p', texts.meetings.live(meeting.live.present, meeting.live.waiting), 'live'));

  const actions = element('div', undefined, 'actions');
  const label = (text) => ({ accessibleName: texts.meetings.actionLabel(text, meeting.title) });
  if (!meeting.ended) {
    const join = element('a', meeting.owner === currentOwner ? texts.meetings.start : texts.meetings.join, 'button primary');
    join.href = meeting.joinPath;
    join.setAttribute('aria-label', texts.meetings.actionLabel(join.textContent, meeting.title));
    actions.append(join);
    actions.append(button(texts.meetings.copyLink, async (event) => {
      await copyAndSay(absoluteLink(meeting.joinPath));
      event.target.focus();
    }, label(texts.meetings.copyLink)));
    const calendar = element('a', texts.meetings.calendar, 'button');
    calendar.href = `/api/v1/rooms/${meeting.id}/calendar.ics`;
    calendar.setAttribute('download', `meeting-${meeting.meetingId}.ics`);
    calendar.setAttribute('aria-label', texts.meetings.calendarLabel(meeting.title));
    actions.append(calendar);
    actions.append(button(texts.meetings.text, () => showInvitationText(meeting), label(texts.meetings.text)));
    actions.append(button(texts.meetings.invitations, () => openInvitations(meeting), label(texts.meetings.invitations)));
    actions.append(button(texts.meetings.edit, () => openDialog(meeting), label(texts.meetings.edit)));
  } else {
    item.append(element('p', texts.meetings.ended, 'hint'));
  }
  if (meeting.owner === currentOwner)
    actions.append(button(texts.meetings.delete, () => remove(meeting), { className: 'danger', ...label(texts.meetings.delete) }));
  item.append(actions);
  return item;
}

let currentOwner = '';

export function setOwner(username) {
  currentOwner = username;
}

export function showMeetings(meetings) {
  const now = Date.now();
  const upcoming = meetings.filter((m) => !m.ended && Date.parse(m.endsAt) > now)
    .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
  const past = meetings.filter((m) => m.ended || Date.parse(m.endsAt) <= now)
    .sort((a, b) => Date.parse(b.startsAt) - Date.parse(a.startsAt));
  $('upcoming').replaceChildren(...upcoming.map(meetingItem));
  $('past').replaceChildren(...past.map(meetingItem));
  $('upcoming-empty').hidden = upcoming.length > 0;
  $('past-empty').hidden = past.length > 0;
}

async function showInvitationText(meeting) {
  try {
    // Local times in the text are those of whoever asks (the offset at the meeting's start).
    const offset = -new Date(meeting.startsAt).getTimezoneOffset();
    const query = new URLSearchParams({ offset: String(offset) });
    const invitation = await call('GET', `/api/v1/rooms/${meeting.id}/invitation-text?${query}`);
    $('invitation-text').value = `${invitation.subject}\n\n${invitation.text}`;
    $('text-dialog').showModal();
    $('invitation-text').focus();
  } catch (error) {
    say(explain(error));
  }
}

function renderModerators() {
  $('moderator-list').replaceChildren(...moderators.map((name) => {
    const chip = element('li', name);
    chip.append(button('×', () => {
      moderators = moderators.filter((m) => m !== name);
      renderModerators();
      $('moderator-search').focus();
    }, { accessibleName: texts.meetings.moderatorRemove(name) }));
    return chip;
  }));
}

async function searchUsers() {
  const q = $('moderator-search').value.trim();
  if (!q) return [];
  try {
    const { users } = await call('GET', `/api/v1/users/search?${new URLSearchParams({ q })}`);
    $('moderator-options').replaceChildren(...users.map((user) => {
      const option = document.createElement('option');
      option.value = user.username;
      option.label = user.displayName && user.displayName !== user.username ? user.displayName : user.username;
      return option;
    }));
    return users;
  } catch {
    return [];
  }
}

async function addModerator() {
  const name = $('moderator-search').value.trim().toLowerCase();
  if (!name) return;
  const users = await searchUsers();
  if (!users.some((user) => user.username === name)) {
    $('meeting-error').textContent = texts.meetings.moderatorUnknown(name);
    $('moderator-search').focus();
    return;
  }
  if (!moderators.includes(name)) moderators.push(name);
  $('moderator-search').value = '';
  $('meeting-error').textContent = '';
  renderModerators();
  $('moderator-search').focus();
}

function openDialog(meeting = null) {
  editing = meeting;
  $('meeting-form').reset();
  $('meeting-error').textContent = '';
  $('meeting-zone').textContent = texts.meetings.zone(timeZone());
  $('meeting-dialog-title').textContent = meeting ? texts.meetings.editTitle : texts.meetings.scheduleTitle;
  $('meeting-save').textContent = meeting ? texts.meetings.save : texts.meetings.schedule;
  if (meeting) {
    $('meeting-title').value = meeting.title;
    $('meeting-start').value = toLocalInput(meeting.startsAt);
    $('meeting-end').value = toLocalInput(meeting.endsAt);
    $('meeting-pin').value = meeting.pin ?? '';
    $('meeting-waiting').checked = meeting.waitingRoom;
    $('meeting-guests').checked = meeting.guestsAllowed;
    moderators = [...(meeting.moderators ?? [])];
  } else {
    // The next full hour, for an hour.
    const start = new Date();
    start.setMinutes(0, 0, 0);
    start.setHours(start.getHours() + 1);
    $('meeting-start').value = toLocalInput(start.toISOString());
    $('meeting-end').value = toLocalInput(new Date(start.getTime() + 3600000).toISOString());
    moderators = [];
  }
  // Only the owner (or an admin) names moderators; a co-moderator changing the meeting
  // leaves them as they are.
  const mayNameModerators = !meeting || meeting.owner === currentOwner;
  $('moderator-search').disabled = !mayNameModerators;
  $('moderator-add').disabled = !mayNameModerators;
  renderModerators();
  $('meeting-dialog').showModal();
  $('meeting-title').focus();
}

async function save(event) {
  event.preventDefault();
  const title = $('meeting-title').value.trim();
  const startsAt = fromLocalInput($('meeting-start').value);
  const endsAt = fromLocalInput($('meeting-end').value);
  const fail = (message, field) => {
    $('meeting-error').textContent = message;
    $(field).focus();
  };
  if (!title) return fail(texts.meetings.needTitle, 'meeting-title');
  if (!startsAt || !endsAt) return fail(texts.meetings.needTimes, startsAt ? 'meeting-end' : 'meeting-start');
  if (Date.parse(endsAt) <= Date.parse(startsAt)) return fail(texts.meetings.endBeforeStart, 'meeting-end');
  if (Date.parse(endsAt) <= Date.now()) return fail(texts.meetings.endInPast, 'meeting-end');
  const body = { title, startsAt, endsAt, pin: $('meeting-pin').value.trim(),
    waitingRoom: $('meeting-waiting').checked, guestsAllowed: $('meeting-guests').checked };
  if (!editing || editing.owner === currentOwner) body.moderators = moderators;
  try {
    const saved = editing
      ? await call('PATCH', `/api/v1/rooms/${editing.id}`, body)
      : await call('POST', '/api/v1/rooms', body);
    $('meeting-dialog').close();
    await refreshRooms();
    say(editing ? texts.meetings.changed(saved.title) : texts.meetings.scheduled(saved.title));
    $('meeting-new').focus();
  } catch (error) {
    $('meeting-error').textContent = error.message ? texts.errors.generic(error.message) : explain(error);
  }
}

async function remove(meeting) {
  const yes = await confirmAction({ title: texts.meetings.deleteTitle(meeting.title), text: texts.meetings.deleteText,
    confirm: texts.meetings.deleteConfirm });
  if (!yes) return;
  try {
    await call('DELETE', `/api/v1/rooms/${meeting.id}`);
    await refreshRooms();
    say(texts.meetings.deleted(meeting.title));
    $('meeting-new').focus();
  } catch (error) {
    say(explain(error));
  }
}

export function initMeetings() {
  $('meeting-new').addEventListener('click', () => openDialog());
  $('meeting-form').addEventListener('submit', save);
  $('meeting-cancel').addEventListener('click', () => $('meeting-dialog').close());
  $('moderator-add').addEventListener('click', addModerator);
  $('moderator-search').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchUsers, 250);
  });
  $('moderator-search').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      addModerator();
    }
  });
  $('invitation-text-copy').addEventListener('click', async () => {
    await copyAndSay($('invitation-text').value, $('invitation-text'));
  });
  $('text-dialog-close').addEventListener('click', () => $('text-dialog').close());
}
