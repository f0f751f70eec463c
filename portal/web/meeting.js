// The meeting page: the screen before joining, the lobby, the meeting with its controls and
// moderator panel, and coming back after the network dropped (docs/signaling.md,
// "Reconnecting").
import { t, applyTexts } from './texts.js';
import { Signaling } from './signaling.js';
import { MediaSession } from './media.js';
import { PreJoin, VIDEO_CONSTRAINTS } from './prejoin.js';
import { ActiveSpeaker } from './levels.js';
import { RoundTripReporter } from './round-trip.js';
import { ShownSizes } from './shown-sizes.js';
import * as view from './view.js';
import { currentSession } from './api.js';
import { $ } from './dom.js';

applyTexts();

const MEDIA_TIMEOUT_MS = 10000;      // no media connection this long after an answer: say so
const MEDIA_RECOVER_MS = 6000;       // media that flowed and stopped this long: reconnect
const RECOVERY_INTERVAL_MS = 30000;  // at most one automatic media recovery in this time
const STILL_RECONNECTING_MS = 20000; // then the notice asks the person to check the network

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** What this page joins with, from its address: a guest link (/join/<link>), a personal
 *  invitation key (/invite#<key>: the key stays in the fragment, never sent to the server
 *  but in the join message), or a meeting ID for signed-in people (/meeting/<id>). */
function credentialFromAddress() {
  const [kind, value = ''] = location.pathname.split('/').filter(Boolean);
  if (kind === 'invite') {
    let key = '';
    try {
      key = decodeURIComponent(location.hash.slice(1));
    } catch {
      // A damaged link: the server answers an empty key as not valid, in words.
    }
    // Out of the address bar, where a screen share or a shoulder would show it.
    history.replaceState(null, '', '/invite');
    return { key };
  }
  if (kind === 'meeting') return { meetingId: decodeURIComponent(value) };
  return { link: decodeURIComponent(value) };
}
const credential = credentialFromAddress();
const signaling = new Signaling();
const prejoin = new PreJoin();

const state = {
  phase: 'prejoin',   // prejoin, joining, lobby, meeting, reconnecting, ended
  user: null,         // the signed-in user (GET /api/v1/auth/session), or null for a guest
  join: null,         // the join message, to join again when a resume is refused
  roomId: null,
  token: null,        // the resume token of the last joined
  title: '',
  selfId: null,
  role: 'participant',
  roster: new Map(),  // participant id -> participant
  waiting: [],
  local: { audio: null, video: null, screen: null },
  shownSizes: null,   // reports the received videos' sizes to the router
  buffering: {},      // publisher id -> ms the router wants buffered (media.buffer)
  audioOn: true,
  videoOn: true,
  hand: false,
  media: null,
  mediaTimer: null,
  recoverTimer: null,
  mediaConnected: false,
  lastRecovery: 0,
  speaker: null,
  reconnects: 0,
  leaving: false,
};

