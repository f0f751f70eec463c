// End to end: a SIP endpoint (Debian's baresip over TLS, SDES-SRTP, Opus, a 1000 Hz tone,
// VP8 video of red, green and blue bars) calls a meeting by its ID and meets a Chromium
// participant (a 600 Hz microphone, a red camera) through Parley's SIP bridge and media
// router: each hears and sees the other, and a participant who joins later sees the phone at
// once (its keyframe request reaches the phone). Then an admin gives a room system an account in
// the admin console; it registers with it, calls the meeting, now with a PIN, enters a wrong
// PIN and the right one by DTMF, and is hung up when the admin deletes its account. The first
// call is recorded into an encrypted volume. Parley does not rekey these calls
// (sip.rekey_seconds = 0): Debian 12's baresip 1.0.0 cannot take a new key in a re-INVITE
// (fixed in baresip 3.12), so it would hear nothing after the first; rekeying is tested in
// sip_tests (docs/sip.md). Run by ctest:
//   node tests/e2e/sip.test.mjs <parleyd> <parleyctl>
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { log, sleep, waitFor, startServer, ownerRoom, participant, runTest, fakeCamera,
  fakeVoice, testSettings, cleanups, screenshot, checkAccessibility, api, run, routerMetrics } from './harness.mjs';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: sip.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-sip-'));
// An encrypted recording volume (userspace engine), so that the phone's call can be recorded.
const mountPoint = path.join(work, 'recordings');
const common = [...testSettings(path.join(work, 'data')), '--set', `volume.mount_point=${mountPoint}`];
const volumeArgs = [...common, '--set', `volume.container=${path.join(work, 'recordings.luks')}`, '--set',
  'volume.engine=userspace', '--set', `volume.runtime_dir=${path.join(work, 'run')}`, '--set',
  'volume.kdf_memory_kib=32', '--set', 'volume.kdf_parallel=1'];

/** A TCP port free on 127.0.0.1 a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** baresip 1.0.0 as an endpoint: calls `uri` once it starts, sends a tone and VP8 video (the
 *  fakevideo module: red, green and blue bars, 5 frames a second, so that a keyframe of its
 *  own comes only every 25.6 s: 128 frames, libvpx's default), writes what it hears to a WAV file (sndfile module) in its
 *  directory. A guest unless `account` (the accounts line) says otherwise; commands (DTMF,
 *  snapshots) go to it over its ctrl_tcp port. */
async function baresip(uri, toneHz, name, account = null) {
  const dir = path.join(work, `baresip-${name.replace(/\W/g, '')}`);
  const sounds = path.join(dir, 'sounds');
  mkdirSync(sounds, { recursive: true });
  const control = await freePort();
  writeFileSync(path.join(dir, 'config'), [
    'poll_method epoll', 'sip_listen 127.0.0.1:0', 'net_interface 127.0.0.1',
    `audio_source ausine,${toneHz}`, `audio_alert ausine,${toneHz}`, 'audio_player aubridge,parley-e2e',
    'rtcp_mux yes', 'rtp_ports 30000-39999', `snd_path ${sounds}`, `ctrl_tcp_listen 127.0.0.1:${control}`,
    'video_source fakevideo,nil', 'video_display fakevideo,nil', 'video_size 352x288', 'video_fps 5',
    'video_bitrate 300000', 'module_path /usr/lib/baresip/modules',
    'module opus.so', 'module srtp.so', 'module ausine.so', 'module aubridge.so', 'module sndfile.so',
    'module vp8.so', 'module fakevideo.so', 'module snapshot.so',
    'module_tmp account.so', 'module_app menu.so', 'module_app ctrl_tcp.so', ''].join('\n'));
  writeFileSync(path.join(dir, 'accounts'), `${account ??
    `"${name}" <sip:guest@127.0.0.1;transport=tls>;mediaenc=srtp-mand;audio_codecs=opus/48000/2;regint=0`}\n`);
  let output = '';
  const child = spawn('/usr/bin/baresip', ['-f', dir, ...(uri ? ['-e', `/dial ${uri}`] : [])], { cwd: dir });
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  cleanups.push(() => child.kill('SIGKILL'));
  return {
    output: () => output,
    sounds,
    /** Presses `digits` on the phone (RFC 4733 events in its call), through ctrl_tcp's
     *  netstring commands. */
    keys: (digits) => command('sndcode', digits),
    /** Writes the next video frame it receives to `file` (PNG). */
    snapshot: (file) => command('snapshot_recv', file),
    stop: async () => { child.kill('SIGTERM'); await exited; },
  };

  function command(name, params) {
    return new Promise((resolve, reject) => {
      const command = JSON.stringify({ command: name, params, token: name });
      const socket = net.connect(control, '127.0.0.1', () => socket.write(`${Buffer.byteLength(command)}:${command},`));
      socket.on('data', () => { socket.end(); resolve(); });
      socket.on('error', reject);
      socket.setTimeout(5000, () => { socket.destroy(); reject(new Error('baresip did not answer its command')); });
    });
  }
}

