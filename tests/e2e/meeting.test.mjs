// End to end: real parleyd, real headless Chromium (Debian's, driven by playwright-core), real
// WebRTC through the media router. Run by ctest:
//   node tests/e2e/meeting.test.mjs <parleyd> <parleyctl>
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: meeting.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-'));
const dataDir = path.join(work, 'data');
const common = ['--set', `server.data_dir=${dataDir}`, '--set', 'accounts.pbkdf2_iterations=1000',
  '--set', 'accounts.password_min_length=8'];
const cleanups = [];
const log = (...args) => console.log(new Date().toISOString().slice(11, 23), ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

// A coloured test picture per participant: each must see the others' colours, not its own.
function makeVideo(name, colour) {
  const file = path.join(work, `${name}.y4m`);
  const result = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i',
    `color=c=${colour}:s=320x240:r=15`, '-t', '2', '-pix_fmt', 'yuv420p', file]);
  assert.equal(result.status, 0, `ffmpeg failed: ${result.stderr}`);
  return file;
}

function startServer() {
  const admin = spawnSync(parleyctl, [...common, 'user', 'create-admin', 'owner'], { input: 'owner-password\n' });
  assert.equal(admin.status, 0, `parleyctl failed: ${admin.stdout}${admin.stderr}`);
  const server = spawn(parleyd, [...common, '--set', 'server.port=0', '--set', 'router.port=0',
    '--set', 'router.listen_address=127.0.0.1', '--set', 'router.announced_address=127.0.0.1'],
  { cwd: work });
  cleanups.push(() => server.kill('SIGTERM'));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`parleyd did not start:\n${output}`)), 20000);
    const onData = (chunk) => {
      output += chunk;
      const match = /portal\.https: listening on [^\n]*:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
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
  '--autoplay-policy=no-user-gesture-required'];

async function participant(name, colour, base, link, session) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: [...FLAGS, `--use-file-for-fake-video-capture=${makeVideo(name, colour)}`] });
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

async function inbound(p) {
  return p.page.evaluate(() => window.parleyMeeting.inbound());
}

async function received(p, from, kind) {
  const entry = (await inbound(p)).find((e) => e.publisherId === from.id && e.kind === kind);
  return entry ? (kind === 'video' ? entry.framesDecoded : entry.packetsReceived) : 0;
}

// The average colour of the video tile showing `of`, as [r, g, b].
async function colourOf(viewer, of) {
  return viewer.page.evaluate((id) => {
    const video = document.querySelector(`.tile[data-participant="${id}"] video`);
    if (!video || video.videoWidth === 0) return null;
    const canvas = document.createElement('canvas');
    canvas.width = 32;
    canvas.height = 24;
    const context = canvas.getContext('2d');
    context.drawImage(video, 0, 0, 32, 24);
    const pixels = context.getImageData(0, 0, 32, 24).data;
    const sum = [0, 0, 0];
    for (let i = 0; i < pixels.length; i += 4) for (let c = 0; c < 3; ++c) sum[c] += pixels[i + c];
    return sum.map((v) => Math.round(v / (pixels.length / 4)));
  }, of.id);
}

function dominant([r, g, b]) {
  if (r > 150 && g < 100 && b < 100) return 'red';
  if (b > 150 && r < 100 && g < 100) return 'blue';
  if (g > 100 && r < 100 && b < 100) return 'green';
  return `rgb(${r},${g},${b})`;
}

async function growing(viewer, from, kind, ms = 2500) {
  const before = await received(viewer, from, kind);
  await sleep(ms);
  return (await received(viewer, from, kind)) - before;
}

