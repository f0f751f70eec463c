// End to end: two headless Chromium participants (a Y4M picture and a WAV tone each) in a
// meeting that the moderator records from the meeting page; the tracks land in an encrypted
// recording volume (userspace engine, made with parleyctl) and are checked with ffprobe and
// ffmpeg. Run by ctest, as root:
//   node tests/e2e/recording.test.mjs <parleyd> <parleyctl>
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { cleanups, log, sleep, waitFor, run, startServer, ownerRoom, participant as join, runTest } from './harness.mjs';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: recording.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-rec-'));
const dataDir = path.join(work, 'data');
const mountPoint = path.join(work, 'recordings');
const container = path.join(work, 'recordings.luks');
const common = ['--set', `server.data_dir=${dataDir}`, '--set', 'accounts.pbkdf2_iterations=1000',
  '--set', 'accounts.password_min_length=8', '--set', `volume.mount_point=${mountPoint}`];
const volumeArgs = [...common, '--set', `volume.container=${container}`, '--set', 'volume.engine=userspace',
  '--set', `volume.runtime_dir=${path.join(work, 'run')}`, '--set', 'volume.kdf_memory_kib=32',
  '--set', 'volume.kdf_parallel=1'];
const RECORD_SECONDS = 10;

function makeMedia(name, colour, frequency) {
  const video = path.join(work, `${name}.y4m`);
  const audio = path.join(work, `${name}.wav`);
  let result = run('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', `color=c=${colour}:s=320x240:r=15`,
    '-t', '2', '-pix_fmt', 'yuv420p', video]);
  assert.equal(result.status, 0, result.output);
  result = run('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i',
    `sine=frequency=${frequency}:sample_rate=48000`, '-t', '4', '-ac', '1', audio]);
  assert.equal(result.status, 0, result.output);
  return { video, audio };
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
    duration: Number(/duration=([\d.]+)/.exec(result.output)?.[1]),
  };
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
  await bob.page.waitForSelector('#recording-state[hidden]', { state: 'attached', timeout: 10000 });
  const cpuUsed = cpuSeconds(pid) - cpuBefore;
  log('recording stopped');

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
    const decode = run('ffmpeg', ['-v', 'error', '-i', full, '-f', 'null', '-']);
    assert.equal(decode.output.trim(), '', `${file} decodes cleanly`);
    if (file.endsWith('-audio.webm')) {
      const volume = run('ffmpeg', ['-i', full, '-af', 'volumedetect', '-f', 'null', '-']);
      const mean = Number(/mean_volume: (-?[\d.]+) dB/.exec(volume.output)?.[1]);
      log(file, 'mean volume', mean, 'dB');
      assert.ok(mean > -60, `${file} is not silent (${mean} dB; digital silence is -91)`);
    }
  }
  // Recorder and router together, per recorded stream, during the recording.
  log(`parleyd CPU while recording: ${cpuUsed.toFixed(2)} s over ${RECORD_SECONDS} s for 4 streams =`,
    `${(100 * cpuUsed / RECORD_SECONDS / 4).toFixed(2)} % of a core per stream (router forwarding included)`);
  log('PASS');
}

await runTest(main, async () => {
  await sleep(500);
  run(parleyctl, [...volumeArgs, 'volume', 'lock']);
  rmSync(work, { recursive: true, force: true });
});
