// End to end, simulcast: Alice's camera (960x540) goes to the router as three layers. Bob,
// on a clean link, gets the high one; Carol, whose link from the router carries 400 kbit/s,
// gets a lower one and keeps playing; when her limit is lifted the router finds the room
// (probing) and she gets the high layer back. When Bob's window shrinks, his page tells the
// router, which sends him the small layer. Run by ctest:
//   node tests/e2e/simulcast.test.mjs <parleyd> <parleyctl>
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { cleanups, log, sleep, waitFor, startServer, ownerRoom, participant as join, runTest, run,
  fakeMovingCamera, fakeVoice, testSettings, inbound, routerMetrics } from './harness.mjs';
import { freeUdpPort, udpRelay } from './relay.mjs';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: simulcast.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-simulcast-'));
const common = testSettings(path.join(work, 'data'));
const RELAY_ADDRESS = '127.0.0.2';
const HIGH = 540;

/** The picture height `viewer` decodes of `from`'s video, and its frames decoded, freezes. */
async function seen(viewer, from) {
  const video = await inbound(viewer, from, 'video');
  return { height: video?.frameHeight ?? 0, frames: video?.framesDecoded ?? 0, freezes: video?.freezeCount ?? 0 };
}

const cameraOff = async (page) => {
  await page.uncheck('#camera-on');
};