async function main() {
  const port = await startServer();
  const base = `https://127.0.0.1:${port}`;
  log('parleyd on', port);
  const login = await api(port, 'POST', '/api/v1/auth/login', { username: 'owner', password: 'owner-password' });
  assert.equal(login.status, 200);
  const token = /__Host-parley_session=([^;]+)/.exec(login.headers['set-cookie'].join(';'))[1];
  const session = { token, csrf: login.body.csrfToken };
  const rooms = await api(port, 'GET', '/api/v1/rooms', null, session);
  const room = rooms.body.rooms[0];
  const patched = await api(port, 'PATCH', `/api/v1/rooms/${room.id}`, { waitingRoom: false }, session);
  assert.equal(patched.status, 200);

  const alice = await participant('Alice', 'red', base, room.link, session); // the owner: moderator
  const bob = await participant('Bob', 'blue', base, room.link);
  log('two participants joined');

  // Each decodes the other's video and receives the other's audio.
  await waitFor('Alice decoding Bob', async () => (await received(alice, bob, 'video')) > 10);
  await waitFor('Bob decoding Alice', async () => (await received(bob, alice, 'video')) > 10);
  await waitFor('audio both ways', async () => (await received(alice, bob, 'audio')) > 20 && (await received(bob, alice, 'audio')) > 20);
  assert.ok((await growing(alice, bob, 'audio', 1500)) > 10, "Bob's audio keeps arriving at Alice");

  // Each sees the other's colour, not its own.
  const aliceSees = dominant(await waitFor('a picture at Alice', () => colourOf(alice, bob)));
  const bobSees = dominant(await waitFor('a picture at Bob', () => colourOf(bob, alice)));
  log('Alice sees', aliceSees, '; Bob sees', bobSees);
  assert.equal(aliceSees, 'blue');
  assert.equal(bobSees, 'red');

  // A third joins and receives both; both receive the third.
  const carol = await participant('Carol', 'green', base, room.link);
  await waitFor('Carol decoding Alice and Bob', async () => (await received(carol, alice, 'video')) > 10 && (await received(carol, bob, 'video')) > 10);
  await waitFor('Alice and Bob decoding Carol', async () => (await received(alice, carol, 'video')) > 10 && (await received(bob, carol, 'video')) > 10);
  assert.equal(dominant(await waitFor('Carol sees Alice', () => colourOf(carol, alice))), 'red');
  assert.equal(dominant(await waitFor('Carol sees Bob', () => colourOf(carol, bob))), 'blue');
  assert.equal(dominant(await waitFor('Bob sees Carol', () => colourOf(bob, carol))), 'green');
  log('three participants see each other');

  // The guest badge is shown for guests.
  const badges = await alice.page.locator('.tile .badge').count();
  assert.equal(badges, 2, 'Bob and Carol are marked as guests');

  // The moderator mutes Bob's audio: the others' received audio from Bob stops growing, while
  // Alice's audio still flows.
  await alice.page.locator('#participant-list li', { hasText: 'Bob' }).getByRole('button', { name: 'Mute audio' }).click();
  await sleep(1000);
  const bobAudioAfterMute = await growing(carol, bob, 'audio', 2500);
  const aliceAudioMeanwhile = await growing(carol, alice, 'audio', 1000);
  log('after mute: Bob audio +', bobAudioAfterMute, ', Alice audio +', aliceAudioMeanwhile);
  assert.ok(bobAudioAfterMute <= 2, 'no audio from a muted participant');
  assert.ok(aliceAudioMeanwhile > 10, 'the others are not muted');
  assert.ok((await growing(carol, bob, 'video', 1500)) > 5, "Bob's video still flows");

  // The moderator removes Carol: her media stops reaching the others, and she is told.
  await alice.page.locator('#participant-list li', { hasText: 'Carol' }).getByRole('button', { name: 'Remove' }).click();
  await carol.page.waitForSelector('#ended:not([hidden])', { timeout: 10000 });
  await sleep(1000);
  const carolVideo = await growing(bob, carol, 'video', 2000);
  log('after kick: Carol video at Bob +', carolVideo);
  assert.ok(carolVideo <= 1, "a removed participant's media stops");
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
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
