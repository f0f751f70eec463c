// A network between a browser and parleyd that a test can break: a TCP proxy for the HTTPS
// port (the page and its WebSocket; TLS passes through untouched) and a UDP relay for the
// media router's port. Both run in the test's own process.
import net from 'node:net';
import dgram from 'node:dgram';
import { log } from './harness.mjs';

/** A free UDP port on `address` (bound once and released: good enough for a test). */
export function freeUdpPort(address = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.on('error', reject);
    socket.bind(0, address, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Forwards TCP connections from `listenAddress`:<port> (`listenPort`, or any free one) to
 *  127.0.0.1:<targetPort> (`targetPort` null: the same port number). `cut()` ends every
 *  connection at once (as a network change does) and refuses new ones until `mend()`. */
export async function tcpProxy(targetPort, listenAddress = '127.0.0.1', listenPort = 0) {
  const connections = new Set();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort ?? server.address().port, '127.0.0.1');
    const pair = { client, upstream };
    connections.add(pair);
    const end = () => {
      connections.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(listenPort, listenAddress, resolve));
  const proxy = {
    port: server.address().port,
    cut() {
      cut = true;
      log(`tcp proxy: cutting ${connections.size} connection(s)`);
      for (const { client, upstream } of [...connections]) {
        // A reset, like a network that went away: no TLS close_notify, no WebSocket close.
        client.resetAndDestroy?.() ?? client.destroy();
        upstream.resetAndDestroy?.() ?? upstream.destroy();
      }
      connections.clear();
    },
    mend() {
      cut = false;
      log('tcp proxy: accepting again');
    },
    close() {
      for (const { client, upstream } of connections) {
        client.destroy();
        upstream.destroy();
      }
      server.close();
    },
  };
  return proxy;
}

/** One direction of an impaired link, as netem would make it: `loss` (0..1, random),
 *  `delay` and `jitter` in ms (each packet delayed by delay ± jitter, uniformly; with jitter,
 *  packets overtake each other), and `rateKbps`, a bottleneck whose queue holds at most
 *  `queueMs` of traffic (then packets are dropped, as a router's tail drop). `send(packet)`
 *  delivers. Counts what it dropped. */
export function impairedLink(send) {
  let conditions = null;
  let busyUntil = 0; // when the bottleneck has sent what is queued, ms
  let lastDelivery = 0;
  const link = {
    lost: 0, queueDrops: 0,
    set(next) { conditions = next; busyUntil = 0; lastDelivery = 0; },
    submit(packet) {
      if (!conditions) return send(packet);
      const { loss = 0, delay = 0, jitter = 0, rateKbps = 0, queueMs = 300 } = conditions;
      if (Math.random() < loss) { link.lost += 1; return; }
      const now = performance.now();
      let at = now;
      if (rateKbps) {
        const start = Math.max(now, busyUntil);
        if (start - now > queueMs) { link.queueDrops += 1; return; }
        busyUntil = start + (packet.length * 8) / rateKbps;
        at = busyUntil;
      }
      at += delay + (jitter ? (Math.random() * 2 - 1) * jitter : 0);
      if (!jitter) at = Math.max(at, lastDelivery); // in order unless jitter reorders
      lastDelivery = at;
      if (at - now < 1) send(packet);
      else setTimeout(() => send(packet), at - now);
    },
  };
  return link;
}

/** Relays UDP from `listenAddress:port` to the router at `targetAddress:port`, one upstream
 *  socket per client address (a NAT). Flows can be named (`mark`) and then dropped by name:
 *  `dropExcept(names)` drops every packet, both ways, of flows not named in `names` (new
 *  flows included); `dropExcept(null)` lets everything through again. `impair(name,
 *  { up, down })` impairs the named flows (up: towards the router), see impairedLink;
 *  `impair(name, null)` mends them. */
export async function udpRelay(listenAddress, port, targetAddress) {
  const flows = new Map(); // "address:port" of the client -> { upstream, name, packets }
  const impairments = new Map(); // name -> { up, down }
  let allowed = null;
  const outside = dgram.createSocket('udp4');
  const passes = (flow) => allowed === null || (flow.name !== null && allowed.includes(flow.name));
  const applyImpairment = (flow) => {
    const wanted = flow.name === null ? null : impairments.get(flow.name) ?? null;
    flow.up.set(wanted?.up ?? null);
    flow.down.set(wanted?.down ?? null);
  };
  outside.on('message', (packet, from) => {
    const key = `${from.address}:${from.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const upstream = dgram.createSocket('udp4');
      flow = { upstream, name: null, packets: 0, dropped: 0,
        up: impairedLink((p) => upstream.send(p, port, targetAddress)),
        down: impairedLink((p) => outside.send(p, from.port, from.address)) };
      flows.set(key, flow);
      upstream.on('message', (answer) => {
        if (passes(flow)) flow.down.submit(answer);
        else flow.dropped += 1;
      });
      upstream.on('error', () => {});
      upstream.bind(0, '127.0.0.1');
    }
    flow.packets += 1;
    if (passes(flow)) flow.up.submit(packet);
    else flow.dropped += 1;
  });
  outside.on('error', (error) => log('udp relay:', error.message));
  await new Promise((resolve) => outside.bind(port, listenAddress, resolve));
  return {
    /** Names every flow that has no name yet; returns how many. */
    mark(name) {
      let count = 0;
      for (const flow of flows.values()) {
        if (flow.name === null) {
          flow.name = name;
          count += 1;
        }
      }
      log(`udp relay: ${count} flow(s) named ${name}`);
      for (const flow of flows.values()) applyImpairment(flow);
      return count;
    },
    impair(name, conditions) {
      if (conditions) impairments.set(name, conditions);
      else impairments.delete(name);
      for (const flow of flows.values()) applyImpairment(flow);
      log(`udp relay: ${name} ${conditions ? `impaired: ${JSON.stringify(conditions)}` : 'mended'}`);
    },
    dropExcept(names) {
      allowed = names;
      log(names === null ? 'udp relay: passing everything' : `udp relay: dropping all but ${names.join(', ')}`);
    },
    flows() {
      return [...flows].map(([key, flow]) => ({ client: key, name: flow.name, packets: flow.packets, dropped: flow.dropped,
        lost: flow.up.lost + flow.down.lost, queueDrops: flow.up.queueDrops + flow.down.queueDrops }));
    },
    close() {
      for (const flow of flows.values()) flow.upstream.close();
      outside.close();
    },
  };
}