async function main() {
  const token = run(parleyctl, [...common, 'metrics', 'create-token']).output.split('\n')[0].trim();
  const routerPort = await freeUdpPort();
  const relay = await udpRelay(RELAY_ADDRESS, routerPort, '127.0.0.1');
  cleanups.push(() => relay.close());
  const { port } = await startServer(parleyd, parleyctl, common, work,
    { port: routerPort, announcedAddress: RELAY_ADDRESS });
  const base = `https://127.0.0.1:${port}`;
  const { room } = await ownerRoom(port);

  // Only Alice sends video, so what Carol's narrow link carries is her layers.
  const alice = await join({ name: 'Alice', video: fakeMovingCamera(work, 'alice', '960x540'),
    audio: fakeVoice(work, 'alice', 660), base, link: room.link });
  await waitFor("Alice's media connected", () => alice.page.evaluate(() => window.parleyMeeting.mediaState() === 'connected'));
  const bob = await join({ name: 'Bob', video: fakeMovingCamera(work, 'bob'), audio: fakeVoice(work, 'bob', 440),
    base, link: room.link, beforeJoin: cameraOff });
  await waitFor("Bob's media connected", () => bob.page.evaluate(() => window.parleyMeeting.mediaState() === 'connected'));
  await sleep(2000); // until ICE has settled on the address his media comes from
  relay.mark('bob');
  const carol = await join({ name: 'Carol', video: fakeMovingCamera(work, 'carol'), audio: fakeVoice(work, 'carol', 550),
    base, link: room.link, beforeJoin: cameraOff });
  await waitFor("Carol's media connected", () => carol.page.evaluate(() => window.parleyMeeting.mediaState() === 'connected'));
  await sleep(2000);
  relay.mark('carol');
  relay.impair('carol', { down: { rateKbps: 400, queueMs: 300 } });

  // Alice's browser raises its layers as its estimate of her uplink grows.
  await waitFor('Alice sends three layers', async () => {
    const layers = (await alice.page.evaluate(() => window.parleyMeeting.outbound())).streams
      .filter((s) => s.kind === 'video' && s.frameHeight > 0);
    return layers.length === 3;
  }, 40000);
  const layers = (await alice.page.evaluate(() => window.parleyMeeting.outbound())).streams.filter((s) => s.kind === 'video');
  log('Alice sends', layers.map((s) => `${s.rid}:${s.frameHeight}`).join(' '));

  await waitFor('Bob gets the high layer', async () => (await seen(bob, alice)).height === HIGH, 40000);
  // Carol's link shrank under an estimate made while it was clean: like anyone whose link
  // shrinks, she may see a stall while the router's estimate comes down to it. What is
  // measured is how she plays after that.
  await sleep(5000);
  const before = await routerMetrics(port, token);
  const carolBefore = await seen(carol, alice);
  // What Carol decodes each second, so that a failure shows when her picture changed.
  const bobBefore = await seen(bob, alice);
  const timeline = [];
  for (let i = 0; i < 10; ++i) {
    await sleep(1000);
    const now = await seen(carol, alice);
    const bobThen = await seen(bob, alice);
    timeline.push(`${now.height}p/${now.freezes - carolBefore.freezes}/${now.frames - carolBefore.frames}` +
      ` bob ${bobThen.freezes - bobBefore.freezes}/${bobThen.frames - bobBefore.frames}`);
  }
  log('Carol each second (height/freezes/frames so far; Bob freezes/frames):', timeline.join(', '));
  const alicesLayers = (await alice.page.evaluate(() => window.parleyMeeting.outbound())).streams.filter((s) => s.kind === 'video');
  log('Alice sends', alicesLayers.map((l) => `${l.rid}: ${l.frameHeight}p ${l.framesPerSecond} fps` +
    ` ${Math.round(l.targetBitrate / 1000)} kbit/s (limited by ${l.qualityLimitationReason})`).join(', '));
  const carolAfter = await seen(carol, alice);
  const bobNow = await seen(bob, alice);
  // On this machine three browsers share two cores, so a picture may stall now and then
  // whatever its link: Bob, on a clean one, shows how often. Carol's limit must not add more.
  const bobFreezes = bobNow.freezes - bobBefore.freezes;
  const estimate = await routerMetrics(port, token);
  log(`limited: Carol decodes ${carolAfter.height}p, ${(carolAfter.frames - carolBefore.frames) / 10} fps,`,
    `${carolAfter.freezes - carolBefore.freezes} freezes; Bob ${bobNow.height}p, ${bobFreezes} freezes;`,
    `probes ${estimate.parley_router_probe_packets_total - (before.parley_router_probe_packets_total ?? 0)} padding packets`);
  assert.equal(bobNow.height, HIGH, 'Bob, unlimited, gets the high layer');
  assert.ok(carolAfter.height > 0 && carolAfter.height < HIGH, `Carol, at 400 kbit/s, gets a lower layer (${carolAfter.height}p)`);
  assert.ok((carolAfter.frames - carolBefore.frames) / 10 >= 10, 'Carol keeps playing');
  assert.ok(carolAfter.freezes - carolBefore.freezes <= bobFreezes + 2, 'Carol\'s picture does not keep freezing');
  const flow = relay.flows().find((f) => f.name === 'carol' && f.packets > 100);
  log('Carol\'s link', JSON.stringify(flow));

  // The limit goes: probes find the room, and the router moves her up at a keyframe.
  relay.impair('carol', null);
  const lifted = Date.now();
  await waitFor('Carol gets the high layer back', async () => (await seen(carol, alice)).height === HIGH, 45000);
  log(`Carol back on ${HIGH}p after ${Date.now() - lifted} ms`);
  const after = await routerMetrics(port, token);
  assert.ok(after.parley_router_layer_switches_total > (before.parley_router_layer_switches_total ?? 0),
    'the router switched Carol\'s layer');

  // The page says how big it shows the video: a small window needs the small layer only.
  await bob.page.setViewportSize({ width: 360, height: 240 });
  await waitFor('Bob, in a small window, gets a small layer', async () => (await seen(bob, alice)).height < HIGH / 2 + 1,
    20000);
  log('Bob in a small window gets', (await seen(bob, alice)).height, 'p');
  await bob.page.setViewportSize({ width: 1280, height: 720 });
  await waitFor('Bob gets the high layer again', async () => (await seen(bob, alice)).height === HIGH, 20000);
  log('PASS');
}

runTest(main, () => rmSync(work, { recursive: true, force: true }));