// For the end-to-end tests and for support: the connection's state and statistics, read-only.
window.parleyMeeting = {
  participantId: () => state.selfId,
  phase: () => state.phase,
  reconnects: () => state.reconnects,
  mediaState: () => state.media?.connectionState ?? 'none',
  activeSpeaker: () => state.speaker?.current ?? null,
  /** The audio levels the active speaker is chosen from, per participant id. */
  audioLevels: async () => Object.fromEntries(await levels()),
  /** Per publisher and kind: packets received and frames decoded so far, and how many
   *  sender reports (relayed by the router) the browser took for that stream. */
  inbound: async () => {
    if (!state.media) return [];
    const sections = state.media.receiving();
    const stats = await state.media.peerConnection.getStats();
    const result = [];
    for (const report of stats.values()) {
      if (report.type !== 'inbound-rtp') continue;
      const section = sections.find((s) => s.mid === report.mid);
      if (!section) continue;
      const remote = report.remoteId ? stats.get(report.remoteId) : undefined;
      result.push({ publisherId: section.publisherId, kind: report.kind, label: section.kind,
        packetsReceived: report.packetsReceived ?? 0, packetsLost: report.packetsLost ?? 0,
        framesDecoded: report.framesDecoded ?? 0, freezeCount: report.freezeCount ?? 0,
        totalFreezesDuration: report.totalFreezesDuration ?? 0, nackCount: report.nackCount ?? 0,
        pliCount: report.pliCount ?? 0, frameHeight: report.frameHeight ?? 0,
        estimatedPlayoutTimestamp: report.estimatedPlayoutTimestamp ?? null,
        jitterBufferDelay: report.jitterBufferDelay ?? 0, jitterBufferEmittedCount: report.jitterBufferEmittedCount ?? 0,
        jitterBufferMinimumDelay: report.jitterBufferMinimumDelay ?? 0,
        senderReports: remote?.reportsSent ?? 0 });
    }
    return result;
  },
  /** The loudest frequency (Hz) in the audio received from `publisherId`, measured over
   *  `ms` with a WebAudio analyser, or null when nothing of it is received. */
  audioFrequency: async (publisherId, ms = 1000) => {
    const section = state.media?.receiving().find((s) => s.publisherId === publisherId && s.kind === 'audio');
    const transceiver = section && state.media.peerConnection.getTransceivers().find((t) => t.mid === section.mid);
    if (!transceiver) return null;
    const audio = new AudioContext();
    try {
      const analyser = audio.createAnalyser();
      analyser.fftSize = 8192;
      audio.createMediaStreamSource(new MediaStream([transceiver.receiver.track])).connect(analyser);
      const bins = new Float32Array(analyser.frequencyBinCount);
      const sum = new Float32Array(analyser.frequencyBinCount);
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        analyser.getFloatFrequencyData(bins);
        for (let i = 0; i < bins.length; ++i) sum[i] += Math.pow(10, bins[i] / 10);
      }
      let loudest = 1;
      for (let i = 2; i < sum.length; ++i) if (sum[i] > sum[loudest]) loudest = i;
      return sum[loudest] > 0 ? loudest * audio.sampleRate / analyser.fftSize : null;
    } finally {
      await audio.close();
    }
  },
  /** The buffering asked of each receiver: [{ publisherId, kind, ms }]. */
  buffering: () => state.media?.buffering() ?? [],
  /** The peer connection's whole getStats() report, for tests. */
  peerConnectionStats: async () => (state.media ? state.media.peerConnection.getStats() : new Map()),
  /** What this browser sends, per kind: packets, resends and the NACKs that asked for them;
   *  and the transport's round trip and the sending bandwidth its estimator allows. */
  outbound: async () => {
    if (!state.media) return { streams: [], roundTrip: null, availableOutgoingBitrate: null };
    const stats = await state.media.peerConnection.getStats();
    const streams = [];
    let pair = null;
    for (const report of stats.values()) {
      if (report.type === 'outbound-rtp') {
        streams.push({ kind: report.kind, packetsSent: report.packetsSent ?? 0,
          retransmittedPacketsSent: report.retransmittedPacketsSent ?? 0, nackCount: report.nackCount ?? 0,
          frameHeight: report.frameHeight ?? 0, rid: report.rid ?? null, framesPerSecond: report.framesPerSecond ?? 0,
          qualityLimitationReason: report.qualityLimitationReason ?? null, targetBitrate: report.targetBitrate ?? 0 });
      }
      // The transport names the pair in use. A pair's own state is no guide: Chrome marks
      // it "in-progress" while a consent check is out, for a round trip or longer on a lossy link.
      if (report.type === 'transport' && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    }
    return { streams, roundTrip: pair?.currentRoundTripTime ?? null,
      availableOutgoingBitrate: pair?.availableOutgoingBitrate ?? null };
  },
};

function act(message) {
  signaling.send(message);
}

// ---- Before joining -----------------------------------------------------------------

/** Signed in: the page knows the name, and the server uses the account's. */
async function whoAmI() {
  try {
    const session = await currentSession();
    if (session) {
      state.user = session.user;
      view.signedIn(session.user.displayName || session.user.username);
      return;
    }
  } catch { /* treated as a guest */ }
  if (credential.key !== undefined) {
    // An invitation is in its holder's name and needs no PIN.
    view.invited();
    return;
  }
  if (credential.meetingId !== undefined) {
    view.joinError(t('signInForMeetingId'));
    return;
  }
  $('name-field').hidden = false;
  if (document.activeElement === document.body) $('name').focus();
}

