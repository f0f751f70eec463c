// The load benchmarks of docs/benchmarks.md: each scenario starts a parleyd of this build on
// 127.0.0.1 (its own data directory, limits per address raised: every simulated participant
// comes from 127.0.0.1), runs parley-loadgen against it and prints what it measured. Not a
// test: run by hand, on an otherwise idle machine.
//
//   node tests/bench/load_bench.mjs <build dir> [scenario ...]
//
// Scenarios: capacity, latency, join, recorded, signaling (default: all, in that order).
// The loadgen's JSON reports are kept in <build dir>/bench/load/.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { api, cleanups, log, login, run, startServer, testSettings, waitFor } from '../e2e/harness.mjs';

const [buildDir, ...wanted] = process.argv.slice(2);
if (!buildDir) {
  console.error('usage: node tests/bench/load_bench.mjs <build dir> [capacity|latency|join|recorded|signaling ...]');
  process.exit(64);
}
const parleyd = path.resolve(buildDir, 'apps/parleyd/parleyd');
const parleyctl = path.resolve(buildDir, 'apps/parleyctl/parleyctl');
const loadgen = path.resolve(buildDir, 'apps/parley-loadgen/parley-loadgen');
const reports = path.resolve(buildDir, 'bench/load');
mkdirSync(reports, { recursive: true });

// Every participant signs in or joins from 127.0.0.1: the per-address limits that protect a
// real server from one client would refuse the load generator.
const LIMITS = ['--set', 'signaling.max_connections=3000', '--set', 'signaling.max_connections_per_address=100000',
  '--set', 'signaling.max_unjoined_per_address=100000', '--set', 'signaling.max_unjoined_connections=100000',
  '--set', 'server.max_connections_per_address=4096', '--set', 'rooms.max_participants=1000'];

function usage(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rssMiB: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024,
    threads: Number(/Threads:\s+(\d+)/.exec(status)[1]),
    files: readdirSync(`/proc/${pid}/fd`).length,
  };
}

/** A fresh parleyd for one scenario; stopped when the scenario ends. */
async function server(name, { workers = 1, extra = [] } = {}) {
  const work = mkdtempSync(path.join(tmpdir(), `parley-bench-${name}-`));
  const settings = [...testSettings(path.join(work, 'data')), ...LIMITS, ...extra];
  const started = await startServer(parleyd, parleyctl, settings, work, { workers });
  return { ...started, work, settings };
}

async function stop(instance) {
  const cleanup = cleanups.pop();
  await cleanup();
  await waitFor('parleyd to stop', () => !existsSync(`/proc/${instance.pid}`), 30000);
}

/** Runs parley-loadgen with `args`; resolves with its JSON report (and prints its text
 *  report). Asynchronous: while it runs, node must go on reading the server's output, or the
 *  server blocks writing its log. */
function loadRun(instance, name, args) {
  const json = path.join(reports, `${name}.json`);
  const child = spawn(loadgen, ['--server', `127.0.0.1:${instance.port}`, '--user', 'owner', '--insecure',
    '--server-pid', String(instance.pid), '--json', json, ...args],
  { env: { ...process.env, PARLEY_LOADGEN_PASSWORD: 'owner-password' } });
  let errors = '';
  child.stdout.on('data', (chunk) => process.stdout.write(chunk));
  child.stderr.on('data', (chunk) => { errors += chunk; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (status) => {
      if (!existsSync(json)) return reject(new Error(`parley-loadgen failed (${status}):\n${errors}`));
      resolve({ ...JSON.parse(readFileSync(json, 'utf8')), exitStatus: status });
    });
  });
}

const results = {};

/** Subscriptions of 1.5 Mbit/s video one media worker (one core) forwards with no loss:
 *  webinars of one publisher and many viewers, larger at each step. */
async function capacity() {
  const steps = (process.env.PARLEY_BENCH_VIEWERS ?? '100,150,200,250').split(',').map(Number);
  results.capacity = [];
  for (const viewers of steps) {
    const instance = await server('capacity');
    const r = await loadRun(instance, `capacity-${viewers}`, ['--rooms', '4', '--publishers', '1', '--subscribers',
      String(viewers), '--no-audio', '--warmup', '5', '--duration', '20', '--joins-per-second', '100']);
    await stop(instance);
    const step = { subscriptions: r.videoSubscriptions, lost: r.videoPacketsLost, expected: r.videoPacketsExpected,
      ownDrops: r.ownReceiveDrops, mediaCores: r.serverMediaCores, serverCores: r.serverCores,
      loadgenCores: r.loadgenCores, p50: r.videoLatencyP50Us, p99: r.videoLatencyP99Us, ready: `${r.ready}/${r.participants}` };
    log('capacity', JSON.stringify(step));
    results.capacity.push(step);
  }
}

