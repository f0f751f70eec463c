// The recordings page: sign in if needed, list what the user may see, play (HTTP range
// requests by the browser's own player), download, share, check and delete. Every sentence
// it shows is in recordings-texts.js.
import { call, currentSession, signIn } from './api.js';
import { $, applyTexts, button } from './dom.js';
import { texts } from './recordings-texts.js';
import { TrackPlayer } from './track-player.js';

// The page's texts, before anything is shown.
applyTexts(texts);
document.title = texts.page.title;

let shareTarget = null;
let refreshTimer = null;
let trackPlayer = null;

/** A failed call in words: the server's message, or the status when it gave none. */
const describe = (error) => error.message || texts.errors.status(error.status);

function say(message) {
  $('status').textContent = message;
}

const formatLength = (ms) => {
  if (ms === undefined) return '';
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};

const formatSize = (bytes) => (bytes === undefined ? '' : texts.megabytes((bytes / 1e6).toFixed(1)));

function stateText(recording) {
  const composition = recording.composition;
  if (recording.state === 'recording') return texts.state.recording;
  if (composition.state === 'pending' || composition.state === 'composing')
    return texts.state.preparing(Math.round(composition.progress * 100));
  if (composition.state === 'failed') return texts.state.failed(composition.error);
  const integrity = recording.integrity.result;
  if (integrity === 'mismatch' || integrity === 'missing') return texts.state.damaged(integrity);
  return integrity === 'ok' ? texts.state.readyChecked : texts.state.ready;
}

/** Shows the player section for `title`: the composed file, or the tracks in step. */
function openPlayer(title, note) {
  trackPlayer?.close();
  trackPlayer = null;
  $('player').pause();
  $('player-section').hidden = false;
  $('player-title').textContent = texts.playing(title);
  $('player-note').hidden = !note;
  $('player-note').textContent = note ?? '';
}

function link(text, href, accessibleName) {
  const anchor = document.createElement('a');
  anchor.href = href;
  anchor.textContent = text;
  anchor.className = 'button';
  anchor.setAttribute('download', '');
  anchor.setAttribute('aria-label', accessibleName);
  return anchor;
}

function actionsFor(recording) {
  const cell = document.createElement('td');
  const title = recording.roomTitle;
  if (recording.mediaUrl) {
    const play = button(texts.actions.play, () => {
      openPlayer(title);
      $('track-player').hidden = true;
      $('player').hidden = false;
      $('player').src = recording.mediaUrl;
      $('player').focus();
    }, { accessibleName: texts.actions.playLabel(title) });
    play.dataset.action = 'play';
    cell.append(play, ' ', link(texts.actions.download, recording.downloadUrl, texts.actions.downloadLabel(title)),
      ' ', link(texts.actions.export, `/api/v1/recordings/${recording.id}/export`, texts.actions.exportLabel(title)));
  } else if (recording.tracks.some((track) => track.mediaUrl)) {
    // Ready at once: the tracks play side by side while the single file is made.
    const play = button(texts.actions.playTracks, () => {
      openPlayer(title, texts.trackPlayer.note(Math.round(recording.composition.progress * 100)));
      $('player').hidden = true;
      $('player').removeAttribute('src');
      $('track-player').hidden = false;
      trackPlayer = new TrackPlayer($('track-player'), recording, texts.trackPlayer);
      trackPlayer.button.focus();
    }, { accessibleName: texts.actions.playTracksLabel(title) });
    play.dataset.action = 'play-tracks';
    cell.append(play);
  }
  if (recording.rights.manage) {
    const share = button(texts.actions.share, () => {
      shareTarget = recording;
      $('share-username').value = '';
      $('share-dialog').showModal();
    }, { accessibleName: texts.actions.shareLabel(title) });
    if (recording.composition.state === 'done') {
      const verify = button(texts.actions.check, async () => {
        try {
          const result = await call('POST', `/api/v1/recordings/${recording.id}/verify`);
          say(result.result === 'ok' ? texts.check.intact(title) : texts.check.result(title, result.result));
        } catch (error) { say(describe(error)); }
        await refresh();
      }, { accessibleName: texts.actions.checkLabel(title) });
      cell.append(' ', verify);
    }
    const remove = button(texts.actions.delete, async () => {
      if (!window.confirm(texts.remove.confirm(title))) return;
      try {
        await call('DELETE', `/api/v1/recordings/${recording.id}`);
        say(texts.remove.done(title));
      } catch (error) { say(describe(error)); }
      await refresh();
    }, { className: 'danger', accessibleName: texts.actions.deleteLabel(title) });
    cell.append(' ', share, ' ', remove);
  }
  return cell;
}

