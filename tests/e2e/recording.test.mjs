// End to end: two headless Chromium participants (a Y4M picture and a WAV tone each) in a
// meeting that the moderator records for 90 s from the meeting page; within 10 s of the stop
// the recordings page plays it (its tracks side by side while the single file is made); the
// tracks land in an encrypted recording volume (userspace engine, made with parleyctl) and
// are checked with ffprobe and ffmpeg; the composed file is then fetched through the
// recordings API (whole, by range, by someone it is shared with; refused to someone else),
// checked, and deleted. Run by ctest,
// as root:
//   node tests/e2e/recording.test.mjs <parleyd> <parleyctl>
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { api, checkAccessibility, cleanups, fetchBytes, log, login, sleep, waitFor, run, screenshot, startServer,
  ownerRoom, participant as join, runTest, fakeCamera, fakeMicrophone, testSettings } from './harness.mjs';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: recording.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-rec-'));
const dataDir = path.join(work, 'data');
const mountPoint = path.join(work, 'recordings');
const container = path.join(work, 'recordings.luks');
const common = [...testSettings(dataDir), '--set', `volume.mount_point=${mountPoint}`];
const volumeArgs = [...common, '--set', `volume.container=${container}`, '--set', 'volume.engine=userspace',
  '--set', `volume.runtime_dir=${path.join(work, 'run')}`, '--set', 'volume.kdf_memory_kib=32',
  '--set', 'volume.kdf_parallel=1'];
// Long enough that composing takes a while: the recording must play before that, from its tracks.
const RECORD_SECONDS = 90;

function makeMedia(name, colour, frequency) {
  return { video: fakeCamera(work, name, colour), audio: fakeMicrophone(work, name, frequency) };
}

function participant(name, media, base, link, session) {
  return join({ name, video: media.video, audio: media.audio, base, link, session });
}

async function decoded(viewer, from) {
  const entry = (await viewer.page.evaluate(() => window.parleyMeeting.inbound()))
    .find((e) => e.publisherId === from.id && e.kind === 'video');
  return entry ? entry.framesDecoded : 0;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

function probe(file) {
  const result = run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name:format=duration',
    '-of', 'default=nw=1', file]);
  assert.equal(result.status, 0, result.output);
  return {
    codec: /codec_name=(\w+)/.exec(result.output)?.[1],
    codecs: [...result.output.matchAll(/codec_name=(\w+)/g)].map((match) => match[1]),
    duration: Number(/duration=([\d.]+)/.exec(result.output)?.[1]),
  };
}

/** Decodes every frame of `file` with ffprobe: how many, and what the decoder complained of.
 *  (Not `ffmpeg -f null`: its null muxer rounds times to the guessed frame rate and then
 *  complains of frames that are closer together than that, which a player does not mind.) */
function decodeFrames(file) {
  const result = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'frame=media_type', '-of', 'csv=p=0', file],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { frames: result.stdout.split('\n').filter((line) => line.trim()).length, errors: result.stderr.trim() };
}

function meanVolume(file) {
  const volume = run('ffmpeg', ['-i', file, '-af', 'volumedetect', '-f', 'null', '-']);
  return Number(/mean_volume: (-?[\d.]+) dB/.exec(volume.output)?.[1]);
}

/** Every file below `directory` (not following links), skipping `except`. */
function filesBelow(directory, except) {
  const found = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (full === except) continue;
    if (entry.isDirectory()) found.push(...filesBelow(full, except));
    else found.push(full);
  }
  return found;
}