/** Forwarding latency at half the goal's load (400 subscriptions on one worker), as meetings:
 *  20 rooms of 5 people, each sending audio and 1.5 Mbit/s video and receiving the others. */
async function latency() {
  const instance = await server('latency');
  const r = await loadRun(instance, 'latency', ['--rooms', '20', '--publishers', '5', '--warmup', '5', '--duration', '30']);
  await stop(instance);
  results.latency = { subscriptions: r.videoSubscriptions, p50: r.videoLatencyP50Us, p99: r.videoLatencyP99Us,
    audioP50: r.audioLatencyP50Us, audioP99: r.audioLatencyP99Us, lost: r.videoPacketsLost, mediaCores: r.serverMediaCores,
    loadgenCores: r.loadgenCores, ready: `${r.ready}/${r.participants}` };
  log('latency', JSON.stringify(results.latency));
}

/** Join to first whole keyframe for people joining meetings in progress at that load: 4
 *  webinars of one publisher, 100 viewers each joining while the publishers send. */
async function join() {
  const instance = await server('join');
  const r = await loadRun(instance, 'join', ['--rooms', '4', '--publishers', '1', '--subscribers', '100', '--warmup', '2',
    '--duration', '10', '--joins-per-second', '20']);
  await stop(instance);
  results.join = { streams: r.videoStreams, keyframes: r.keyframes, p50: r.keyframeP50Ms, p99: r.keyframeP99Ms,
    max: r.keyframeMaxMs, ready: `${r.ready}/${r.participants}` };
  log('join', JSON.stringify(results.join));
}

function probe(file) {
  const result = run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries',
    'stream=codec_name,nb_read_packets:format=duration', '-of', 'json', file]);
  const info = result.status === 0 ? JSON.parse(result.output.slice(result.output.indexOf('{'))) : null;
  return { ok: result.status === 0 && !/error/i.test(result.output.slice(0, result.output.indexOf('{'))), info };
}

/** 25 meetings of 4 people, all recorded, on every core: no loss, and every track and
 *  composed file complete by ffprobe. Publishes a real VP8/Opus clip so recordings decode. */
