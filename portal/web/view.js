// What the meeting looks like: the screens, the video tiles and their layout, the status
// lines and the moderator panel. Only this module touches the meeting's DOM.
import { t } from './texts.js';
import { $ } from './dom.js';

export function show(section) {
  for (const id of ['join', 'lobby', 'meeting', 'ended']) $(id).hidden = id !== section;
  document.body.dataset.screen = section;
}

export function joinError(text, field) {
  $('join-error').textContent = text;
  $('join-button').disabled = false;
  $('join-button').textContent = t('joinButton');
  for (const id of ['name', 'pin']) {
    if (id === field) $(id).setAttribute('aria-invalid', 'true');
    else $(id).removeAttribute('aria-invalid');
  }
  if (field) $(field).focus();
}

export function joining() {
  $('join-error').textContent = '';
  $('join-button').disabled = true;
  $('join-button').textContent = t('joining');
}

/** Joining with a personal invitation: no name (the invitation has it), no PIN. */
export function invited() {
  $('name-field').hidden = true;
  $('pin').closest('.field').hidden = true;
  $('joining-as').textContent = t('joiningInvited');
  $('joining-as').hidden = false;
}

export function signedIn(displayName) {
  $('name-field').hidden = true;
  $('joining-as').textContent = t('joiningAs', { name: displayName });
  $('joining-as').hidden = false;
}

export function ended(titleKey, reasonKey, canRejoin = true) {
  $('ended-title').textContent = t(titleKey);
  $('ended-reason').textContent = reasonKey ? t(reasonKey) : '';
  $('rejoin').hidden = !canRejoin;
  show('ended');
  $('ended-title').focus();
}

// ---- Tiles --------------------------------------------------------------------------

function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]][0];
  return (words.length > 1 ? first + [...words[words.length - 1]][0] : first).toUpperCase();
}

function tileFor(tileId, create = true) {
  let tile = document.querySelector(`.tile[data-participant="${CSS.escape(tileId)}"]`);
  if (!tile && create) {
    tile = document.createElement('figure');
    tile.className = 'tile no-video';
    tile.dataset.participant = tileId;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.srcObject = new MediaStream();
    const avatar = document.createElement('div');
    avatar.className = 'avatar';
    avatar.setAttribute('aria-hidden', 'true');
    const status = document.createElement('p');
    status.className = 'tile-status';
    const caption = document.createElement('figcaption');
    caption.className = 'name';
    // The frame keeps the picture's proportions inside the grid cell (meeting.css).
    const frame = document.createElement('div');
    frame.className = 'frame';
    frame.append(video, avatar, status, caption);
    tile.append(frame);
    const screen = tileId.endsWith('-screen');
    (screen ? $('presentation') : $('grid')).append(tile);
    layout();
  }
  return tile;
}

function tag(text, className) {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = text;
  return span;
}

/** Shows or updates a participant's tile (own tile: `self`), and their screen's if shared. */
export function renderParticipant(participant, self) {
  const tile = tileFor(participant.id);
  tile.dataset.self = self ? 'true' : 'false';
  const video = tile.querySelector('video');
  video.muted = self; // never play one's own microphone back
  tile.querySelector('.avatar').textContent = initials(participant.name);
  const caption = tile.querySelector('figcaption');
  const parts = [tag(self ? t('you', { name: participant.name }) : participant.name, 'label')];
  if (participant.sip) parts.push(tag(t('phone'), 'badge'));
  else if (participant.guest) parts.push(tag(t('guest'), 'badge'));
  if (participant.role === 'moderator') parts.push(tag(t('moderator'), 'tag'));
  if (participant.handRaised) parts.push(tag(`✋ ${t('handRaised')}`, 'tag hand'));
  if (participant.audioMutedByModerator) parts.push(tag(t('mutedByModerator'), 'tag muted'));
  else if (participant.audioMuted) parts.push(tag(t('muted'), 'tag muted'));
  caption.replaceChildren(...parts);
  tile.classList.toggle('reconnecting', participant.reconnecting === true);
  tile.querySelector('.tile-status').textContent = participant.reconnecting ? t('reconnectingTile') : '';
  const cameraOff = participant.videoMuted || participant.videoMutedByModerator;
  tile.classList.toggle('camera-off', cameraOff);
  const screen = tileFor(`${participant.id}-screen`, false);
  if (screen) {
    screen.querySelector('.avatar').textContent = initials(participant.name);
    screen.querySelector('figcaption').replaceChildren(tag(t('screenOf', { name: participant.name }), 'label'));
  }
}

export function removeParticipant(participantId) {
  for (const id of [participantId, `${participantId}-screen`]) tileFor(id, false)?.remove();
  layout();
}