async function main() {
  // The encrypted volume the server records into.
  let result = run(parleyctl, [...volumeArgs, 'volume', 'create', '--size', '200M'], 'volume-pass\n');
  assert.equal(result.status, 0, result.output);
  result = run(parleyctl, [...volumeArgs, 'volume', 'unlock'], 'volume-pass\n');
  assert.equal(result.status, 0, result.output);
  cleanups.push(() => run(parleyctl, [...volumeArgs, 'volume', 'lock']));

  const { port, pid } = await startServer(parleyd, parleyctl, common, work);
  const base = `https://127.0.0.1:${port}`;
  const { session, room } = await ownerRoom(port);

  const alice = await participant('Alice', makeMedia('alice', 'red', 440), base, room.link, session);
  const bob = await participant('Bob', makeMedia('bob', 'blue', 660), base, room.link);
  await waitFor('media both ways', async () => (await decoded(alice, bob)) > 10 && (await decoded(bob, alice)) > 10);
  log('meeting running');

  // The moderator starts recording: both see the banner.
  const cpuBefore = cpuSeconds(pid);
  const started = Date.now();
  await alice.page.click('#record');
  await alice.page.waitForSelector('#recording-state:not([hidden])', { timeout: 10000 });
  await bob.page.waitForSelector('#recording-state:not([hidden])', { timeout: 10000 });
  log('recording');
  await sleep(RECORD_SECONDS * 1000 - (Date.now() - started));
  await alice.page.click('#record');
  const stoppedAt = Date.now();
  await bob.page.waitForSelector('#recording-state[hidden]', { state: 'attached', timeout: 10000 });
  const cpuUsed = cpuSeconds(pid) - cpuBefore;
  log('recording stopped');

  // Ready at once: the recordings page plays it now, the tracks in step, while the single
  // file is still being made (its progress shown).
  const early = await alice.page.context().newPage();
  await early.goto(`${base}/recordings`);
  await early.waitForSelector('button[data-action="play-tracks"]', { timeout: 10000 });
  assert.ok(await early.$('tbody progress'), 'the composition\'s progress is shown');
  await early.click('button[data-action="play-tracks"]');
  await early.click('#track-player button.primary');
  await early.waitForFunction(() => {
    const videos = [...document.querySelectorAll('#track-player video')];
    const sounds = [...document.querySelectorAll('#track-player audio')];
    return videos.length === 2 && sounds.length === 2 &&
      [...videos, ...sounds].every((media) => !media.paused && media.currentTime > 1) &&
      videos.every((video) => video.videoWidth > 0);
  }, null, { timeout: 10000, polling: 100 });
  const playableAfter = (Date.now() - stoppedAt) / 1000;
  log(`playing ${playableAfter.toFixed(1)} s after the stop, from the tracks`);
  assert.ok(playableAfter <= 10, `playable ${playableAfter} s after the stop`);
  // The tracks stay in step: every element within half a second of the others.
  const spread = await early.evaluate(() => {
    const times = [...document.querySelectorAll('#track-player video, #track-player audio')].map((m) => m.currentTime);
    return Math.max(...times) - Math.min(...times);
  });
  assert.ok(spread < 0.5, `the tracks are ${spread} s apart`);
  const names = await early.$$eval('#track-player figcaption', (captions) => captions.map((c) => c.textContent).sort());
  // Alice is the signed-in owner: her tile bears her account's name.
  assert.deepEqual(names, ['Bob', 'owner']);
  await checkAccessibility(early, 'recordings page playing the tracks');
  await screenshot(early, 'recordings-playing-tracks');

  // Four tracks (two microphones, two cameras), each about the recorded length, decoding
  // without an error; the audio is the tone, not silence. Files only inside the volume.
  const directories = readdirSync(mountPoint).filter((entry) => /^\d+$/.test(entry));
  assert.equal(directories.length, 1, `one recording directory in ${readdirSync(mountPoint)}`);
  const directory = path.join(mountPoint, directories[0]);
  const files = readdirSync(directory).filter((file) => file.endsWith('.webm'));
  log('tracks:', files.join(', '));
  assert.equal(files.length, 4);
  for (const file of files) {
    const full = path.join(directory, file);
    const info = probe(full);
    log(file, info, statSync(full).size, 'bytes');
    assert.equal(info.codec, file.endsWith('-audio.webm') ? 'opus' : 'vp8');
    assert.ok(Math.abs(info.duration - RECORD_SECONDS) <= 1.5, `${file} lasts ${info.duration} s`);
    const decoded = decodeFrames(full);
    assert.equal(decoded.errors, '', `${file} decodes cleanly`);
    // Opus frames are 20 ms; video at least a few frames a second.
    const minimum = file.endsWith('-audio.webm') ? 40 * RECORD_SECONDS : 3 * RECORD_SECONDS;
    assert.ok(decoded.frames >= minimum, `${file}: ${decoded.frames} frames decoded, expected at least ${minimum}`);
    if (file.endsWith('-audio.webm')) {
      const mean = meanVolume(full);
      log(file, 'mean volume', mean, 'dB');
      assert.ok(mean > -60, `${file} is not silent (${mean} dB; digital silence is -91)`);
    }
  }
  // Recorder and router together, per recorded stream, during the recording.
  log(`parleyd CPU while recording: ${cpuUsed.toFixed(2)} s over ${RECORD_SECONDS} s for 4 streams =`,
    `${(100 * cpuUsed / RECORD_SECONDS / 4).toFixed(2)} % of a core per stream (router forwarding included)`);

  // The composition job makes one playable file; the API reports its progress and result.
  let recording;
  await waitFor('the composed file', async () => {
    const list = await api(port, 'GET', '/api/v1/recordings', null, session);
    recording = list.body.recordings[0];
    assert.notEqual(recording.composition.state, 'failed', JSON.stringify(recording.composition));
    return recording.composition.state === 'done';
  }, 120000).catch((error) => { throw new Error(`${error.message}: ${JSON.stringify(recording)}`); });
  // The page, still playing the tracks, hands over to the single file at the same place.
  await early.waitForFunction(() => {
    const player = document.getElementById('player');
    return !player.hidden && document.getElementById('track-player').hidden && player.currentTime > 2 && !player.paused;
  }, null, { timeout: 15000 });
  log('the page went on with the composed file');
  await early.close();
  const seconds = recording.composition.seconds;
  log(`composed ${recording.durationMs} ms in ${seconds.toFixed(2)} s =`,
    `${(recording.durationMs / 1000 / seconds).toFixed(1)}x real time, ${recording.sizeBytes} bytes`);
  assert.equal(recording.tracks.length, 4);
  assert.equal(recording.owner, 'owner');

  // Nothing of the recording outside the volume: no media or partial files in the server's
  // data directory or anywhere else in the test's directory.
  const outside = filesBelow(work, mountPoint).filter((file) => /\.(webm|mkv|partial|tmp)$/i.test(file));
  assert.deepEqual(outside, [], 'recording files outside the volume');

  // The whole file: a VP8 picture and Opus sound of the recorded length, the sound not
  // silent, its SHA-256 the one stored, and the same bytes as the file in the volume.
  const whole = await fetchBytes(port, `/api/v1/recordings/${recording.id}/download`, session);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers['content-type'], 'video/webm');
  assert.match(whole.headers['content-disposition'], /^attachment; filename="recording-\d+\.webm"$/);
  assert.equal(whole.body.length, recording.sizeBytes);
  assert.equal(createHash('sha256').update(whole.body).digest('hex'), recording.sha256);
  const inVolume = path.join(mountPoint, String(recording.id), 'recording.webm');
  assert.ok(readFileSync(inVolume).equals(whole.body), 'download = file in the volume');
  const info = probe(inVolume);
  log('composed file', info);
  assert.deepEqual(info.codecs.sort(), ['opus', 'vp8']);
  assert.ok(Math.abs(info.duration - RECORD_SECONDS) <= 1.5, `composed file lasts ${info.duration} s`);
  const composed = decodeFrames(inVolume);
  assert.equal(composed.errors, '', 'the composed file decodes cleanly');
  assert.ok(composed.frames >= 40 * RECORD_SECONDS, `the composed file: ${composed.frames} frames decoded`);
  const mean = meanVolume(inVolume);
  log('composed mean volume', mean, 'dB');
  assert.ok(mean > -60, `the composed sound is not silent (${mean} dB)`);

  // The raw container holds none of it in clear: neither a slice of the composed file nor
  // the Opus header every track file starts with.
  const raw = readFileSync(container);
  const middle = Math.floor(whole.body.length / 2);
  assert.equal(raw.indexOf(whole.body.subarray(middle, middle + 64)), -1, 'composed bytes in clear in the container');
  assert.equal(raw.indexOf(Buffer.from('OpusHead')), -1, 'a track header in clear in the container');

  // Playback by range: 206 with exactly the bytes asked for.
  const part = await fetchBytes(port, `/api/v1/recordings/${recording.id}/media`, session, { Range: 'bytes=1000-1999' });
  assert.equal(part.status, 206);
  assert.equal(part.headers['content-range'], `bytes 1000-1999/${whole.body.length}`);
  assert.ok(part.body.equals(whole.body.subarray(1000, 2000)), 'range body');
  const tail = await fetchBytes(port, `/api/v1/recordings/${recording.id}/media`, session, { Range: 'bytes=-500' });
  assert.equal(tail.status, 206);
  assert.ok(tail.body.equals(whole.body.subarray(whole.body.length - 500)), 'suffix range body');
  const beyond = await fetchBytes(port, `/api/v1/recordings/${recording.id}/media`, session,
    { Range: `bytes=${whole.body.length}-` });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers['content-range'], `bytes */${whole.body.length}`);

  // Another user without rights: 403 on metadata, playback and download, and nothing
  // listed. Shared with them, they may play it (not delete it).
  for (const name of ['mallory', 'carol']) {
    const created = await api(port, 'POST', '/api/v1/users',
      { username: name, password: `${name}-password`, role: 'user' }, session);
    assert.equal(created.status, 201);
  }
  const mallory = await login(port, 'mallory', 'mallory-password');
  for (const what of ['media', 'download']) {
    const refused = await fetchBytes(port, `/api/v1/recordings/${recording.id}/${what}`, mallory, { Range: 'bytes=0-99' });
    assert.equal(refused.status, 403, `${what} refused`);
  }
  assert.equal((await api(port, 'GET', `/api/v1/recordings/${recording.id}`, null, mallory)).status, 403);
  assert.equal((await api(port, 'GET', '/api/v1/recordings', null, mallory)).body.recordings.length, 0);
  const shared = await api(port, 'POST', `/api/v1/recordings/${recording.id}/shares`, { username: 'carol' }, session);
  assert.equal(shared.status, 201);
  const carol = await login(port, 'carol', 'carol-password');
  const carolPart = await fetchBytes(port, `/api/v1/recordings/${recording.id}/media`, carol, { Range: 'bytes=0-99' });
  assert.equal(carolPart.status, 206);
  assert.ok(carolPart.body.equals(whole.body.subarray(0, 100)));
  assert.equal((await api(port, 'DELETE', `/api/v1/recordings/${recording.id}`, null, carol)).status, 403);

  // The recordings page plays it in the browser's own player (which asks by range).
  const library = await alice.page.context().newPage();
  await library.goto(`${base}/recordings`);
  await library.waitForSelector(`tr[data-id="${recording.id}"] button[data-action="play"]`, { timeout: 10000 });
  await library.click(`tr[data-id="${recording.id}"] button[data-action="play"]`);
  await library.evaluate(() => document.getElementById('player').play());
  await library.waitForFunction(() => {
    const player = document.getElementById('player');
    // Two 320x240 cameras: a picture of half the configured size is enough.
    return player.videoWidth === 640 && player.currentTime > 1;
  }, null, { timeout: 15000 });
  log('the recordings page plays the composed file');
  await checkAccessibility(library, 'recordings page playing');
  await screenshot(library, 'recordings-playing');
  await library.close();

  // On demand integrity check.
  const verified = await api(port, 'POST', `/api/v1/recordings/${recording.id}/verify`, null, session);
  assert.equal(verified.status, 200);
  assert.equal(verified.body.result, 'ok');

  // Every access is on record: the owner's many requests (tracks, ranges, the page's
  // player) in one session are one viewing; the download, the share, mallory's refusals.
  const audit = async (query) => (await api(port, 'GET', `/api/v1/audit?${query}`, null, session)).body.entries;
  assert.equal((await audit('action=recording.view&actor=owner')).length, 1);
  assert.equal((await audit('action=recording.download&actor=owner')).length, 1);
  assert.equal((await audit('action=recording.view&actor=mallory&outcome=failure')).length, 1);
  assert.equal((await audit('action=recording.download&actor=mallory&outcome=failure')).length, 1);
  assert.equal((await audit('action=recording.share&actor=owner')).length, 1);
  assert.equal((await audit('action=recording.view&actor=carol&outcome=success')).length, 1);

  // Delete: the files go from the volume, the record from the API, and it is audited.
  const recordingDirectory = path.dirname(inVolume);
  assert.equal((await api(port, 'DELETE', `/api/v1/recordings/${recording.id}`, null, session)).status, 204);
  assert.ok(!existsSync(recordingDirectory), 'recording directory removed');
  assert.equal((await api(port, 'GET', `/api/v1/recordings/${recording.id}`, null, session)).status, 404);
  assert.equal((await audit('action=recording.delete&actor=owner')).length, 1);
  log('PASS');
}

await runTest(main, async () => {
  await sleep(500);
  run(parleyctl, [...volumeArgs, 'volume', 'lock']);
  rmSync(work, { recursive: true, force: true });
});