const ready = Promise.all([whoAmI(), prejoin.start()]);

const FIELD_OF_ERROR = { pin_required: 'pin', pin_incorrect: 'pin', too_many_attempts: 'pin', invalid_name: 'name' };

$('join-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (state.phase !== 'prejoin') return;
  view.joining();
  await ready;
  const name = $('name').value.trim();
  if (!state.user && !name && credential.key === undefined) {
    view.joinError(t('nameRequired'), 'name');
    return;
  }
  const join = { type: 'join', ...credential };
  if (!state.user && credential.key === undefined) join.name = name;
  const pin = $('pin').value.trim();
  if (pin) join.pin = pin;
  state.join = join;
  state.phase = 'joining';
  try {
    if (!signaling.open) await signaling.connect();
    await signaling.request(join, ['joined', 'lobby.waiting']);
  } catch (error) {
    state.phase = 'prejoin';
    view.joinError(joinErrorText(error), FIELD_OF_ERROR[error.code]);
  }
});

/** A refused join in words: the page's own text for the code, else the server's. */
function joinErrorText(error) {
  if (!error.code || error.code === 'closed') return t('cannotReach');
  const text = t(error.code);
  return text !== error.code ? text : error.message;
}

// ---- In the meeting -----------------------------------------------------------------

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
  if (state.phase === 'meeting') state.media?.want(remoteTracks()).catch((error) => console.warn('negotiation failed', error));
}

/** The tracks chosen before joining become the meeting's. */
function takeLocalTracks() {
  prejoin.finish();
  state.audioOn = Boolean(prejoin.audio) && prejoin.microphoneOn;
  state.videoOn = Boolean(prejoin.video) && prejoin.cameraOn;
  state.local.audio = prejoin.audio;
  if (state.local.audio) state.local.audio.enabled = state.audioOn;
  state.local.video = state.videoOn ? prejoin.video : null;
  view.setToggle('toggle-audio', !state.audioOn, ['muteMicrophone', 'unmuteMicrophone']);
  view.setToggle('toggle-video', !state.videoOn, ['stopCamera', 'startCamera']);
}

function onJoined(message) {
  const first = state.selfId === null;
  const previousSelf = state.selfId;
  const wasReconnecting = state.phase === 'reconnecting';
  state.selfId = message.participantId;
  state.role = message.role;
  state.roomId = message.room.id;
  state.token = message.resumeToken;
  state.title = message.room.title;
  // The router forgot the media of a connection that was lost (or was never asked): a new
  // RTCPeerConnection follows below; the old one must not offer again meanwhile.
  const oldMedia = state.media;
  state.media = null;
  oldMedia?.close();
  const roster = new Map(message.roster.map((p) => [p.id, p]));
  for (const id of state.roster.keys()) if (!roster.has(id)) view.removeParticipant(id);
  if (previousSelf && previousSelf !== state.selfId) view.removeParticipant(previousSelf);
  state.roster = roster;
  state.waiting = message.waiting ?? [];
  view.setRoomState(state.title, message.room.locked);
  view.setRecording(message.room.recording === true);
  const enteringNow = state.phase !== 'meeting' && !wasReconnecting;
  if (first) takeLocalTracks();
  state.phase = 'meeting';
  view.show('meeting');
  if (enteringNow) $('meeting-title').focus();
  if (wasReconnecting) {
    view.setConnection('reconnected');
    setTimeout(() => { if (state.phase === 'meeting' && !document.body.classList.contains('offline')) view.setConnection(''); }, 4000);
  }
  refresh();
  if (state.local.video) view.attachTrack(state.selfId, state.local.video);
  state.speaker ??= new ActiveSpeaker(levels, (id, previous) => {
    view.setSpeaking(previous, false);
    view.setSpeaking(id, true);
  });
  state.roundTrip ??= new RoundTripReporter(() => (state.phase === 'meeting' ? state.media : null), act);
  startMedia(first || previousSelf !== state.selfId).catch((error) => console.warn('media failed', error));
}