/** Shows `track` in the tile `tileId` (a participant id, or "<id>-screen"). */
export function attachTrack(tileId, track) {
  const tile = tileFor(tileId);
  const video = tile.querySelector('video');
  const stream = video.srcObject;
  for (const old of stream.getTracks().filter((t) => t.kind === track.kind)) stream.removeTrack(old);
  stream.addTrack(track);
  if (track.kind === 'video') {
    // The picture shows once a frame of it arrives; until then, the initials.
    video.requestVideoFrameCallback(() => {
      if (stream.getVideoTracks().includes(track)) tile.classList.remove('no-video');
    });
    track.addEventListener('ended', () => detachTrack(tileId, track));
  }
  video.play().catch(() => {});
}

/** The video element of a tile (made if need be). */
export function videoOf(tileId) {
  return tileFor(tileId).querySelector('video');
}

export function detachTrack(tileId, track) {
  const tile = tileFor(tileId, false);
  if (!tile) return;
  const stream = tile.querySelector('video').srcObject;
  if (track) stream.removeTrack(track);
  if (stream.getVideoTracks().length === 0) {
    if (tileId.endsWith('-screen')) {
      tile.remove();
      layout();
    } else tile.classList.add('no-video');
  }
}

const PICTURE_ASPECT = 4 / 3;
const GAP_PX = 8;
const MOST_FITTED = 16; // more tiles than this scroll

/** The number of columns that gives `count` pictures the largest size on `width` x `height`. */
function bestColumns(count, width, height) {
  let best = 1;
  let bestArea = 0;
  for (let columns = 1; columns <= count; ++columns) {
    const rows = Math.ceil(count / columns);
    const cellWidth = (width - GAP_PX * (columns - 1)) / columns;
    const cellHeight = (height - GAP_PX * (rows - 1)) / rows;
    const pictureWidth = Math.min(cellWidth, cellHeight * PICTURE_ASPECT);
    const area = pictureWidth * (pictureWidth / PICTURE_ASPECT);
    if (area > bestArea + 1) {
      bestArea = area;
      best = columns;
    }
  }
  return best;
}

/** The grid's layout: its columns for the tiles and the stage's size, and whether a shared
 *  screen takes the stage (the others then go to a strip beside or below it). */
export function layout() {
  const grid = $('grid');
  const count = grid.children.length;
  const presenting = $('presentation').children.length > 0;
  $('presentation').hidden = !presenting;
  $('stage-layout').classList.toggle('presenting', presenting);
  grid.classList.toggle('strip', presenting);
  // The strip, or a grid of many, may scroll: keyboard users can reach it.
  if (presenting || count > MOST_FITTED) {
    grid.setAttribute('tabindex', '0');
    grid.setAttribute('role', 'region');
    grid.setAttribute('aria-label', t('participantsRegion'));
  } else {
    for (const name of ['tabindex', 'role', 'aria-label']) grid.removeAttribute(name);
  }
  const stage = $('stage-layout');
  grid.dataset.cols = count > MOST_FITTED ? 'auto'
    : String(Math.min(6, bestColumns(Math.max(count, 1), stage.clientWidth, stage.clientHeight)));
}

new ResizeObserver(() => layout()).observe($('stage-layout'));

export function setSpeaking(participantId, speaking) {
  const tile = participantId ? tileFor(participantId, false) : null;
  if (!tile) return;
  tile.classList.toggle('speaking', speaking);
}

// ---- Status lines -------------------------------------------------------------------

export function setRoomState(title, locked) {
  if (title) $('meeting-title').textContent = title;
  document.title = `${title || t('meetingTitle')} – ${t('pageTitle')}`;
  $('room-state').textContent = locked ? t('roomLocked') : '';
  $('room-state').hidden = !locked;
  $('lock').textContent = t(locked ? 'unlockRoom' : 'lockRoom');
  $('lock').dataset.locked = locked ? 'true' : 'false';
}

/** Shows everyone whether the meeting is being recorded, and the moderators' button. */
export function setRecording(active) {
  $('recording-state').hidden = !active;
  $('record').textContent = t(active ? 'stopRecording' : 'startRecording');
  $('record').dataset.active = active ? 'true' : 'false';
  $('moderation-error').textContent = '';
}

export function moderationError(text) {
  $('moderation-error').textContent = text;
}

/** The signaling connection's state: '' (fine), 'reconnecting', 'still' or 'reconnected'. */
export function setConnection(stateKey) {
  const keys = { reconnecting: 'reconnecting', still: 'stillReconnecting', reconnected: 'reconnected' };
  const text = stateKey ? t(keys[stateKey]) : '';
  for (const id of ['connection-state', 'lobby-connection']) {
    $(id).textContent = text;
    $(id).dataset.state = stateKey || 'ok';
  }
  document.body.classList.toggle('offline', stateKey === 'reconnecting' || stateKey === 'still');
}

