// End to end: real parleyd, real headless Chromium (Debian's, driven by playwright-core), real
// WebRTC through the media router. Run by ctest:
//   node tests/e2e/meeting.test.mjs <parleyd> <parleyctl>
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { log, sleep, waitFor, startServer, ownerRoom, participant as join, runTest, fakeCamera,
  testSettings } from './harness.mjs';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: meeting.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-'));
const dataDir = path.join(work, 'data');
const common = testSettings(dataDir);

// A coloured test picture per participant: each must see the others' colours, not its own.

function participant(name, colour, base, link, session) {
  return join({ name, video: fakeCamera(work, name, colour), base, link, session });
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
  const { port } = await startServer(parleyd, parleyctl, common, work);
  const base = `https://127.0.0.1:${port}`;
  log('parleyd on', port);
  const { session, room } = await ownerRoom(port);

  const alice = await participant('Alice', 'red', base, room.link, session); // the owner: moderator
  const bob = await participant('Bob', 'blue', base, room.link);
  log('two participants joined');

  // Each decodes the other's video and receives the other's audio.
  await waitFor('Alice decoding Bob', async () => (await received(alice, bob, 'video')) > 10);
  await waitFor('Bob decoding Alice', async () => (await received(bob, alice, 'video')) > 10);
  await waitFor('audio both ways', async () => (await received(alice, bob, 'audio')) > 20 && (await received(bob, alice, 'audio')) > 20);
  // The publishers' sender reports reach the subscribers under the SSRCs they know (what
  // lets browsers keep audio and video in step): Chromium takes them for every stream.
  await waitFor('sender reports at Bob for Alice\'s audio and video', async () => {
    const fromAlice = (await inbound(bob)).filter((e) => e.publisherId === alice.id);
    return fromAlice.length >= 2 && fromAlice.every((e) => e.senderReports >= 1);
  }, 15000);
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

await runTest(main, () => rmSync(work, { recursive: true, force: true }));