/** A new connection to the router (after joining, and after every reconnection). */
async function startMedia(announceState) {
  state.media?.close();
  clearTimeout(state.mediaTimer);
  clearTimeout(state.recoverTimer);
  state.mediaTimer = null;
  state.recoverTimer = null;
  const media = new MediaSession(signaling);
  state.media = media;
  media.setBuffering(state.buffering);
  state.shownSizes?.close();
  const shownSizes = new ShownSizes(act);
  state.shownSizes = shownSizes;
  media.onRemoteTrack = (publisherId, trackId, label, track) => {
    const tileId = label === 'screen' ? `${publisherId}-screen` : publisherId;
    view.attachTrack(tileId, track);
    if (track.kind === 'video') shownSizes.observe(trackId, view.videoOf(tileId));
    const publisher = state.roster.get(publisherId);
    if (publisher) view.renderParticipant(publisher, false); // names the screen's tile too
  };
  media.onRemoteTrackEnded = (trackId, publisherId, label, track) => {
    shownSizes.forget(trackId);
    view.detachTrack(label === 'screen' ? `${publisherId}-screen` : publisherId, track);
  };
  media.onConnectionState = (connection) => onMediaConnection(media, connection);
  media.onNegotiated = () => {
    if (media !== state.media || state.mediaTimer || media.connectionState === 'connected') return;
    state.mediaTimer = setTimeout(() => {
      state.mediaTimer = null;
      if (media === state.media && state.phase === 'meeting' && media.connectionState !== 'connected') showMediaAlert();
    }, MEDIA_TIMEOUT_MS);
  };
  if (announceState && (!state.audioOn || !state.videoOn))
    act({ type: 'media.state', audioMuted: !state.audioOn, videoMuted: !state.videoOn });
  const tracks = {};
  for (const label of ['audio', 'video', 'screen']) if (state.local[label]) tracks[label] = state.local[label];
  try {
    if (Object.keys(tracks).length > 0) await media.publish(tracks);
    await media.want(remoteTracks());
  } catch (error) {
    if (media === state.media) console.warn('negotiation failed', error);
  }
}

function showMediaAlert() {
  const address = state.media?.routerAddress;
  view.setMediaAlert(address ? t('mediaBlocked', { address }) : t('mediaBlockedNoAddress'));
}

function onMediaConnection(media, connection) {
  if (media !== state.media) return;
  if (connection === 'connected') {
    state.mediaConnected = true;
    clearTimeout(state.recoverTimer);
    state.recoverTimer = null;
    view.setMediaAlert(null);
  } else if (connection === 'failed') {
    if (state.mediaConnected) recoverMedia();
    else showMediaAlert();
  } else if (connection === 'disconnected' && state.mediaConnected && !state.recoverTimer) {
    state.recoverTimer = setTimeout(() => {
      state.recoverTimer = null;
      if (media === state.media && media.connectionState !== 'connected') recoverMedia();
    }, MEDIA_RECOVER_MS);
  }
}

/** Media stopped while signaling works: a new connection resumes (the router forgets the
 *  old media), unless that was tried just now. */
function recoverMedia() {
  if (state.phase !== 'meeting') return;
  if (Date.now() - state.lastRecovery < RECOVERY_INTERVAL_MS) {
    showMediaAlert();
    return;
  }
  state.lastRecovery = Date.now();
  reconnect();
}

/** Levels for the active speaker: each remote publisher's received audio, and one's own. */
async function levels() {
  const result = new Map();
  const media = state.media;
  if (!media || state.phase !== 'meeting') return result;
  const sections = media.receiving();
  for (const report of (await media.peerConnection.getStats()).values()) {
    if (report.type === 'inbound-rtp' && report.kind === 'audio') {
      const section = sections.find((s) => s.mid === report.mid);
      if (section?.publisherId) result.set(section.publisherId, Math.max(result.get(section.publisherId) ?? 0, report.audioLevel ?? 0));
    } else if (report.type === 'media-source' && report.kind === 'audio' && state.audioOn) {
      result.set(state.selfId, report.audioLevel ?? 0);
    }
  }
  return result;
}

// ---- Reconnecting -------------------------------------------------------------------

/** Connects again and takes this participant's place back (resume); when the server no
 *  longer knows the token, joins again as before. Pauses grow from 1 to 5 seconds. */