function render(recordings) {
  const rows = $('recording-rows');
  rows.replaceChildren();
  for (const recording of recordings) {
    const row = document.createElement('tr');
    row.dataset.id = recording.id;
    for (const text of [recording.roomTitle, new Date(recording.startedAt).toLocaleString(),
      // Before the single file exists, its tracks tell the length.
      formatLength(recording.durationMs ?? (recording.tracks.length
        ? Math.max(...recording.tracks.map((track) => track.lastMs)) : undefined)),
      formatSize(recording.sizeBytes), stateText(recording)]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    const composition = recording.composition;
    if (recording.state !== 'recording' && ['pending', 'composing'].includes(composition.state)) {
      // How far the single file is, as a bar beside the words.
      const bar = document.createElement('progress');
      bar.max = 1;
      bar.value = composition.progress;
      bar.setAttribute('aria-label', texts.progressLabel(recording.roomTitle));
      row.cells[4].append(' ', bar);
    }
    row.append(actionsFor(recording));
    rows.append(row);
  }
  $('empty').hidden = recordings.length > 0;
  $('recordings').hidden = recordings.length === 0;
}

/** When the single file of the recording whose tracks are playing is ready, it takes over
 *  at the same place (and the tracks may go: recording.keep_tracks = false). */
function switchToComposed(recordings) {
  const current = trackPlayer && recordings.find((recording) => recording.id === trackPlayer.recordingId);
  if (!current?.mediaUrl) return;
  const at = trackPlayer.position;
  const wasPlaying = trackPlayer.playing;
  trackPlayer.close();
  trackPlayer = null;
  $('track-player').hidden = true;
  const player = $('player');
  player.hidden = false;
  player.src = current.mediaUrl;
  player.addEventListener('loadedmetadata', () => {
    player.currentTime = at;
    if (wasPlaying) player.play().catch(() => {});
  }, { once: true });
  $('player-note').textContent = texts.trackPlayer.ready;
}

async function refresh() {
  const { recordings } = await call('GET', '/api/v1/recordings');
  render(recordings);
  switchToComposed(recordings);
  clearTimeout(refreshTimer);
  // While something is being prepared, follow its progress.
  if (recordings.some((r) => r.state === 'recording' || ['pending', 'composing'].includes(r.composition.state)))
    refreshTimer = setTimeout(() => refresh().catch((error) => say(describe(error))), 3000);
}

async function showLibrary() {
  $('sign-in').hidden = true;
  $('library').hidden = false;
  await refresh();
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('sign-in-error').textContent = '';
  try {
    await signIn($('username').value, $('password').value);
    $('password').value = '';
    await showLibrary();
  } catch (error) {
    $('sign-in-error').textContent = error.status === 401 ? texts.signIn.wrong : describe(error);
  }
});

$('share-cancel').addEventListener('click', () => $('share-dialog').close());
$('share-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const target = shareTarget;
  $('share-dialog').close();
  try {
    await call('POST', `/api/v1/recordings/${target.id}/shares`, { username: $('share-username').value });
    say(texts.shared(target.roomTitle, $('share-username').value));
  } catch (error) { say(describe(error)); }
  await refresh();
});

try {
  if (await currentSession()) await showLibrary();
  else $('sign-in').hidden = false;
} catch (error) {
  say(describe(error));
  $('sign-in').hidden = false;
}
