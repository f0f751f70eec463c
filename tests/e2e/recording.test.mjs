// End to end: two headless Chromium participants (a Y4M picture and a WAV tone each) in a
// meeting that the moderator records from the meeting page; the tracks land in an encrypted
// recording volume (userspace engine, made with parleyctl) and are checked with ffprobe and
// ffmpeg. Run by ctest, as root:
//   node tests/e2e/recording.test.mjs <parleyd> <parleyctl>
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

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
const cleanups = [];
const log = (...args) => console.log(new Date().toISOString().slice(11, 23), ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const RECORD_SECONDS = 10;

async function waitFor(what, predicate, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await predicate();
    if (last) return last;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function run(command, args, input) {
  const result = spawnSync(command, args, { input, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

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

function startServer() {
  const admin = run(parleyctl, [...common, 'user', 'create-admin', 'owner'], 'owner-password\n');
  assert.equal(admin.status, 0, admin.output);
  const server = spawn(parleyd, [...common, '--set', 'server.port=0', '--set', 'router.port=0',
    '--set', 'router.listen_address=127.0.0.1', '--set', 'router.announced_address=127.0.0.1'], { cwd: work });
  cleanups.push(() => server.kill('SIGTERM'));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`parleyd did not start:\n${output}`)), 20000);
    const onData = (chunk) => {
      output += chunk;
      const match = /portal\.https: listening on [^\n]*:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]), pid: server.pid });
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`parleyd exited with ${code}:\n${output}`)));
  });
}

function api(port, method, target, body, session) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : undefined;
    const headers = { 'Content-Type': 'application/json' };
    if (session) {
      headers.Cookie = `__Host-parley_session=${session.token}`;
      headers['X-CSRF-Token'] = session.csrf;
    }
    const request = https.request({ host: '127.0.0.1', port, method, path: target, headers, rejectUnauthorized: false },
      (response) => {
        let text = '';
        response.on('data', (chunk) => { text += chunk; });
        response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: text ? JSON.parse(text) : null }));
      });
    request.on('error', reject);
    if (data) request.write(data);
    request.end();
  });
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--ignore-certificate-errors',
  '--autoplay-policy=no-user-gesture-required', '--disable-background-networking', '--no-first-run'];

async function participant(name, media, base, link, session) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: [...FLAGS, `--use-file-for-fake-video-capture=${media.video}`,
      `--use-file-for-fake-audio-capture=${media.audio}`] });
  cleanups.push(() => browser.close());
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  if (session) await context.addCookies([{ name: '__Host-parley_session', value: session.token, url: base, secure: true, httpOnly: true, sameSite: 'Strict' }]);
  const page = await context.newPage();
  page.on('console', (message) => { if (message.type() === 'error') log(`[${name}]`, message.text()); });
  await page.goto(`${base}/join/${link}`);
  await page.fill('#name', name);
  await page.click('#join-button');
  await page.waitForSelector('#meeting:not([hidden])', { timeout: 15000 });
  const id = await page.evaluate(() => window.parleyMeeting.participantId());
  return { name, page, id };
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

  const { port, pid } = await startServer();
  const base = `https://127.0.0.1:${port}`;
  const login = await api(port, 'POST', '/api/v1/auth/login', { username: 'owner', password: 'owner-password' });
  assert.equal(login.status, 200);
  const token = /__Host-parley_session=([^;]+)/.exec(login.headers['set-cookie'].join(';'))[1];
  const session = { token, csrf: login.body.csrfToken };
  const room = (await api(port, 'GET', '/api/v1/rooms', null, session)).body.rooms[0];
  assert.equal((await api(port, 'PATCH', `/api/v1/rooms/${room.id}`, { waitingRoom: false }, session)).status, 200);

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

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error('FAIL:', error);
} finally {
  for (const cleanup of cleanups.reverse()) {
    try { await cleanup(); } catch { /* already gone */ }
  }
  await sleep(500);
  run(parleyctl, [...volumeArgs, 'volume', 'lock']);
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
