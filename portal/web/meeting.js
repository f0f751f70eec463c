// The meeting page: join form, lobby, video grid, controls and the moderator panel.
import { Signaling } from './signaling.js';
import { MediaSession } from './media.js';
import * as view from './view.js';

const JOIN_ERRORS = {
  pin_required: 'This room needs a PIN.',
  pin_incorrect: 'The PIN is not correct.',
  too_many_attempts: 'Too many wrong PINs. Wait a while and try again.',
  invalid_link: 'This meeting link is not valid any more.',
  room_locked: 'The room is locked.',
  meeting_ended: 'This meeting has ended.',
  guests_not_allowed: 'This room is for signed-in users only.',
  room_full: 'The room is full.',
  removed: 'You were removed from this meeting.',
};

const state = {
  signaling: new Signaling(),
  media: null,
  selfId: null,
  role: 'participant',
  roster: new Map(),   // participant id -> participant
  waiting: [],
  local: {},           // label -> MediaStreamTrack
  hand: false,
  leaving: false,
};

// For the end-to-end tests and for support: the connection's statistics, read-only.
window.parleyMeeting = {
  participantId: () => state.selfId,
  /** Per publisher and kind: packets received and frames decoded so far. */
  inbound: async () => {
    if (!state.media) return [];
    const sections = state.media.receiving();
    const result = [];
    for (const report of (await state.media.peerConnection.getStats()).values()) {
      if (report.type !== 'inbound-rtp') continue;
      const section = sections.find((s) => s.mid === report.mid);
      if (!section) continue;
      result.push({ publisherId: section.publisherId, kind: report.kind, label: section.kind,
        packetsReceived: report.packetsReceived ?? 0, framesDecoded: report.framesDecoded ?? 0 });
    }
    return result;
  },
};

const link = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');

function act(message) {
  state.signaling.send(message);
}

function remoteTracks() {
  const tracks = new Map();
  for (const participant of state.roster.values()) {
    if (participant.id === state.selfId) continue;
    for (const track of participant.tracks ?? []) tracks.set(track.id, { kind: track.kind, publisherId: participant.id });
  }
  return tracks;
}

function refresh() {
  for (const participant of state.roster.values()) view.renderParticipant(participant, participant.id === state.selfId);
  view.renderModeration(state.role === 'moderator', state.roster, state.waiting, state.selfId, act);
  state.media?.want(remoteTracks()).catch((error) => console.error('negotiation failed', error));
}

async function startMedia() {
  state.media = new MediaSession(state.signaling);
  state.media.onRemoteTrack = (publisherId, trackId, label, track) => {
    if (label !== 'screen') view.attachTrack(publisherId, track);
    else view.attachTrack(`${publisherId}-screen`, track);
  };
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
  } catch (error) {
    console.warn('no camera or microphone', error);
    stream = new MediaStream();
  }
  const self = state.roster.get(state.selfId);
  if (self) view.renderParticipant(self, true);
  for (const track of stream.getTracks()) {
    state.local[track.kind] = track;
    if (track.kind === 'video') view.attachTrack(state.selfId, track);
  }
  for (const label of ['audio', 'video']) if (state.local[label]) await state.media.publish(label, state.local[label]);
  await state.media.want(remoteTracks());
}

function onJoined(message) {
  state.selfId = message.participantId;
  state.role = message.role;
  state.roster = new Map(message.roster.map((p) => [p.id, p]));
  state.waiting = message.waiting ?? [];
  view.setRoomState(message.room.title, message.room.locked);
  view.setRecording(message.room.recording === true);
  view.show('meeting');
  refresh();
  startMedia().catch((error) => console.error('media failed', error));
}

