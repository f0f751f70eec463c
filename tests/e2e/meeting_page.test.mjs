// End to end, the meeting page as people use it: a signed-in user joins without being asked a
// name; the screen before joining shows the camera and the microphone's level and can join
// with the camera off; the layout, the moderator panel by keyboard, accessibility (axe) and
// screenshots from a phone to a wall screen; a participant whose network drops for 5 s comes
// back as the same participant with video flowing; and a participant whose UDP is blocked is
// told so in plain words. One browser reaches the server through a TCP proxy and everyone's
// media through a UDP relay that the test can break. Run by ctest:
//   node tests/e2e/meeting_page.test.mjs <parleyd> <parleyctl>
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { api, cleanups, log, sleep, waitFor, startServer, ownerRoom, participant as join, runTest,
  checkAccessibility, screenshot, fakeCamera, fakeMicrophone, fakeVoice, testSettings } from './harness.mjs';
import { freeUdpPort, tcpProxy, udpRelay } from './relay.mjs';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: meeting_page.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-page-'));
const dataDir = path.join(work, 'data');
const common = testSettings(dataDir);
// Browsers send media to this address, where the relay listens on the router's port number.
const RELAY_ADDRESS = '127.0.0.2';



async function received(viewer, from, kind) {
  const entry = (await viewer.page.evaluate(() => window.parleyMeeting.inbound()))
    .find((e) => e.publisherId === from.id && e.kind === kind);
  return entry ? (kind === 'video' ? entry.framesDecoded : entry.packetsReceived) : 0;
}

async function growing(viewer, from, kind, ms = 2000) {
  const before = await received(viewer, from, kind);
  await sleep(ms);
  return (await received(viewer, from, kind)) - before;
}

const mediaState = (p) => p.page.evaluate(() => window.parleyMeeting.mediaState());

/** The ids of the tiles the viewer shows, and the names on them. */
const tiles = (viewer) => viewer.page.$$eval('#grid .tile', (all) =>
  all.map((tile) => ({ id: tile.dataset.participant, name: tile.querySelector('.label')?.textContent })));