async function reconnect() {
  if (state.phase === 'reconnecting' || state.leaving || state.phase === 'ended') return;
  const inLobby = state.phase === 'lobby';
  state.phase = 'reconnecting';
  state.reconnects += 1;
  view.setConnection('reconnecting');
  // An old connection that is still open is closed by the server when we resume (4409).
  signaling.detach();
  const started = Date.now();
  let pause = 1000;
  while (!state.leaving && state.phase === 'reconnecting') {
    if (Date.now() - started > STILL_RECONNECTING_MS) view.setConnection('still');
    try {
      await signaling.connect();
    } catch {
      await sleep(pause + Math.random() * 250);
      pause = Math.min(pause * 1.5, 5000);
      continue;
    }
    try {
      if (!inLobby && state.token) {
        try {
          await signaling.request({ type: 'resume', roomId: state.roomId, token: state.token }, ['joined']);
          return; // onJoined carries on
        } catch (error) {
          if (error.code !== 'invalid_token') throw error;
          state.token = null;
        }
      }
      await signaling.request(state.join, ['joined', 'lobby.waiting']);
      if (state.phase === 'lobby') view.setConnection('');
      return;
    } catch (error) {
      if (error.code === 'closed') continue; // dropped again
      console.warn('could not come back', error);
      endMeeting('closedTitle', t(error.code) !== error.code ? error.code : null, !NO_WAY_BACK.has(error.code));
      return;
    }
  }
}

/** Refusals after which "Join again" would only be refused again. */
const NO_WAY_BACK = new Set(['removed', 'revoked_key', 'invalid_key', 'meeting_ended']);

function endMeeting(titleKey, reasonKey, canRejoin = true) {
  state.phase = 'ended';
  // A connection given up while reconnecting would otherwise linger (the browser answers
  // the server's pings): closing it tells the server this person is gone.
  signaling.closeDetached();
  state.speaker?.stop();
  state.media?.close();
  state.shownSizes?.close();
  clearTimeout(state.mediaTimer);
  for (const track of Object.values(state.local)) track?.stop();
  view.setConnection('');
  view.ended(titleKey, reasonKey, canRejoin);
}

// ---- Messages -----------------------------------------------------------------------

const s = signaling;
s.on('joined', onJoined);
s.on('lobby.waiting', () => {
  state.phase = 'lobby';
  view.show('lobby');
  $('lobby-title').focus();
});
s.on('lobby.denied', () => endMeeting('notAdmittedTitle', 'notAdmittedText', false));
s.on('participant.joined', (m) => { state.roster.set(m.participant.id, m.participant); refresh(); });
s.on('participant.updated', (m) => {
  state.roster.set(m.participant.id, m.participant);
  if (m.participant.id === state.selfId) state.role = m.participant.role;
  refresh();
});
s.on('participant.left', (m) => {
  state.roster.delete(m.participantId);
  view.removeParticipant(m.participantId);
  refresh();
});
s.on('lobby.updated', (m) => { state.waiting = m.waiting; refresh(); });
s.on('room.updated', (m) => view.setRoomState(state.title, m.locked));
s.on('media.buffer', (m) => {
  state.buffering = m.publishers ?? {};
  state.media?.setBuffering(state.buffering);
});
s.on('recording.started', () => view.setRecording(true));
s.on('recording.stopped', (m) => {
  view.setRecording(false);
  // The server stopped it on its own (the volume filled up, ...): say why.
  if (m.reason) view.moderationError(t('recordingStopped', { reason: m.reason }));
});
s.on('error', (m) => {
  // A recording that cannot start says why (the volume is locked or full, ...).
  if (m.request?.startsWith('recording.')) view.moderationError(m.message);
});
s.on('room.ended', () => endMeeting('endedTitle', 'endedText', false));
s.on('removed', (m) => endMeeting('removedTitle', m.reason === 'invitation_revoked' ? 'revokedText' : 'removedText', false));
s.on('close', (event) => {
  if (state.leaving || !['meeting', 'lobby'].includes(state.phase)) return;
  if (event.code === 4409) {
    endMeeting('closedTitle', 'replacedText');
    return;
  }
  // Closed on purpose by the server for what this page did: nothing to come back to.
  if ([1000, 1002, 1003, 1009, 4403, 4404, 4429].includes(event.code)) {
    endMeeting('closedTitle', null);
    return;
  }
  reconnect();
});