/** The alert that media cannot flow (null hides it). */
export function setMediaAlert(text) {
  $('media-alert').hidden = !text;
  $('media-alert-text').textContent = text ?? '';
}

/** A control that changes what it does: its label says the action, `data-active` styles it. */
export function setToggle(id, active, labelKeys) {
  const button = $(id);
  button.dataset.active = active ? 'true' : 'false';
  button.textContent = t(labelKeys[active ? 1 : 0]);
}

// ---- Moderation ---------------------------------------------------------------------

function actionButton(action, labelKey, onClick) {
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.action = action;
  button.textContent = t(labelKey);
  button.addEventListener('click', onClick);
  return button;
}

/** Keeps a list's items (one per id, in order) and updates them in place, so that keyboard
 *  focus stays on a button while the list changes around it. */
function syncList(list, entries, create, update, fallbackFocus) {
  const existing = new Map([...list.children].map((item) => [item.dataset.id, item]));
  const focusedItem = document.activeElement?.closest?.('li');
  const wanted = new Set(entries.map((e) => e.id));
  let lostFocus = false;
  for (const [id, item] of existing) {
    if (!wanted.has(id)) {
      if (item === focusedItem) lostFocus = true;
      item.remove();
    }
  }
  let previous = null;
  for (const entry of entries) {
    let item = existing.get(entry.id);
    if (!item || !item.isConnected) {
      item = document.createElement('li');
      item.dataset.id = entry.id;
      create(item, entry);
    }
    update(item, entry);
    const expected = previous ? previous.nextElementSibling : list.firstElementChild;
    if (expected !== item) list.insertBefore(item, expected);
    previous = item;
  }
  if (lostFocus) (list.querySelector('button') ?? fallbackFocus).focus();
}

/** A list item: the person's name and tags, and their buttons in a group named after them
 *  (a screen reader says "Bob, group" before "Mute audio"). */
function personItem(item, entry, prefix, buttons) {
  const line = document.createElement('span');
  line.className = 'person';
  line.id = `${prefix}-${entry.id}`;
  const actions = document.createElement('span');
  actions.className = 'actions';
  actions.setAttribute('role', 'group');
  actions.setAttribute('aria-labelledby', line.id);
  actions.append(...buttons);
  item.append(line, actions);
}

function showPerson(item, entry) {
  const parts = [tag(entry.name, 'label')];
  if (entry.sip) parts.push(tag(t('phone'), 'tag'));
  else if (entry.guest) parts.push(tag(t('guest'), 'tag'));
  if (entry.role === 'moderator') parts.push(tag(t('moderator'), 'tag'));
  if (entry.handRaised) parts.push(tag(`✋ ${t('handRaised')}`, 'tag hand'));
  if (entry.reconnecting) parts.push(tag(t('reconnectingTile'), 'tag'));
  item.querySelector('.person').replaceChildren(...parts);
}

export function renderModeration(isModerator, roster, waiting, selfId, act) {
  $('moderation').hidden = !isModerator;
  document.body.classList.toggle('moderating', isModerator);
  if (!isModerator) return;
  $('nobody-waiting').hidden = waiting.length > 0;
  syncList($('waiting-list'), waiting, (item, w) => personItem(item, w, 'waiting', [
    actionButton('admit', 'admit', () => act({ type: 'admit', participantId: w.id })),
    actionButton('deny', 'deny', () => act({ type: 'deny', participantId: w.id })),
  ]), showPerson, $('waiting-title'));

  const others = [...roster.values()].filter((p) => p.id !== selfId);
  $('nobody-else').hidden = others.length > 0;
  syncList($('participant-list'), others, (item, p) => personItem(item, p, 'person', [
    actionButton('audio', 'muteAudio', () => act({ type: 'mute', participantId: p.id, kind: 'audio',
      muted: item.dataset.audioMuted !== 'true' })),
    actionButton('video', 'muteVideo', () => act({ type: 'mute', participantId: p.id, kind: 'video',
      muted: item.dataset.videoMuted !== 'true' })),
    actionButton('promote', 'makeModerator', () => act({ type: 'promote', participantId: p.id })),
    actionButton('remove', 'remove', () => act({ type: 'kick', participantId: p.id })),
  ]), (item, p) => {
    showPerson(item, p);
    item.dataset.audioMuted = p.audioMutedByModerator ? 'true' : 'false';
    item.dataset.videoMuted = p.videoMutedByModerator ? 'true' : 'false';
    const button = (action) => item.querySelector(`button[data-action="${action}"]`);
    button('audio').textContent = t(p.audioMutedByModerator ? 'allowAudio' : 'muteAudio');
    button('video').textContent = t(p.videoMutedByModerator ? 'allowVideo' : 'muteVideo');
    button('promote').hidden = p.role === 'moderator';
  }, $('participants-title'));
}