async function main() {
  const routerPort = await freeUdpPort();
  const relay = await udpRelay(RELAY_ADDRESS, routerPort, '127.0.0.1');
  cleanups.push(() => relay.close());
  const { port } = await startServer(parleyd, parleyctl, common, work,
    { port: routerPort, announcedAddress: RELAY_ADDRESS });
  const proxy = await tcpProxy(port);
  cleanups.push(() => proxy.close());
  const base = `https://127.0.0.1:${port}`;
  const proxied = `https://127.0.0.1:${proxy.port}`;
  log('parleyd on', port, '; proxy on', proxy.port, '; media relay on', `${RELAY_ADDRESS}:${routerPort}`);
  const { session, room } = await ownerRoom(port);
  const me = (await api(port, 'GET', '/api/v1/auth/session', null, session)).body.user;
  assert.equal((await api(port, 'PATCH', `/api/v1/users/${me.id}`, { displayName: 'Dr. Alice Owner' }, session)).status, 200);

  // ---- Bob, a guest, through the proxy: the screen before joining ----------------------
  let started = Date.now();
  const bob = await join({
    name: 'Bob', video: fakeCamera(work, 'bob', 'blue'), audio: fakeMicrophone(work, 'bob', 440), base: proxied, link: room.link,
    beforeJoin: async (page) => {
      // A live preview and a microphone level, devices listed by name in labelled selects.
      await page.waitForFunction(() => document.getElementById('preview').videoWidth > 0, null, { timeout: 15000 });
      await page.waitForFunction(() => document.getElementById('mic-level').value > 10, null, { timeout: 15000 });
      const devices = await page.evaluate(() => ({
        cameras: [...document.querySelectorAll('#camera option')].map((o) => o.textContent),
        microphones: [...document.querySelectorAll('#microphone option')].map((o) => o.textContent),
        nameShown: !document.getElementById('name-field').hidden,
        levelText: document.getElementById('mic-level-text').textContent,
      }));
      log('Bob before joining:', JSON.stringify(devices));
      assert.ok(devices.cameras.length >= 1 && devices.microphones.length >= 1, 'devices listed');
      assert.ok(devices.nameShown, 'a guest is asked for a name');
      await page.waitForFunction(() => /Sound is reaching/.test(document.getElementById('mic-level-text').textContent),
        null, { timeout: 5000 });
      await checkAccessibility(page, 'the screen before joining');
      await screenshot(page, 'prejoin-guest-desktop');
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, 'prejoin-guest-phone');
      await page.setViewportSize({ width: 1280, height: 720 });
    },
  });
  log(`Bob joined through the proxy in ${Date.now() - started} ms`);
  await waitFor("Bob's media connected", async () => (await mediaState(bob)) === 'connected');
  assert.ok(relay.mark('bob') >= 1, "Bob's media goes through the relay");

  // ---- Alice, signed in: no name asked -------------------------------------------------
  const alice = await join({
    name: 'Alice', video: fakeCamera(work, 'alice', 'red'), audio: fakeVoice(work, 'alice', 660), base, link: room.link, session,
    beforeJoin: async (page) => {
      const shown = await page.evaluate(() => ({
        joiningAs: document.getElementById('joining-as').textContent,
        nameHidden: document.getElementById('name-field').hidden,
      }));
      log('Alice before joining:', JSON.stringify(shown));
      assert.equal(shown.joiningAs, 'Joining as Dr. Alice Owner');
      assert.ok(shown.nameHidden, 'a signed-in user is not asked for a name');
      await checkAccessibility(page, 'the screen before joining, signed in');
      await screenshot(page, 'prejoin-signed-in');
    },
  });
  await waitFor("Alice's media connected", async () => (await mediaState(alice)) === 'connected');
  relay.mark('alice');
  await waitFor('Alice decoding Bob', async () => (await received(alice, bob, 'video')) > 10);
  await waitFor('Bob decoding Alice', async () => (await received(bob, alice, 'video')) > 10);
  log('Alice and Bob see each other');

  // ---- Carol joins with her camera off ----------------------------------------------
  const carol = await join({
    name: 'Carol', video: fakeCamera(work, 'carol', 'green'), base, link: room.link,
    beforeJoin: async (page) => {
      await page.waitForFunction(() => document.getElementById('preview').videoWidth > 0, null, { timeout: 15000 });
      await page.uncheck('#camera-on');
      await page.waitForSelector('#preview-off:not([hidden])');
      assert.equal(await page.textContent('#preview-off'), 'Your camera is off');
      await screenshot(page, 'prejoin-camera-off');
    },
  });
  await waitFor('Carol in the roster as camera off', () => alice.page.evaluate((id) =>
    document.querySelector(`.tile[data-participant="${id}"]`)?.classList.contains('camera-off'), carol.id));
  await waitFor('Carol decoding Alice', async () => (await received(carol, alice, 'video')) > 5);
  await waitFor("Carol's microphone reaching Alice", async () => (await received(alice, carol, 'audio')) > 10);
  assert.equal(await received(alice, carol, 'video'), 0, 'no video from a camera that is off');
  log('Carol joined with her camera off');

  // ---- The meeting view, the active speaker and the moderator panel --------------------
  await waitFor('an active speaker at Alice', async () => {
    const speaker = await alice.page.evaluate(() => window.parleyMeeting.activeSpeaker());
    if (!speaker) log('audio levels at Alice:', JSON.stringify(await alice.page.evaluate(() => window.parleyMeeting.audioLevels())));
    return speaker;
  }, 15000);
  assert.equal(await alice.page.locator('.tile .badge').count(), 2, 'Bob and Carol are marked as guests');
  await checkAccessibility(bob.page, 'the meeting (participant)');
  await screenshot(bob.page, 'meeting-participant-desktop');
  await checkAccessibility(alice.page, 'the meeting with the moderator panel');
  await screenshot(alice.page, 'meeting-moderator-desktop');

  // The panel by keyboard: Tab from the controls reaches it, focus is visible, a button works.
  await alice.page.focus('#leave');
  const order = [];
  for (let i = 0; i < 6; ++i) {
    await alice.page.keyboard.press('Tab');
    order.push(await alice.page.evaluate(() => {
      const element = document.activeElement;
      const style = getComputedStyle(element);
      return { id: element.id || element.dataset.action || element.tagName, text: element.textContent.trim(),
        outline: `${style.outlineStyle} ${style.outlineWidth}` };
    }));
  }
  log('Tab order after Leave:', JSON.stringify(order));
  assert.deepEqual(order.slice(0, 3).map((o) => o.id), ['lock', 'record', 'end']);
  for (const step of order) assert.match(step.outline, /^solid [3-9]/, `focus is visible on ${step.id}`);
  const bobRow = alice.page.locator('#participant-list li', { hasText: 'Bob' });
  await bobRow.getByRole('button', { name: 'Mute audio' }).focus();
  await alice.page.keyboard.press('Enter');
  await waitFor('Bob muted by the moderator', () => bobRow.getByRole('button', { name: 'Allow audio' }).count());
  assert.equal(await alice.page.evaluate(() => document.activeElement.textContent), 'Allow audio',
    'focus stays on the button while the list updates');
  await alice.page.keyboard.press('Enter');
  await waitFor('Bob allowed again', () => bobRow.getByRole('button', { name: 'Mute audio' }).count());
  await screenshot(alice.page, 'meeting-moderator-keyboard');
  await alice.page.click('#end');
  await alice.page.waitForSelector('#end-dialog[open]');
  await checkAccessibility(alice.page, 'the end-meeting confirmation');
  await alice.page.keyboard.press('Escape');
  await alice.page.waitForSelector('#end-dialog:not([open])', { state: 'attached' });

  // From a phone to a wall screen.
  for (const [name, viewport] of [['phone', { width: 390, height: 844 }], ['tablet', { width: 820, height: 1180 }],
    ['wall', { width: 1920, height: 1080 }]]) {
    await bob.page.setViewportSize(viewport);
    await sleep(300);
    const overflow = await bob.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.ok(!overflow, `no sideways scrolling on a ${name}`);
    await screenshot(bob.page, `meeting-participant-${name}`);
  }
  await alice.page.setViewportSize({ width: 390, height: 844 });
  await screenshot(alice.page, 'meeting-moderator-phone');
  await alice.page.setViewportSize({ width: 1280, height: 720 });
  await bob.page.setViewportSize({ width: 1280, height: 720 });

  // A shared screen takes the stage, the others in a strip beside it.
  // (Debian's Chromium shares a fake screen with --use-fake-ui-for-media-stream.)
  await alice.page.click('#toggle-screen');
  await waitFor('Alice sharing', () => alice.page.evaluate(() =>
    document.getElementById('toggle-screen').dataset.active === 'true'), 5000);
  await waitFor("Alice's screen on Bob's stage", () => bob.page.evaluate(() =>
    document.querySelector('#presentation .tile video')?.videoWidth > 0), 15000);
  await screenshot(bob.page, 'meeting-screen-share');
  await checkAccessibility(bob.page, 'the meeting with a shared screen');
  await alice.page.click('#toggle-screen');
  await waitFor('the shared screen gone at Bob', () => bob.page.evaluate(() =>
    document.getElementById('presentation').hidden), 10000);
  await carol.page.click('#leave');
  await carol.page.waitForSelector('#ended:not([hidden])');
  await checkAccessibility(carol.page, 'the screen after leaving');
  await screenshot(carol.page, 'ended-left');
  await carol.browser.close();
  await waitFor('Carol gone at Alice', async () => (await tiles(alice)).length === 2);

  // ---- Bob's network drops for 5 s ------------------------------------------------------
  const bobId = bob.id;
  started = Date.now();
  proxy.cut();
  relay.dropExcept(['alice']);
  await waitFor('Bob shown as reconnecting at Alice', () => alice.page.evaluate((id) =>
    document.querySelector(`.tile[data-participant="${id}"]`)?.classList.contains('reconnecting'), bobId), 5000);
  await waitFor("Bob's page says it is reconnecting", () => bob.page.evaluate(() =>
    /Reconnecting/.test(document.getElementById('connection-state').textContent)), 5000);
  await screenshot(bob.page, 'meeting-reconnecting');
  await screenshot(alice.page, 'meeting-other-reconnecting');
  await checkAccessibility(bob.page, 'the meeting while reconnecting');
  await sleep(Math.max(0, 5000 - (Date.now() - started)));
  proxy.mend();
  relay.dropExcept(null);
  log(`network back after ${Date.now() - started} ms`);

  await waitFor('Bob back in the meeting', () => bob.page.evaluate(() => window.parleyMeeting.phase() === 'meeting'), 30000);
  const back = Date.now() - started;
  assert.equal(await bob.page.evaluate(() => window.parleyMeeting.participantId()), bobId, 'the same participant');
  assert.ok(await bob.page.evaluate(() => window.parleyMeeting.reconnects()) >= 1);
  await waitFor('video from Bob flowing again at Alice', async () => (await growing(alice, bob, 'video', 1000)) > 5, 30000);
  const flowing = Date.now() - started;
  await waitFor('video from Alice flowing again at Bob', async () => (await growing(bob, alice, 'video', 1000)) > 5, 30000);
  const aliceTiles = await tiles(alice);
  log('Alice sees', JSON.stringify(aliceTiles));
  assert.equal(aliceTiles.filter((tile) => tile.name === 'Bob').length, 1, 'Bob once in Alice\'s grid');
  assert.equal(aliceTiles.length, 2);
  assert.ok(await alice.page.evaluate((id) =>
    !document.querySelector(`.tile[data-participant="${id}"]`).classList.contains('reconnecting'), bobId));
  assert.ok((await received(alice, bob, 'video')) > 0);
  log(`Bob resumed as ${bobId} ${back} ms after the drop; video at Alice again after ${flowing} ms`);
  await waitFor("Bob's notice cleared", () => bob.page.evaluate(() =>
    document.getElementById('connection-state').textContent === ''), 10000);
  await screenshot(bob.page, 'meeting-after-reconnect');

  // ---- Only Bob's media stops (UDP), his signaling stays: the page notices and resumes on a
  // new connection (the server closes the old one, 4409) with a new RTCPeerConnection ---------
  relay.mark('bob-2');
  const reconnectsBefore = await bob.page.evaluate(() => window.parleyMeeting.reconnects());
  started = Date.now();
  relay.dropExcept(['alice']);
  await waitFor('Bob noticing his media stopped', () => bob.page.evaluate((before) =>
    window.parleyMeeting.reconnects() > before, reconnectsBefore), 30000);
  log(`Bob's page recovered its media on its own after ${Date.now() - started} ms without UDP`);
  relay.dropExcept(null);
  await waitFor('Bob back after recovering media', () => bob.page.evaluate(() => window.parleyMeeting.phase() === 'meeting'), 30000);
  assert.equal(await bob.page.evaluate(() => window.parleyMeeting.participantId()), bobId, 'still the same participant');
  await waitFor('video from Bob flowing again at Alice', async () => (await growing(alice, bob, 'video', 1000)) > 5, 30000);
  await waitFor('video from Alice flowing again at Bob', async () => (await growing(bob, alice, 'video', 1000)) > 5, 30000);
  assert.equal((await tiles(alice)).filter((tile) => tile.name === 'Bob').length, 1, 'Bob once in Alice\'s grid');
  log(`Bob's video at Alice again ${Date.now() - started} ms after his UDP stopped`);

  // ---- Dave cannot send media at all: UDP is blocked ------------------------------------
  relay.mark('bob-again');
  relay.dropExcept(['alice', 'bob', 'bob-2', 'bob-again']);
  started = Date.now();
  // He waits in the lobby first, and joins with his microphone off.
  assert.equal((await api(port, 'PATCH', `/api/v1/rooms/${room.id}`, { waitingRoom: true }, session)).status, 200);
  const dave = await join({ name: 'Dave', video: fakeCamera(work, 'dave', 'yellow'), base, link: room.link,
    until: '#lobby:not([hidden])',
    beforeJoin: async (page) => {
      await page.uncheck('#mic-on');
      await page.waitForFunction(() => document.getElementById('mic-level-text').textContent === 'Your microphone is off.');
    } });
  await checkAccessibility(dave.page, 'the waiting room');
  await screenshot(dave.page, 'lobby');
  const daveWaiting = alice.page.locator('#waiting-list li', { hasText: 'Dave' });
  await daveWaiting.waitFor({ timeout: 10000 });
  await checkAccessibility(alice.page, 'the moderator panel with someone waiting');
  await screenshot(alice.page, 'meeting-moderator-waiting');
  await daveWaiting.getByRole('button', { name: 'Admit' }).focus();
  await alice.page.keyboard.press('Enter');
  await dave.page.waitForSelector('#meeting:not([hidden])', { timeout: 10000 });
  dave.id = await dave.page.evaluate(() => window.parleyMeeting.participantId());
  await waitFor('Dave shown muted at Alice', () => alice.page.evaluate((id) =>
    /muted/.test(document.querySelector(`.tile[data-participant="${id}"] figcaption`)?.textContent ?? ''), dave.id));
  assert.equal(await dave.page.textContent('#toggle-audio'), 'Unmute microphone');
  await dave.page.waitForSelector('#media-alert:not([hidden])', { timeout: 30000 });
  const alert = await dave.page.textContent('#media-alert-text');
  log(`Dave told after ${Date.now() - started} ms:`, alert);
  assert.match(alert, /cannot reach the server/);
  assert.ok(alert.includes(`allow UDP to ${RELAY_ADDRESS}:${routerPort}`), alert);
  assert.equal(await dave.page.getAttribute('#media-alert', 'role'), 'alert');
  await checkAccessibility(dave.page, 'the meeting when media cannot flow');
  await screenshot(dave.page, 'meeting-media-blocked');
  // Alice and Bob are not affected.
  assert.ok((await growing(alice, bob, 'video', 1500)) > 3, "Bob's video still reaches Alice");
  log('PASS');
}

await runTest(main, () => rmSync(work, { recursive: true, force: true }));
