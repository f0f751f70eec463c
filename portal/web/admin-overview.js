// Overview: the server at a glance (meetings, people, media rates, recordings, volume,
// certificate, directory, backups, version and uptime), refreshed every 5 seconds while shown.
import { call } from './api.js';
import { $, element } from './dom.js';
import { explain, say } from './admin.js';
import { texts } from './admin-texts.js';
import { clockNow, count, date, dateTime, duration, percent, rate, size } from './admin-format.js';

const REFRESH_MS = 5000;
let timer = null;
let shown = false;
let generation = 0; // a refresh loop from an earlier showing stops itself

function showVolume(volume) {
  if (!volume || volume.state !== 'unlocked') {
    $('ov-volume').textContent = texts.overview.volumeUnavailable;
    $('ov-volume').className = 'state-line bad';
    $('ov-volume-detail').textContent = volume?.reason ?? '';
    return;
  }
  $('ov-volume').textContent = texts.overview.volumeReady;
  $('ov-volume').className = 'state-line good';
  $('ov-volume-detail').textContent = texts.overview.volumeDetail(
    texts.volume.engines[volume.engine] ?? volume.engine, size(volume.freeBytes), size(volume.sizeBytes));
}

function showTls(tls) {
  if (!tls) {
    $('ov-tls').textContent = texts.unknown;
    $('ov-tls-detail').textContent = '';
    return;
  }
  const expired = tls.daysLeft !== undefined && tls.daysLeft < 0;
  $('ov-tls').textContent = expired ? texts.overview.tlsExpired
    : tls.expiresSoon ? texts.overview.tlsSoon(tls.daysLeft, date(tls.notAfter)) : texts.overview.tlsOk(date(tls.notAfter));
  $('ov-tls').className = `state-line ${expired || tls.expiresSoon ? 'bad' : 'good'}`;
  $('ov-tls-detail').textContent = (tls.names ?? []).join(', ');
}

function showDirectory(directory) {
  let text = texts.overview.directoryOff;
  let state = '';
  if (directory?.enabled) {
    if (directory.reachable === null || directory.reachable === undefined) text = texts.overview.directoryUnchecked;
    else if (directory.reachable) [text, state] = [texts.overview.directoryUp, 'good'];
    else [text, state] = [texts.overview.directoryDown, 'bad'];
  }
  $('ov-directory').textContent = text;
  $('ov-directory').className = `state-line ${state}`;
  $('ov-directory-detail').textContent = directory?.enabled && directory.checkedAt
    ? texts.overview.checkedAt(directory.message, dateTime(directory.checkedAt)) : '';
}

function showBackup(backup) {
  const line = $('ov-backup');
  const detail = $('ov-backup-detail');
  const o = texts.overview;
  const last = backup?.lastSuccessAt ? dateTime(backup.lastSuccessAt) : texts.unknown;
  const states = {
    none: [o.backupNone, '', o.backupNoneHint],
    ok: [o.backupOk(last), 'good', o.backupDetail(size(backup?.lastSuccessBytes))],
    stale: [o.backupStale(last), 'bad', ''],
    failing: [o.backupFailing(backup?.consecutiveFailures), 'bad', o.backupLastGood(last, backup?.lastError)],
    unreadable: [o.backupUnreadable, 'bad', backup?.message ?? ''],
  };
  const [text, state, hint] = states[backup?.state] ?? [texts.unknown, '', ''];
  line.textContent = text;
  line.className = `state-line ${state}`;
  detail.textContent = hint;
}

function showMeetings(meetings) {
  $('ov-meeting-list').replaceChildren(...meetings.map((meeting) => {
    const item = element('li');
    const link = element('a', texts.overview.meeting(meeting.title, meeting.participants));
    link.href = `#meetings/${meeting.roomId}`;
    item.append(link);
    return item;
  }));
}

function render(overview, meetings) {
  $('ov-live-meetings').textContent = count(overview.liveMeetings);
  $('ov-participants').textContent = count(overview.participants);
  $('ov-waiting').textContent = count(overview.waiting);
  const media = overview.media ?? {};
  $('ov-media-off').hidden = media.available !== false;
  $('ov-media').hidden = media.available === false;
  $('ov-media-in').textContent = rate(media.bitsPerSecondIn);
  $('ov-media-out').textContent = rate(media.bitsPerSecondOut);
  $('ov-loss').textContent = percent(media.packetLossPercent);
  $('ov-cpu').textContent = percent(media.routerCpuPercent);
  const recordings = overview.recordings ?? {};
  $('ov-rec-running').textContent = count(recordings.running);
  $('ov-rec-composing').textContent = count(recordings.composing);
  $('ov-rec-queued').textContent = count(recordings.queued);
  $('ov-rec-failed').textContent = count(recordings.failed);
  showVolume(overview.volume);
  showTls(overview.tls);
  showDirectory(overview.directory);
  showBackup(overview.backup);
  $('ov-version').textContent = overview.version ?? texts.unknown;
  $('ov-uptime').textContent = texts.overview.running(duration(overview.uptimeSeconds), dateTime(overview.startedAt));
  showMeetings(meetings);
  $('overview-updated').textContent = texts.updatedAt(clockNow());
}

async function refresh(loop = generation) {
  clearTimeout(timer);
  try {
    const [overview, { meetings }] = await Promise.all([
      call('GET', '/api/v1/admin/overview'), call('GET', '/api/v1/admin/meetings')]);
    // The certificate, when the overview does not carry it, from its own endpoint.
    overview.tls ??= await call('GET', '/api/v1/admin/tls').catch(() => null);
    if (shown) render(overview, meetings);
  } catch (error) {
    say(explain(error));
  }
  if (shown && loop === generation) {
    clearTimeout(timer);
    timer = setTimeout(() => refresh(loop), REFRESH_MS);
  }
}

export async function show() {
  shown = true;
  generation += 1;
  await refresh();
}

export function hide() {
  shown = false;
  generation += 1;
  clearTimeout(timer);
}