// ---- Controls -----------------------------------------------------------------------

async function newTrack(kind) {
  const id = kind === 'audio' ? prejoin.microphoneId : prejoin.cameraId;
  const constraints = kind === 'audio'
    ? { audio: id ? { deviceId: { ideal: id } } : true }
    : { video: id ? { ...VIDEO_CONSTRAINTS, deviceId: { ideal: id } } : VIDEO_CONSTRAINTS };
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  return kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
}

$('toggle-audio').addEventListener('click', async () => {
  if (!state.local.audio) {
    try {
      state.local.audio = await newTrack('audio');
      state.audioOn = false; // switched on below
      await state.media?.publish({ audio: state.local.audio });
    } catch (error) {
      console.warn('no microphone', error);
      return;
    }
  }
  state.audioOn = !state.audioOn;
  state.local.audio.enabled = state.audioOn;
  view.setToggle('toggle-audio', !state.audioOn, ['muteMicrophone', 'unmuteMicrophone']);
  act({ type: 'media.state', audioMuted: !state.audioOn });
});

$('toggle-video').addEventListener('click', async () => {
  if (state.videoOn) {
    // Off means off: the camera is released (its light goes out), not just blacked out.
    const track = state.local.video;
    state.local.video = null;
    state.videoOn = false;
    await state.media?.publish({ video: null }).catch(() => {});
    track?.stop();
    view.detachTrack(state.selfId, track);
  } else {
    try {
      const track = await newTrack('video');
      state.local.video = track;
      state.videoOn = true;
      view.attachTrack(state.selfId, track);
      await state.media?.publish({ video: track });
    } catch (error) {
      console.warn('no camera', error);
      return;
    }
  }
  view.setToggle('toggle-video', !state.videoOn, ['stopCamera', 'startCamera']);
  act({ type: 'media.state', videoMuted: !state.videoOn });
});

async function stopSharing() {
  const track = state.local.screen;
  if (!track) return;
  state.local.screen = null;
  track.stop();
  view.setToggle('toggle-screen', false, ['shareScreen', 'stopSharing']);
  await state.media?.unpublish('screen').catch(() => {});
}

$('toggle-screen').addEventListener('click', async () => {
  if (state.local.screen) {
    await stopSharing();
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true });
    state.local.screen = stream.getVideoTracks()[0];
    // Stopped from the browser's own "Stop sharing" bar.
    state.local.screen.addEventListener('ended', () => stopSharing());
    view.setToggle('toggle-screen', true, ['shareScreen', 'stopSharing']);
    await state.media?.publish({ screen: state.local.screen });
  } catch (error) {
    console.warn('screen share refused', error);
  }
});

$('toggle-hand').addEventListener('click', () => {
  state.hand = !state.hand;
  view.setToggle('toggle-hand', state.hand, ['raiseHand', 'lowerHand']);
  act({ type: state.hand ? 'hand.raise' : 'hand.lower' });
});

$('leave').addEventListener('click', () => {
  state.leaving = true;
  act({ type: 'leave' });
  endMeeting('leftTitle', null);
});

$('lock').addEventListener('click', (event) => {
  act({ type: event.currentTarget.dataset.locked === 'true' ? 'unlock' : 'lock' });
});
$('record').addEventListener('click', (event) => {
  act({ type: event.currentTarget.dataset.active === 'true' ? 'recording.stop' : 'recording.start' });
});
$('end').addEventListener('click', () => $('end-dialog').showModal());
$('end-cancel').addEventListener('click', () => $('end-dialog').close());
$('end-confirm').addEventListener('click', () => {
  $('end-dialog').close();
  act({ type: 'end' });
});
$('media-retry').addEventListener('click', () => {
  view.setMediaAlert(null);
  state.lastRecovery = 0;
  recoverMedia();
});
$('rejoin').addEventListener('click', () => {
  // An invitation key was taken out of the address bar: put it back for the new page.
  if (credential.key !== undefined) history.replaceState(null, '', `/invite#${encodeURIComponent(credential.key)}`);
  location.reload();
});