const s = state.signaling;
s.on('joined', onJoined);
s.on('lobby.waiting', () => view.show('lobby'));
s.on('lobby.denied', () => view.ended('You were not admitted', 'A moderator declined your request to join.'));
s.on('participant.joined', (m) => { state.roster.set(m.participant.id, m.participant); refresh(); });
s.on('participant.updated', (m) => {
  state.roster.set(m.participant.id, m.participant);
  if (m.participant.id === state.selfId) state.role = m.participant.role;
  refresh();
});
s.on('participant.left', (m) => {
  state.roster.delete(m.participantId);
  view.removeParticipant(m.participantId);
  view.removeParticipant(`${m.participantId}-screen`);
  refresh();
});
s.on('lobby.updated', (m) => { state.waiting = m.waiting; refresh(); });
s.on('room.updated', (m) => view.setRoomState(document.getElementById('meeting-title').textContent, m.locked));
s.on('recording.started', () => view.setRecording(true));
s.on('recording.stopped', (m) => {
  view.setRecording(false);
  // The server stopped it on its own (the volume filled up, ...): say why.
  if (m.reason) view.moderationError(`Recording stopped: ${m.reason}`);
});
s.on('error', (m) => {
  // A recording that cannot start says why (the volume is locked or full, ...).
  if (m.request?.startsWith('recording.')) view.moderationError(m.message);
});
s.on('room.ended', () => view.ended('The meeting has ended', 'A moderator ended the meeting for everyone.'));
s.on('removed', (m) => view.ended('You were removed from the meeting',
  m.reason === 'invitation_revoked' ? 'Your invitation was revoked.' : 'A moderator removed you.'));
s.on('close', () => {
  state.media?.close();
  if (!document.getElementById('meeting').hidden && !state.leaving) view.ended('The connection was closed', '');
});

document.getElementById('join-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  document.getElementById('join-button').disabled = true;
  const name = document.getElementById('name').value.trim();
  const pin = document.getElementById('pin').value.trim();
  try {
    await s.connect();
  } catch (error) {
    view.joinError(error.message);
    return;
  }
  const join = { type: 'join', link, name };
  if (pin) join.pin = pin;
  const answer = s.next(['joined', 'lobby.waiting'], 'join');
  s.send(join);
  try {
    await answer;
  } catch (error) {
    view.joinError(JOIN_ERRORS[error.code] ?? error.message);
  }
});

function toggle(button, pressed, labels) {
  button.setAttribute('aria-pressed', pressed ? 'true' : 'false');
  button.textContent = labels[pressed ? 1 : 0];
}

document.getElementById('toggle-audio').addEventListener('click', (event) => {
  const track = state.local.audio;
  if (!track) return;
  track.enabled = !track.enabled;
  toggle(event.currentTarget, !track.enabled, ['Mute microphone', 'Unmute microphone']);
  act({ type: 'media.state', audioMuted: !track.enabled });
});
document.getElementById('toggle-video').addEventListener('click', (event) => {
  const track = state.local.video;
  if (!track) return;
  track.enabled = !track.enabled;
  toggle(event.currentTarget, !track.enabled, ['Stop camera', 'Start camera']);
  act({ type: 'media.state', videoMuted: !track.enabled });
});
document.getElementById('toggle-screen').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  if (state.local.screen) {
    state.local.screen.stop();
    delete state.local.screen;
    await state.media.unpublish('screen');
    toggle(button, false, ['Share screen', 'Stop sharing']);
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true });
    state.local.screen = stream.getVideoTracks()[0];
    await state.media.publish('screen', state.local.screen);
    toggle(button, true, ['Share screen', 'Stop sharing']);
  } catch (error) {
    console.warn('screen share refused', error);
  }
});
document.getElementById('toggle-hand').addEventListener('click', (event) => {
  state.hand = !state.hand;
  toggle(event.currentTarget, state.hand, ['Raise hand', 'Lower hand']);
  act({ type: state.hand ? 'hand.raise' : 'hand.lower' });
});
document.getElementById('leave').addEventListener('click', () => {
  state.leaving = true;
  act({ type: 'leave' });
  state.media?.close();
  view.ended('You have left the meeting', '');
});
document.getElementById('lock').addEventListener('click', (event) => {
  act({ type: event.currentTarget.dataset.locked === 'true' ? 'unlock' : 'lock' });
});
document.getElementById('end').addEventListener('click', () => act({ type: 'end' }));
document.getElementById('record').addEventListener('click', (event) => {
  act({ type: event.currentTarget.dataset.active === 'true' ? 'recording.stop' : 'recording.start' });
});
