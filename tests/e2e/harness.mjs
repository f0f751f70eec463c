// What the browser tests share: a real parleyd started for the test, its REST API, and
// headless Chromium participants (Debian's chromium, driven by playwright-core).
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import https from 'node:https';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const log = (...args) => console.log(new Date().toISOString().slice(11, 23), ...args);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Functions run (newest first) when the test ends, pass or fail. */
export const cleanups = [];

export async function waitFor(what, predicate, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await predicate();
    if (last) return last;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs a command to its end: its exit status and its output (stdout and stderr). */
export function run(command, args, input) {
  const result = spawnSync(command, args, { input, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** parleyd settings every browser test starts with: its data directory, and cheap password
 *  hashing (the tests sign in often). */
export const testSettings = (dataDir) => ['--set', `server.data_dir=${dataDir}`,
  '--set', 'accounts.pbkdf2_iterations=1000', '--set', 'accounts.password_min_length=8'];

/** A Y4M file in `directory` for Chromium's fake camera: two seconds of one colour (Chromium
 *  loops it), so that a viewer can tell whose picture it receives. */
export function fakeCamera(directory, name, colour) {
  const file = path.join(directory, `${name}.y4m`);
  const result = run('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i',
    `color=c=${colour}:s=320x240:r=15`, '-t', '2', '-pix_fmt', 'yuv420p', file]);
  assert.equal(result.status, 0, `ffmpeg failed: ${result.output}`);
  return file;
}

/** A Y4M file in `directory` for Chromium's fake camera with motion and detail (a moving
 *  test pattern at 30 fps, 640x360 unless `size` says), so frames are several packets and
 *  loss shows. */
export function fakeMovingCamera(directory, name, size = '640x360') {
  const file = path.join(directory, `${name}-moving.y4m`);
  const result = run('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i',
    `testsrc2=s=${size}:r=30`, '-t', '2', '-pix_fmt', 'yuv420p', file]);
  assert.equal(result.status, 0, `ffmpeg failed: ${result.output}`);
  return file;
}

/** A WAV file in `directory` for Chromium's fake microphone: a sine tone. */
export function fakeMicrophone(directory, name, frequency) {
  const file = path.join(directory, `${name}.wav`);
  const result = run('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i',
    `sine=frequency=${frequency}:sample_rate=48000`, '-t', '4', '-ac', '1', file]);
  assert.equal(result.status, 0, `ffmpeg failed: ${result.output}`);
  return file;
}

/** A WAV file in `directory` for Chromium's fake microphone that sounds like speech to the
 *  browser's noise suppression: tone bursts (syllables) and pauses, where a steady tone is
 *  taken for background noise and turned down below any speaking level. */
export function fakeVoice(directory, name, frequency) {
  const file = path.join(directory, `${name}-voice.wav`);
  const syllables = `0.5*sin(2*PI*${frequency}*t)*sin(2*PI*3*t)*lt(mod(t\\,1)\\,0.7)`;
  const result = run('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i',
    `aevalsrc=${syllables}:s=48000`, '-t', '4', '-ac', '1', file]);
  assert.equal(result.status, 0, `ffmpeg failed: ${result.output}`);
  return file;
}

/** Creates the admin "owner" with parleyctl, starts parleyd with `settings` (--set pairs),
 *  and resolves with its HTTPS port and pid once it listens (and `sipPort` with SIP on). The media router listens on
 *  127.0.0.1, on `router.port` (default: any free port), and announces
 *  `router.announcedAddress` (default 127.0.0.1); ICE-TCP on `router.tcpPort` (default: any free port).
 *  With a port given (a relay in front of it), one media worker, so that all media uses that
 *  port; otherwise `router.workers`, by default one per core, each on a free port. */
export function startServer(parleyd, parleyctl, settings, workDir, router = {}) {
  const admin = run(parleyctl, [...settings, 'user', 'create-admin', 'owner'], 'owner-password\n');
  assert.equal(admin.status, 0, admin.output);
  const server = spawn(parleyd, [...settings, '--set', 'server.port=0', '--set', `router.port=${router.port ?? 0}`,
    '--set', `router.tcp_port=${router.tcpPort ?? 0}`,
    '--set', `router.workers=${router.workers ?? (router.port || router.tcpPort ? 1 : 0)}`,
    '--set', 'router.listen_address=127.0.0.1',
    '--set', `router.announced_address=${router.announcedAddress ?? '127.0.0.1'}`], { cwd: workDir });
  cleanups.push(() => server.kill('SIGTERM'));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`parleyd did not start:\n${output}`)), 20000);
    const onData = (chunk) => {
      output += chunk;
      // For diagnosing a failure by hand: the server's log, kept in a file.
      if (process.env.PARLEY_E2E_SERVER_LOG) appendFileSync(process.env.PARLEY_E2E_SERVER_LOG, chunk);
      const match = / event=https\.listening [^\n]* port=(\d+)/.exec(output);
      // With SIP on, its port too (it starts after the portal).
      const sip = / event=sip\.listening [^\n]* port=(\d+)/.exec(output);
      if (match && (sip || !settings.includes('sip.enabled=true'))) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]), pid: server.pid, sipPort: sip ? Number(sip[1]) : 0 });
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('error', (error) => reject(error));
    server.on('exit', (code) => reject(new Error(`parleyd exited with ${code}:\n${output}`)));
  });
}