/** The average colour of an image file, [r, g, b], by FFmpeg scaling it to one pixel. */
function averageColour(file) {
  const result = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', 'scale=1:1', '-f', 'rawvideo',
    '-pix_fmt', 'rgb24', '-']);
  assert.equal(result.status, 0, result.stderr.toString());
  return [...result.stdout.subarray(0, 3)];
}

/** The average colour of the left, middle and right thirds of the video `viewer` shows of
 *  participant `id`, or null while it shows none. */
function thirdsOf(viewer, id) {
  return viewer.page.evaluate((of) => {
    const video = document.querySelector(`.tile[data-participant="${of}"] video`);
    if (!video || video.videoWidth === 0) return null;
    const canvas = document.createElement('canvas');
    canvas.width = 36;
    canvas.height = 12;
    const context = canvas.getContext('2d');
    context.drawImage(video, 0, 0, 36, 12);
    const pixels = context.getImageData(0, 0, 36, 12).data;
    return [0, 1, 2].map((third) => {
      const sum = [0, 0, 0];
      let n = 0;
      // Two columns in from each edge of the third: scaling blurs the bars' borders.
      for (let y = 0; y < 12; ++y) for (let x = third * 12 + 2; x < third * 12 + 10; ++x, ++n)
        for (let c = 0; c < 3; ++c) sum[c] += pixels[(y * 36 + x) * 4 + c];
      return sum.map((v) => Math.round(v / n));
    });
  }, id);
}

function named([r, g, b]) {
  if (r > 150 && g < 100 && b < 100) return 'red';
  if (g > 100 && r < 100 && b < 100) return 'green';
  if (b > 150 && r < 100 && g < 100) return 'blue';
  return `rgb(${r},${g},${b})`;
}

/** A silent WAV file for a participant who only watches (Chromium's own fake microphone
 *  beeps). */
function silence(directory, name) {
  const file = path.join(directory, `${name}-silence.wav`);
  const result = run('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-t', '2', file]);
  assert.equal(result.status, 0, `ffmpeg failed: ${result.output}`);
  return file;
}

/** The loudest frequency (Hz) in a WAV file's last `seconds`, by FFmpeg's own spectrum: the
 *  file is resampled to 8 kHz and the strongest of 1 Hz-wide bins is found here. */
function loudestFrequency(file, seconds) {
  const result = spawnSync('ffmpeg', ['-v', 'error', '-sseof', `-${seconds}`, '-i', file, '-ac', '1', '-ar', '8000',
    '-f', 's16le', '-'], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, result.stderr.toString());
  const samples = new Int16Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.length / 2);
  let best = 0;
  let bestPower = 0;
  for (let hz = 100; hz <= 3000; hz += 10) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < samples.length; ++i) {
      const angle = 2 * Math.PI * hz * i / 8000;
      re += samples[i] * Math.cos(angle);
      im += samples[i] * Math.sin(angle);
    }
    const power = re * re + im * im;
    if (power > bestPower) { bestPower = power; best = hz; }
  }
  return best;
}