async function recorded() {
  const seconds = Number(process.env.PARLEY_BENCH_RECORD_SECONDS ?? 30);
  const rooms = process.env.PARLEY_BENCH_RECORD_ROOMS ?? '25';
  const work = mkdtempSync(path.join(tmpdir(), 'parley-bench-rec-'));
  const clip = path.join(work, 'clip.webm');
  const made = run('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=1280x720:r=30', '-f', 'lavfi',
    '-i', 'sine=frequency=440:sample_rate=48000', '-t', '10', '-c:v', 'libvpx', '-b:v', '1500k', '-minrate', '1500k',
    '-maxrate', '1500k', '-deadline', 'realtime', '-cpu-used', '8', '-g', '100000', '-auto-alt-ref', '0', '-c:a', 'libopus',
    '-b:a', '40k', '-ac', '1', '-frame_duration', '20', clip]);
  if (made.status !== 0) throw new Error(`ffmpeg could not make the clip: ${made.output}`);
  const mountPoint = path.join(work, 'recordings');
  const volume = ['--set', `volume.mount_point=${mountPoint}`, '--set', `volume.container=${path.join(work, 'recordings.luks')}`,
    '--set', 'volume.engine=userspace', '--set', `volume.runtime_dir=${path.join(work, 'run')}`,
    '--set', 'volume.kdf_memory_kib=32', '--set', 'volume.kdf_parallel=1'];
  const common = [...testSettings(path.join(work, 'data')), ...volume];
  let result = run(parleyctl, [...common, 'volume', 'create', '--size', '4G'], 'volume-pass\n');
  if (result.status !== 0) throw new Error(`volume create: ${result.output}`);
  result = run(parleyctl, [...common, 'volume', 'unlock'], 'volume-pass\n');
  if (result.status !== 0) throw new Error(`volume unlock: ${result.output}`);
  cleanups.push(() => run(parleyctl, [...common, 'volume', 'lock']));
  const instance = await startServer(parleyd, parleyctl, [...common, ...LIMITS], work, { workers: 0 });
  const r = await loadRun(instance, 'recorded', ['--rooms', rooms, '--publishers', '4', '--media', clip, '--record',
    '--warmup', '5', '--duration', String(seconds), '--media-threads', '1', '--joins-per-second', '20']);

  // Every track file as ffprobe reads it, then the composed files as they come.
  const session = await login(instance.port, 'owner', 'owner-password');
  const list = (await api(instance.port, 'GET', '/api/v1/recordings', null, session)).body.recordings ?? [];
  let tracks = 0; let completeTracks = 0; let shortest = Infinity;
  for (const recording of list) {
    const directory = path.join(mountPoint, String(recording.id));
    for (const file of existsSync(directory) ? readdirSync(directory).filter((f) => /^\d+-.*\.webm$/.test(f)) : []) {
      tracks += 1;
      const { ok, info } = probe(path.join(directory, file));
      const duration = Number(info?.format?.duration ?? 0);
      shortest = Math.min(shortest, duration);
      if (ok && duration >= seconds) completeTracks += 1;
    }
  }
  const composeStart = Date.now();
  const composeLimit = Number(process.env.PARLEY_BENCH_COMPOSE_MINUTES ?? 20) * 60000;
  let composed = [];
  let states = {};
  await waitFor('the composed recordings', async () => {
    // A kept-alive connection the server closed meanwhile fails once: the next poll retries.
    const answer = await api(instance.port, 'GET', '/api/v1/recordings', null, session)
      .catch((error) => ({ status: 0, body: error.message }));
    if (answer.status !== 200) {
      log('GET /api/v1/recordings:', answer.status, JSON.stringify(answer.body));
      return false;
    }
    const now = answer.body.recordings;
    states = {};
    for (const rec of now) {
      const key = `${rec.state}/${rec.composition?.state}`;
      states[key] = (states[key] ?? 0) + 1;
    }
    composed = now.filter((rec) => rec.composition?.state === 'done');
    return now.length > 0 && now.every((rec) => ['done', 'failed'].includes(rec.composition?.state));
  }, composeLimit).catch((error) => log('composition:', error.message));
  const composeSeconds = (Date.now() - composeStart) / 1000;
  let completeComposed = 0;
  for (const recording of composed) {
    const { ok, info } = probe(path.join(mountPoint, String(recording.id), 'recording.webm'));
    if (ok && Number(info?.format?.duration ?? 0) >= seconds) completeComposed += 1;
  }
  await stop(instance);
  results.recorded = { recordings: list.length, tracks, completeTracks, shortestTrackSeconds: shortest,
    composed: composed.length, completeComposed, composeSeconds, states, lost: r.videoPacketsLost + r.audioPacketsLost,
    expected: r.videoPacketsExpected + r.audioPacketsExpected, serverCores: r.serverCores, loadgenCores: r.loadgenCores,
    p50: r.videoLatencyP50Us, p99: r.videoLatencyP99Us, ready: `${r.ready}/${r.participants}`, errors: r.errors };
  log('recorded', JSON.stringify(results.recorded));
}

/** Signaling's own cost: the server's threads and memory with 2,000 idle connections (in
 *  rooms, no media), and with 500 people in meetings (audio). */
async function signaling() {
  let instance = await server('signaling');
  const idleBefore = usage(instance.pid);
  const idle = await loadRun(instance, 'signaling-idle', ['--rooms', '20', '--publishers', '100', '--signaling-only',
    '--warmup', '2', '--duration', '10', '--joins-per-second', '100']);
  await stop(instance);
  instance = await server('signaling-media');
  const mediaBefore = usage(instance.pid);
  const media = await loadRun(instance, 'signaling-meetings', ['--rooms', '125', '--publishers', '4', '--no-video',
    '--warmup', '5', '--duration', '10', '--joins-per-second', '100']);
  await stop(instance);
  results.signaling = {
    idle: { connections: idle.ready, before: idleBefore, threads: idle.serverThreadsAfter,
      rssMiB: idle.serverMemoryAfterBytes / 1048576, files: idle.serverOpenFilesAfter },
    meetings: { participants: media.ready, before: mediaBefore, threads: media.serverThreadsAfter,
      rssMiB: media.serverMemoryAfterBytes / 1048576, files: media.serverOpenFilesAfter, serverCores: media.serverCores,
      lost: media.audioPacketsLost },
  };
  log('signaling', JSON.stringify(results.signaling));
}

const scenarios = { capacity, latency, join, recorded, signaling };
const chosen = wanted.length ? wanted : Object.keys(scenarios);
for (const name of chosen) if (!scenarios[name]) throw new Error(`no scenario named ${name}`);
try {
  for (const name of chosen) {
    log(`scenario ${name}`);
    await scenarios[name]();
  }
} finally {
  for (const cleanup of cleanups.reverse()) {
    try { await cleanup(); } catch { /* already gone */ }
  }
}
writeFileSync(path.join(reports, 'summary.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
process.exit(0);