export function api(port, method, target, body, session) {
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

/** A GET whose body is kept as bytes (media); `headers` are added (e.g. Range). */
export function fetchBytes(port, target, session, headers = {}) {
  return new Promise((resolve, reject) => {
    const all = { ...headers, Cookie: `__Host-parley_session=${session.token}` };
    const request = https.request({ host: '127.0.0.1', port, method: 'GET', path: target, headers: all,
      rejectUnauthorized: false }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** Logs a user in; resolves with the session (cookie token and CSRF token). */
export async function login(port, username, password) {
  const response = await api(port, 'POST', '/api/v1/auth/login', { username, password });
  assert.equal(response.status, 200, `login of ${username}`);
  const token = /__Host-parley_session=([^;]+)/.exec(response.headers['set-cookie'].join(';'))[1];
  return { token, csrf: response.body.csrfToken };
}

/** Logs "owner" in; returns the session and the owner's personal room, without a waiting room. */
export async function ownerRoom(port) {
  const session = await login(port, 'owner', 'owner-password');
  const room = (await api(port, 'GET', '/api/v1/rooms', null, session)).body.rooms[0];
  assert.equal((await api(port, 'PATCH', `/api/v1/rooms/${room.id}`, { waitingRoom: false }, session)).status, 200);
  return { session, room };
}

/** Chromium's flags for every browser test: headless, fake camera and microphone, no prompts. */
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--ignore-certificate-errors',
  '--autoplay-policy=no-user-gesture-required', '--disable-background-networking', '--no-first-run'];

/** A Chromium participant that joins `link` as `name`, its camera fed from the Y4M file
 *  `video` and, if given, its microphone from the WAV file `audio`; signed in with
 *  `session` if given (then the page asks no name). `beforeJoin(page)` runs on the screen
 *  before joining; `until` is the selector that says it has joined (default: the meeting
 *  is shown); `extraFlags` are more Chromium switches. Resolves once it is there. */
export async function participant({ name, video, audio, base, link, session, beforeJoin, until = '#meeting:not([hidden])',
  viewport, extraFlags = [] }) {
  const args = [...FLAGS, ...extraFlags, `--use-file-for-fake-video-capture=${video}`];
  if (audio) args.push(`--use-file-for-fake-audio-capture=${audio}`);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  cleanups.push(() => browser.close());
  const context = await browser.newContext({ ignoreHTTPSErrors: true, ...(viewport ? { viewport } : {}) });
  if (session) await context.addCookies([{ name: '__Host-parley_session', value: session.token, url: base, secure: true, httpOnly: true, sameSite: 'Strict' }]);
  const page = await context.newPage();
  page.on('console', (message) => { if (message.type() === 'error') log(`[${name}]`, message.text()); });
  await page.goto(`${base}/join/${link}`);
  if (session) await page.waitForSelector('#joining-as:not([hidden])', { timeout: 15000 });
  else await page.fill('#name', name);
  if (beforeJoin) await beforeJoin(page);
  await page.click('#join-button');
  await page.waitForSelector(until, { timeout: 15000 });
  const id = await page.evaluate(() => window.parleyMeeting.participantId());
  return { name, page, id, browser };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the page as it is now and fails, listing them, on any serious or
 *  critical violation. axe is evaluated through the DevTools protocol, so the page's strict
 *  CSP stays on. `what` names the page state in the message. */
/** Signs in with the front door's form (the page must show it). */
export async function signIn(page, username, password) {
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#sign-in-button');
}

export async function checkAccessibility(page, what) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of violations) log(`axe (${what}): ${v.impact} ${v.id}: ${v.help} at ${v.nodes.join(', ')}`);
  assert.deepEqual(serious, [], `${what}: no serious or critical accessibility violations`);
}

/** Where the browser tests keep their screenshots (not part of the repository): the
 *  PARLEY_SCREENSHOTS directory, or build/e2e-screenshots in the checkout. */
export const screenshotDirectory = process.env.PARLEY_SCREENSHOTS ??
  path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'e2e-screenshots');

/** Saves a full-page screenshot as <directory>/<name>.png, for a person to look at. */
export async function screenshot(page, name) {
  mkdirSync(screenshotDirectory, { recursive: true });
  const file = path.join(screenshotDirectory, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log('screenshot', file);
  return file;
}

/** Runs `main`, then every cleanup; exits 0 on success, 1 with the error printed. */
export async function runTest(main, finallyDo = () => {}) {
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
    await finallyDo();
  }
  process.exit(failed ? 1 : 0);
}

/** The `viewer`'s inbound stream (the meeting page's test hook) from participant `from` of
 *  `kind` ('audio' or 'video'), or null. */
export async function inbound(viewer, from, kind) {
  return (await viewer.page.evaluate(() => window.parleyMeeting.inbound()))
    .find((e) => e.publisherId === from.id && e.kind === kind) ?? null;
}

/** parleyd's series from /metrics whose names start with `prefix` (`token`: a metrics
 *  token): name{labels} -> value. */
export function routerMetrics(port, token, prefix = 'parley_router_') {
  return new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: '/metrics', rejectUnauthorized: false,
      headers: { Authorization: `Bearer ${token}` } }, (response) => {
      let text = '';
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => {
        const values = {};
        for (const line of text.split('\n')) {
          const match = /^(parley_[a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$/.exec(line);
          if (match && match[1].startsWith(prefix)) values[match[1]] = Number(match[2]);
        }
        resolve(values);
      });
    }).on('error', reject);
  });
}
