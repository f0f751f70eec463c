// End to end: a participant whose UDP is blocked (the network in the test drops every UDP
// packet of hers, as locked-down networks do) meets over ICE-TCP: the router's passive TCP
// candidate, the same DTLS and SRTP, RFC 4571 framing. She and a participant on UDP see each
// other's video. Browsers reach the router at 127.0.0.2: UDP through a relay that can drop
// flows, TCP through a proxy. Run by ctest:
//   node tests/e2e/tcp.test.mjs <parleyd> <parleyctl>
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { cleanups, log, sleep, waitFor, startServer, ownerRoom, participant as join, runTest, fakeCamera,
  testSettings } from './harness.mjs';
import { freeUdpPort, tcpProxy, udpRelay } from './relay.mjs';

const [parleyd, parleyctl] = process.argv.slice(2);
assert.ok(parleyd && parleyctl, 'usage: tcp.test.mjs <parleyd> <parleyctl>');

const work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-tcp-'));
const common = testSettings(path.join(work, 'data'));

async function decoded(viewer, from) {
  const entry = (await viewer.page.evaluate(() => window.parleyMeeting.inbound()))
    .find((e) => e.publisherId === from.id && e.kind === 'video');
  return entry?.framesDecoded ?? 0;
}

/** The protocol of the candidate pair the browser sends on ("udp" or "tcp"). */
const transportOf = (p) => p.page.evaluate(async () => {
  const stats = await window.parleyMeeting.peerConnectionStats();
  for (const report of stats.values()) {
    if (report.type !== 'transport' || !report.selectedCandidatePairId) continue;
    const pair = stats.get(report.selectedCandidatePairId);
    return stats.get(pair?.localCandidateId)?.protocol ?? null;
  }
  return null;
});

async function main() {
  const address = '127.0.0.2';
  const routerPort = await freeUdpPort();
  const relay = await udpRelay(address, routerPort, '127.0.0.1');
  cleanups.push(() => relay.close());
  // The TCP port: free on 127.0.0.2 for the proxy, and the router takes the same number.
  const proxy = await tcpProxy(null, address, 0);
  cleanups.push(() => proxy.close());
  const { port } = await startServer(parleyd, parleyctl, common, work,
    { port: routerPort, tcpPort: proxy.port, announcedAddress: address });
  const base = `https://127.0.0.1:${port}`;
  const { room } = await ownerRoom(port);
  const bob = await join({ name: 'Bob', video: fakeCamera(work, 'bob', 'blue'), base, link: room.link });
  await waitFor("Bob's media connected", () => bob.page.evaluate(() => window.parleyMeeting.mediaState() === 'connected'));
  await sleep(1000);
  relay.mark('bob');
  relay.dropExcept(['bob']); // from now on, nobody else's UDP gets through
  const carol = await join({ name: 'Carol', video: fakeCamera(work, 'carol', 'green'), base, link: room.link });
  await waitFor('Carol decoding Bob', async () => (await decoded(carol, bob)) > 10, 30000);
  await waitFor('Bob decoding Carol', async () => (await decoded(bob, carol)) > 10, 30000);
  const carolTransport = await transportOf(carol);
  const bobTransport = await transportOf(bob);
  log(`Carol's media goes over ${carolTransport}, Bob's over ${bobTransport}`);
  assert.equal(carolTransport, 'tcp', 'Carol, without UDP, meets over TCP');
  assert.equal(bobTransport, 'udp', 'Bob, with UDP, stays on it (the TCP candidate ranks below)');
  log('PASS');
}

runTest(main, () => rmSync(work, { recursive: true, force: true }));
