// End to end: a SIP endpoint (Debian's baresip over TLS, SDES-SRTP, Opus, a 1000 Hz tone)
// calls a meeting by its ID and meets a Chromium participant (a 600 Hz microphone) through
// Parley's SIP bridge and media router. Run by ctest:
//   node tests/e2e/sip.test.mjs <parleyd> <parleyctl>
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { log, sleep, waitFor, startServer, ownerRoom, participant, runTest, fakeCamera,
  fakeVoice, testSettings, cleanups, screenshot, checkAccessibility, api } from './harness.mjs';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: sip.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-sip-'));
const common = testSettings(path.join(work, 'data'));

/** baresip 1.0.0 as a guest endpoint: calls `uri` once it starts, sends a tone, writes what
 *  it hears to a WAV file (sndfile module) in its directory. */
function baresip(uri, toneHz, name) {
  const dir = path.join(work, `baresip-${name.replace(/\W/g, '')}`);
  const sounds = path.join(dir, 'sounds');
  mkdirSync(sounds, { recursive: true });
  writeFileSync(path.join(dir, 'config'), [
    'poll_method epoll', 'sip_listen 127.0.0.1:0', 'net_interface 127.0.0.1',
    `audio_source ausine,${toneHz}`, `audio_alert ausine,${toneHz}`, 'audio_player aubridge,parley-e2e',
    'rtcp_mux yes', 'rtp_ports 30000-39999', `snd_path ${sounds}`, 'module_path /usr/lib/baresip/modules',
    'module opus.so', 'module srtp.so', 'module ausine.so', 'module aubridge.so', 'module sndfile.so',
    'module_tmp account.so', 'module_app menu.so', ''].join('\n'));
  writeFileSync(path.join(dir, 'accounts'),
    `"${name}" <sip:guest@127.0.0.1;transport=tls>;mediaenc=srtp-mand;audio_codecs=opus/48000/2;regint=0\n`);
  let output = '';
  const child = spawn('/usr/bin/baresip', ['-f', dir, '-e', `/dial ${uri}`], { cwd: dir });
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  cleanups.push(() => child.kill('SIGKILL'));
  return {
    output: () => output,
    sounds,
    stop: async () => { child.kill('SIGTERM'); await exited; },
  };
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
  const settings = [...common, '--set', 'sip.enabled=true', '--set', 'sip.port=0', '--set',
    'sip.listen_address=127.0.0.1', '--set', 'sip.allow_guests=true'];
  const { port, sipPort } = await startServer(parleyd, parleyctl, settings, work);
  assert.ok(sipPort > 0, 'parleyd says where SIP listens');
  const base = `https://127.0.0.1:${port}`;
  const { session, room } = await ownerRoom(port);

  const alice = await participant({ name: 'Alice', video: fakeCamera(work, 'Alice', 'red'),
    audio: fakeVoice(work, 'Alice', 600), base, link: room.link, session });

  // A meeting ID nobody has is refused before any media (404), and counted.
  const stranger = baresip(`sip:999999999@127.0.0.1:${sipPort};transport=tls`, 1000, 'Stranger');
  await waitFor('the unknown meeting refused', () => /404|Not Found/.test(stranger.output()), 15000);
  await stranger.stop();

  const phone = baresip(`sip:${room.meetingId}@127.0.0.1:${sipPort};transport=tls`, 1000, 'Ward 3 Room');
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
  const phoneHeard = loudestFrequency(path.join(phone.sounds, files[0]), 3);
  log('the phone hears', phoneHeard, 'Hz');
  assert.ok(Math.abs(phoneHeard - 600) <= 20, `the phone hears Alice's 600 Hz tone (heard ${phoneHeard} Hz)`);

  // The call's coming and going is audited.
  const entries = (await api(port, 'GET', '/api/v1/audit?action=sip.call', null, session)).body.entries;
  log('audit', JSON.stringify(entries).slice(0, 600));
  assert.ok(entries.some((e) => JSON.stringify(e).includes('unknown_meeting')), 'the refused call is audited');
  assert.ok(entries.some((e) => JSON.stringify(e).includes('"success"')), 'the accepted call is audited');
});