await runTest(async () => {
  let made = run(parleyctl, [...volumeArgs, 'volume', 'create', '--size', '200M'], 'volume-pass\n');
  assert.equal(made.status, 0, made.output);
  made = run(parleyctl, [...volumeArgs, 'volume', 'unlock'], 'volume-pass\n');
  assert.equal(made.status, 0, made.output);
  cleanups.push(() => run(parleyctl, [...volumeArgs, 'volume', 'lock']));

  const settings = [...common, '--set', 'sip.enabled=true', '--set', 'sip.port=0', '--set',
    'sip.listen_address=127.0.0.1', '--set', 'sip.allow_guests=true', '--set', 'sip.rekey_seconds=0'];
  const { port, sipPort } = await startServer(parleyd, parleyctl, settings, work);
  assert.ok(sipPort > 0, 'parleyd says where SIP listens');
  const base = `https://127.0.0.1:${port}`;
  const { session, room } = await ownerRoom(port);

  const alice = await participant({ name: 'Alice', video: fakeCamera(work, 'Alice', 'red'),
    audio: fakeVoice(work, 'Alice', 600), base, link: room.link, session });

  // A meeting ID nobody has is refused before any media (404), and counted.
  const stranger = await baresip(`sip:999999999@127.0.0.1:${sipPort};transport=tls`, 1000, 'Stranger');
  await waitFor('the unknown meeting refused', () => /404|Not Found/.test(stranger.output()), 15000);
  await stranger.stop();

  const phone = await baresip(`sip:${room.meetingId}@127.0.0.1:${sipPort};transport=tls`, 1000, 'Ward 3 Room');
  const callStarted = Date.now();
  // Alice sees the phone join, named and marked as a phone.
  const entry = alice.page.locator('#participant-list li', { hasText: 'Ward 3 Room' });
  await entry.waitFor({ timeout: 20000 });
  assert.match(await entry.innerText(), /phone \(SIP\)/);
  const phoneId = await alice.page.evaluate(() =>
    [...document.querySelectorAll('.tile')].find((t) => t.textContent.includes('Ward 3 Room'))?.dataset.participant);
  assert.ok(phoneId, 'the phone has a tile');
  // The admin's view of the live meeting says so too.
  const people = (await api(port, 'GET', `/api/v1/admin/meetings/${room.id}`, null, session)).body.people;
  const phoneEntry = people.find((p) => p.participantId === phoneId);
  assert.ok(phoneEntry?.sip && phoneEntry.guest && phoneEntry.name === 'Ward 3 Room', JSON.stringify(people));

  // Alice hears the phone's 1000 Hz tone; the phone hears Alice's 600 Hz.
  const heard = await waitFor('the phone\'s tone at Alice', async () => {
    const hz = await alice.page.evaluate((id) => window.parleyMeeting.audioFrequency(id, 1500), phoneId);
    return hz && Math.abs(hz - 1000) < 30 ? hz : null;
  }, 30000);
  log('Alice hears the phone at', heard, 'Hz');
  const token = run(parleyctl, [...common, 'metrics', 'create-token']).output.split('\n')[0].trim();
  const sipMetrics = () => routerMetrics(port, token, 'parley_sip_');
  const phonePackets = async () => (await alice.page.evaluate(() => window.parleyMeeting.inbound()))
    .find((e) => e.publisherId === phoneId && e.kind === 'audio')?.packetsReceived ?? 0;
  const phoneFrames = async () => (await alice.page.evaluate(() => window.parleyMeeting.inbound()))
    .find((e) => e.publisherId === phoneId && e.kind === 'video')?.framesDecoded ?? 0;
  const [p0, f0, t0] = [await phonePackets(), await phoneFrames(), Date.now()];

  // Alice sees the phone's picture: its red, green and blue bars, at its size.
  const bars = await waitFor('the phone\'s picture at Alice', async () => {
    const thirds = await thirdsOf(alice, phoneId);
    return thirds && thirds.map(named).join(' ') === 'red green blue' ? thirds : null;
  }, 20000);
  log('Alice sees the phone as', JSON.stringify(bars));
  assert.equal(await alice.page.evaluate((id) =>
    document.querySelector(`.tile[data-participant="${id}"] video`).videoWidth, phoneId), 352);
  // The phone sees Alice's red camera (baresip writes the next frame it decodes).
  const snapshot = path.join(work, 'phone-sees.png');
  await phone.snapshot(snapshot);
  await waitFor('the phone\'s snapshot', () => existsSync(snapshot), 10000);
  await sleep(300); // written whole
  const phoneSees = averageColour(snapshot);
  log('the phone sees', JSON.stringify(phoneSees));
  assert.equal(named(phoneSees), 'red', `the phone sees Alice's red camera: ${phoneSees}`);

  // Bob joins later. After its first, baresip sends a keyframe of its own only 25.6 s into
  // the call, so Bob sees the phone before that only because his request for one reached it:
  // the router asks the SIP bridge, the bridge asks baresip by RTCP PLI.
  const joinedAt = Date.now();
  const bob = await participant({ name: 'Bob', video: fakeCamera(work, 'Bob', 'blue'),
    audio: silence(work, 'Bob'), base, link: room.link });
  log(`Bob is in the meeting ${Date.now() - joinedAt} ms after he began to join`);
  const bobSees = await waitFor('the phone\'s picture at Bob', async () => {
    const thirds = await thirdsOf(bob, phoneId);
    return thirds && thirds.map(named).join(' ') === 'red green blue' ? thirds : null;
  }, 12000);
  const [firstPictureMs, intoCall] = [Date.now() - joinedAt, Date.now() - callStarted];
  log(`Bob sees the phone ${firstPictureMs} ms after he began to join, ${intoCall} ms into the call`,
    JSON.stringify(bobSees));
  assert.ok(intoCall < 24000, `a keyframe asked for, not the phone's next own one (${intoCall} ms into the call)`);
  await bob.browser.close();

  // From Alice first hearing the phone to after Bob's picture (about 10 s, with a participant
  // joining and the phone's picture asked for again), Alice receives every one of the phone's
  // packets (50 a second) and decodes its pictures (5 a second) without a pause.
  const [p1, f1, t1] = [await phonePackets(), await phoneFrames(), Date.now()];
  const expected = (t1 - t0) / 20;
  log(`over ${t1 - t0} ms Alice received ${p1 - p0} of the phone's packets (${expected} sent)` +
    ` and decoded ${f1 - f0} of its video frames`);
  assert.ok(p1 - p0 >= expected - 5, `no pause in the phone's audio: ${p1 - p0} of ${expected} packets`);
  assert.ok(f1 - f0 >= (t1 - t0) / 200 - 5, `no pause in the phone's video: ${f1 - f0} frames`);
  // A recording of the meeting holds the phone's voice as a track of its own, under its name.
  const started = await api(port, 'POST', `/api/v1/rooms/${room.id}/recording`, { action: 'start' }, session);
  assert.equal(started.status, 200, JSON.stringify(started.body));
  await sleep(4000);
  assert.equal((await api(port, 'POST', `/api/v1/rooms/${room.id}/recording`, { action: 'stop' }, session)).status, 200);
  const recording = await waitFor('the recording written', async () => {
    const body = (await api(port, 'GET', `/api/v1/recordings/${started.body.recordingId}`, null, session)).body;
    return body.state === 'recorded' ? body : null;
  }, 20000);
  const phoneTrack = recording.tracks.find((t) => t.displayName === 'Ward 3 Room' && t.label === 'audio');
  assert.ok(phoneTrack, `the phone has a track: ${JSON.stringify(recording.tracks)}`);
  const trackFile = readdirSync(mountPoint).filter((d) => /^\d+$/.test(d))
    .map((d) => path.join(mountPoint, d, phoneTrack.file)).find((f) => existsSync(f));
  assert.ok(trackFile, `the phone's track ${phoneTrack.file} is in the volume`);
  const recordedHz = loudestFrequency(trackFile, 2);
  log('the recording of the phone:', phoneTrack.file, phoneTrack.codec, phoneTrack.frames, 'frames,', recordedHz, 'Hz');
  assert.ok(Math.abs(recordedHz - 1000) <= 20, `the phone's track holds its 1000 Hz tone (${recordedHz} Hz)`);
  assert.ok(phoneTrack.frames >= 150, `about 4 s of 20 ms frames (${phoneTrack.frames})`);
  // Its video too, as it came (VP8, 5 frames a second).
  const phoneVideo = recording.tracks.find((t) => t.displayName === 'Ward 3 Room' && t.label === 'video');
  log('the recording of the phone\'s video:', JSON.stringify(phoneVideo));
  assert.ok(phoneVideo && phoneVideo.frames >= 10, `the phone's video is recorded: ${JSON.stringify(recording.tracks)}`);

  await screenshot(alice.page, 'sip-phone-in-meeting');
  await checkAccessibility(alice.page, 'a meeting with a phone');

  // A moderator's mute silences the phone in the router: its level at Alice falls to nothing.
  const level = async () => (await alice.page.evaluate(() => window.parleyMeeting.audioLevels()))[phoneId] ?? 0;
  const loud = await level();
  log('the phone\'s level at Alice:', loud);
  assert.ok(loud > 0.05, `Alice hears the phone (level ${loud})`);
  await alice.page.locator('#participant-list li', { hasText: 'Ward 3 Room' })
    .getByRole('button', { name: 'Mute audio' }).click();
  // Below the page's speaking level (0.02): what is left is Chrome's own concealment noise.
  await waitFor('the muted phone silent at Alice', async () => (await level()) < 0.02, 5000);
  await sleep(1000);
  const muted = await level();
  log('the muted phone\'s level at Alice:', muted);
  assert.ok(muted < 0.02, `the muted phone stays silent (level ${muted})`);

  // Removing the phone hangs it up (Parley's BYE reaches it).
  await alice.page.locator('#participant-list li', { hasText: 'Ward 3 Room' })
    .getByRole('button', { name: 'Remove' }).click();
  await waitFor('the phone hung up', () => /session closed|terminated/i.test(phone.output()), 10000);
  await entry.waitFor({ state: 'detached', timeout: 10000 });
  await phone.stop();
  const files = readdirSync(phone.sounds).filter((f) => f.endsWith('-dec.wav'));
  assert.equal(files.length, 1, `baresip wrote what it heard: ${readdirSync(phone.sounds)}`);
  const heardFile = path.join(phone.sounds, files[0]);
  const phoneHeard = loudestFrequency(heardFile, 3);
  // baresip writes only what it decodes: the file's length shows it heard the whole call
  // (the call's first seconds before the answer aside), so its last 3 s are the call's last.
  const heardSeconds = Number(spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0',
    heardFile]).stdout.toString());
  const callSeconds = (Date.now() - callStarted) / 1000;
  log(`the phone hears ${phoneHeard} Hz, ${heardSeconds} s of a ${callSeconds} s call`);
  assert.ok(Math.abs(phoneHeard - 600) <= 20, `the phone hears Alice's 600 Hz tone (heard ${phoneHeard} Hz)`);
  assert.ok(heardSeconds >= callSeconds - 4, `the phone heard the whole call: ${heardSeconds} s of ${callSeconds} s`);

  // The call's coming and going is audited.
  const entries = (await api(port, 'GET', '/api/v1/audit?action=sip.call', null, session)).body.entries;
  log('audit', JSON.stringify(entries).slice(0, 600));
  assert.ok(entries.some((e) => JSON.stringify(e).includes('unknown_meeting')), 'the refused call is audited');
  assert.ok(entries.some((e) => JSON.stringify(e).includes('"success"')), 'the accepted call is audited');

  // An admin gives a room system an account in the console; Parley makes its password.
  const consolePage = await alice.page.context().newPage();
  consolePage.on('pageerror', (error) => { throw new Error(`[console] page error: ${error.message}`); });
  await consolePage.goto(`${base}/admin#sip`);
  await consolePage.waitForSelector('body[data-shown="sip"]');
  assert.match(await consolePage.locator('#sip-state').innerText(), new RegExp(`port ${sipPort}`));
  await consolePage.click('#sip-new');
  await consolePage.fill('#sip-username', 'ward3-room');
  await consolePage.fill('#sip-display-name', 'Ward 3 meeting room');
  await consolePage.click('#sip-save');
  await consolePage.waitForSelector('#sip-password-dialog[open]');
  const password = await consolePage.inputValue('#sip-password');
  assert.match(password, /^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);
  await checkAccessibility(consolePage, 'admin console: a new SIP password');
  await screenshot(consolePage, 'admin-sip-password');
  await consolePage.click('#sip-password-close');

  // The meeting gets a PIN; the room system registers with its account and calls.
  assert.equal((await api(port, 'PATCH', `/api/v1/rooms/${room.id}`, { pin: '4321' }, session)).status, 200);
  const roomSystem = await baresip(`sip:${room.meetingId}@127.0.0.1:${sipPort};transport=tls`, 1000, 'Room system',
    `"Front desk" <sip:ward3-room@127.0.0.1:${sipPort};transport=tls>;auth_user=ward3-room;auth_pass=${password};` +
    'mediaenc=srtp-mand;audio_codecs=opus/48000/2;regint=600');
  const registration = await waitFor('the room system registered', async () => {
    const list = (await api(port, 'GET', '/api/v1/admin/sip/endpoints', null, session)).body.endpoints;
    return list.find((e) => e.username === 'ward3-room')?.registration ?? null;
  }, 20000);
  assert.equal(registration.address, '127.0.0.1');
  // Answered, it hears the prompt and is not in the meeting before its PIN.
  await waitFor('the PIN call answered', () => /Call established|established/i.test(roomSystem.output()), 20000);
  const systemEntry = alice.page.locator('#participant-list li', { hasText: 'Ward 3 meeting room' });
  await roomSystem.keys('1111#');
  await sleep(2000);
  assert.equal(await systemEntry.count(), 0, 'a wrong PIN does not let it in');
  await roomSystem.keys('4321#');
  // In under its account's name (not its From header's), marked as a phone.
  await systemEntry.waitFor({ timeout: 20000 });
  assert.match(await systemEntry.innerText(), /phone \(SIP\)/);
  const pinFailures = (await api(port, 'GET', '/api/v1/audit?action=room.join&outcome=failure', null, session)).body;
  assert.ok(JSON.stringify(pinFailures.entries).includes('pin_incorrect'), `the wrong PIN is audited: ${JSON.stringify(pinFailures.entries).slice(0, 400)}`);

  // Prometheus sees the call, the registration, the rekeys and the refused meeting ID.
  const sip = await routerMetrics(port, token, 'parley_sip_');
  log('SIP metrics', JSON.stringify(sip));
  assert.equal(sip.parley_sip_active_calls, 1);
  assert.equal(sip.parley_sip_registered_endpoints, 1);
  assert.equal(sip['parley_sip_refusals_total{reason="unknown_meeting"}'], 1);
  assert.ok(sip.parley_sip_calls_total >= 2 && sip.parley_sip_registrations_total >= 1, JSON.stringify(sip));
  assert.equal(sip.parley_sip_rekeys_total, 0, 'sip.rekey_seconds = 0: no rekeys');
  assert.equal(sip.parley_sip_video_calls_total, 2, JSON.stringify(sip));

  await consolePage.goto(`${base}/admin#sip`);
  await consolePage.reload();
  await consolePage.waitForSelector('body[data-shown="sip"]');
  const row = consolePage.locator('#sip-rows tr', { hasText: 'ward3-room' });
  assert.match(await row.innerText(), /From 127\.0\.0\.1/);
  assert.equal(await consolePage.locator('#sip-calls').innerText(), '1');
  await checkAccessibility(consolePage, 'admin console: SIP');
  await screenshot(consolePage, 'admin-sip');

  // Deleting its account hangs its call up and forgets its registration.
  await row.getByRole('button', { name: 'Delete Ward 3 meeting room' }).click();
  await consolePage.click('#confirm-yes');
  await waitFor('the room system hung up', () => /session closed|terminated/i.test(roomSystem.output()), 10000);
  await systemEntry.waitFor({ state: 'detached', timeout: 10000 });
  const after = (await api(port, 'GET', '/api/v1/admin/sip/endpoints', null, session)).body.endpoints;
  assert.equal(after.length, 0);
  await roomSystem.stop();
  for (const action of ['sip.endpoint_create', 'sip.endpoint_delete']) {
    const audited = (await api(port, 'GET', `/api/v1/audit?action=${action}`, null, session)).body.entries;
    assert.ok(audited.some((e) => e.target === 'sip-endpoint:ward3-room'), `${action} is audited`);
    assert.ok(!JSON.stringify(audited).includes(password), 'the password is not in the audit log');
  }
  const calls = (await api(port, 'GET', '/api/v1/audit?action=sip.call&actor=sip:ward3-room', null, session)).body.entries;
  assert.equal(calls.length, 1, `the room system's call is audited under its account: ${JSON.stringify(calls)}`);
});
