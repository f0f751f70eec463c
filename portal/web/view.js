// What the meeting looks like: the video grid, the moderator panel, the screens.

const $ = (id) => document.getElementById(id);

export function show(section) {
  for (const id of ['join', 'lobby', 'meeting', 'ended']) $(id).hidden = id !== section;
}

export function joinError(text) {
  $('join-error').textContent = text;
  $('join-button').disabled = false;
}

export function ended(title, reason) {
  $('ended-title').textContent = title;
  $('ended-reason').textContent = reason ?? '';
  show('ended');
}

function tileFor(participantId, create = true) {
  let tile = document.querySelector(`.tile[data-participant="${CSS.escape(participantId)}"]`);
  if (!tile && create) {
    tile = document.createElement('figure');
    tile.className = 'tile';
    tile.dataset.participant = participantId;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.srcObject = new MediaStream();
    const caption = document.createElement('figcaption');
    caption.className = 'name';
    tile.append(video, caption);
    $('grid').append(tile);
  }
  return tile;
}

/** Shows or updates a participant's tile (own tile: `self`). */
export function renderParticipant(participant, self) {
  const tile = tileFor(participant.id);
  tile.dataset.self = self ? 'true' : 'false';
  const video = tile.querySelector('video');
  video.muted = self; // never play one's own microphone back
  const caption = tile.querySelector('figcaption');
  caption.textContent = participant.name + (self ? ' (you)' : '');
  if (participant.guest) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'guest';
    caption.append(badge);
  }
  if (participant.handRaised) caption.append(' ✋');
  if (participant.audioMutedByModerator || participant.audioMuted) caption.append(' (muted)');
}

export function removeParticipant(participantId) {
  tileFor(participantId, false)?.remove();
}

export function attachTrack(participantId, track) {
  const video = tileFor(participantId).querySelector('video');
  const stream = video.srcObject;
  for (const old of stream.getTracks().filter((t) => t.kind === track.kind)) stream.removeTrack(old);
  stream.addTrack(track);
  video.play().catch(() => {});
}

export function setRoomState(title, locked) {
  $('meeting-title').textContent = title;
  $('room-state').textContent = locked ? 'The room is locked.' : '';
  $('lock').textContent = locked ? 'Unlock room' : 'Lock room';
  $('lock').dataset.locked = locked ? 'true' : 'false';
}

/** Shows everyone whether the meeting is being recorded, and the moderators' button. */
export function setRecording(active) {
  $('recording-state').hidden = !active;
  $('record').textContent = active ? 'Stop recording' : 'Start recording';
  $('record').dataset.active = active ? 'true' : 'false';
  $('moderation-error').textContent = '';
}

export function moderationError(text) {
  $('moderation-error').textContent = text;
}

function actionButton(label, onClick) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.addEventListener('click', onClick);
  return button;
}

export function renderModeration(isModerator, roster, waiting, selfId, act) {
  $('moderation').hidden = !isModerator;
  if (!isModerator) return;
  const waitingList = $('waiting-list');
  waitingList.replaceChildren(...waiting.map((w) => {
    const item = document.createElement('li');
    item.append(`${w.name}${w.guest ? ' (guest)' : ''}`,
      actionButton('Admit', () => act({ type: 'admit', participantId: w.id })),
      actionButton('Deny', () => act({ type: 'deny', participantId: w.id })));
    return item;
  }));
  const list = $('participant-list');
  list.replaceChildren(...[...roster.values()].filter((p) => p.id !== selfId).map((p) => {
    const item = document.createElement('li');
    item.append(`${p.name}${p.guest ? ' (guest)' : ''}`,
      actionButton(p.audioMutedByModerator ? 'Allow audio' : 'Mute audio',
        () => act({ type: 'mute', participantId: p.id, kind: 'audio', muted: !p.audioMutedByModerator })),
      actionButton(p.videoMutedByModerator ? 'Allow video' : 'Mute video',
        () => act({ type: 'mute', participantId: p.id, kind: 'video', muted: !p.videoMutedByModerator })),
      actionButton('Make moderator', () => act({ type: 'promote', participantId: p.id })),
      actionButton('Remove', () => act({ type: 'kick', participantId: p.id })));
    return item;
  }));
}
