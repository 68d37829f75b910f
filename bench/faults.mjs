// Fault-proxy benchmark (issue 6, point 9): everything on 127.0.0.1, the thing under test in its own process.
//
//   npm run bench:faults                                   # full run (about 2 minutes)
//   node bench/faults.mjs --rounds 1 --seconds 2           # quick trial
//   node bench/faults.mjs --only latency,bandwidth --help  # a subset; every flag
//
// Processes: the HTTP backend (bench/backend.mjs, 1 KiB JSON), the bulk source (bench/bulk-source.mjs, N bytes on
// request), and between the client and them: nothing (direct), bench/tcp-relay.mjs (a byte pipe per connection: the
// floor of any Node TCP forwarder on this machine), or ours (`dist/cli.js proxy`, toxics set through its
// Toxiproxy-shaped API). Toxiproxy itself is neither a Debian nor an npm package, so it is not run here; the API is
// the same, so `--toxiproxy HOST:PORT` points the fault checks at a running one (it must reach our peers on loopback).
//
// 1 throughput: HTTP keep-alive load (autocannon, its own process) and a raw TCP bulk transfer (MB/s), through
//   direct, the relay, ours without toxics and ours with a no-op toxic (latency 0 on downstream), interleaved,
//   median of --rounds, with the forwarder's CPU time per unit (from /proc: steadier than rates on a shared machine).
//   Target: ours with the no-op toxic / ours without ≥ 0.9, as the median of each round's ratio.
// 2 accuracy: a latency toxic (downstream) vs the added round trip of keep-alive HTTP requests (median), and a
//   bandwidth toxic (downstream) vs the rate of a bulk transfer lasting --bw-seconds. Target: within 5 %.
// Raw figures go to bench/results/faults.json.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AUTOCANNON = path.join(ROOT, 'node_modules/autocannon/autocannon.js');
const CLI = path.join(ROOT, 'dist/cli.js');
const RESULTS = path.join(ROOT, 'bench/results/faults.json');
const HOST = '127.0.0.1';
/** The whole run is killed past this, whatever it is doing. */
const DEADLINE_MS = 170_000;

// ---------------------------------------------------------------------------------------------------------------
// Options

function readOptions() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '20' },
      'bulk-mb': { type: 'string', default: '500' },
      latencies: { type: 'string', default: '50,100,200' },
      'latency-seconds': { type: 'string', default: '2' },
      'latency-connections': { type: 'string', default: '5' },
      rates: { type: 'string', default: '100,500,2000' },
      'bw-seconds': { type: 'string', default: '2.5' },
      'bw-rounds': { type: 'string', default: '2' },
      only: { type: 'string' }, // comma list of: http,bulk,latency,bandwidth
      toxiproxy: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('node bench/faults.mjs [--seconds 2] [--rounds 5] [--connections 20] [--bulk-mb 500]\n'
      + '  [--latencies 50,100,200] [--latency-seconds 2] [--latency-connections 5] [--rates 100,500,2000] [--bw-seconds 2.5] [--bw-rounds 2]\n'
      + '  [--only http,bulk,latency,bandwidth] [--toxiproxy 127.0.0.1:8474  (run the accuracy checks on a running Toxiproxy too)]');
    process.exit(0);
  }
  const num = (k) => {
    const v = Number(values[k]);
    if (!(v > 0)) usage(`--${k} '${values[k]}' must be a number > 0`);
    return v;
  };
  const list = (k) => values[k].split(',').map((s) => {
    const v = Number(s);
    if (!(v > 0)) usage(`--${k} '${values[k]}' must be a comma list of numbers > 0, e.g. 50,100,200`);
    return v;
  });
  const only = values.only ? new Set(values.only.split(',')) : null;
  for (const o of only ?? []) if (!['http', 'bulk', 'latency', 'bandwidth'].includes(o)) usage(`--only '${o}' is unknown; use http, bulk, latency, bandwidth`);
  if (values.toxiproxy && !/^[\d.]+:\d+$/.test(values.toxiproxy)) usage(`--toxiproxy '${values.toxiproxy}' must be HOST:PORT of its API, e.g. 127.0.0.1:8474`);
  return {
    seconds: num('seconds'),
    rounds: Math.round(num('rounds')),
    connections: Math.round(num('connections')),
    bulkBytes: Math.round(num('bulk-mb') * 1e6),
    latencies: list('latencies'),
    latencySeconds: num('latency-seconds'),
    latencyConnections: Math.round(num('latency-connections')),
    rates: list('rates'),
    bwSeconds: num('bw-seconds'),
    bwRounds: Math.round(num('bw-rounds')),
    only,
    toxiproxy: values.toxiproxy ?? null,
  };
}

function usage(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes: every one is tracked and killed when we exit, however we exit.

const children = new Set();

function startChild(name, args) {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const child = { name, proc, stdout: '', stderr: '' };
  proc.stdout.on('data', (d) => (child.stdout += d));
  proc.stderr.on('data', (d) => (child.stderr += d));
  child.exited = new Promise((resolve) => proc.on('close', (code) => {
    children.delete(child);
    resolve(code);
  }));
  proc.on('error', (e) => (child.stderr += `spawn error: ${e.message}\n`));
  children.add(child);
  return child;
}

function killAll() {
  for (const c of children) c.proc.kill('SIGKILL');
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, stopping every child process`);
    process.exit(130);
  });
}

async function stopChild(child) {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 5000);
  await child.exited;
  clearTimeout(timer);
}

/** Resolves with the first match of `re` in the child's stdout+stderr; rejects on exit or after `timeoutMs`. */
function waitForOutput(child, re, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const m = re.exec(child.stdout) ?? re.exec(child.stderr);
      if (m) resolve(m);
      else if (child.proc.exitCode !== null) reject(new Error(`${child.name} exited: ${child.stderr.trim()}`));
      else if (Date.now() - started > timeoutMs) reject(new Error(`${child.name} did not start in ${timeoutMs} ms: ${child.stderr.trim()}`));
      else return;
      clearInterval(poll);
    }, 20);
  });
}

async function startListener(name, script, extraArgs = []) {
  const child = startChild(name, [script, '--port', '0', ...extraArgs]);
  const m = await waitForOutput(child, /listening (\d+)/);
  return { port: Number(m[1]), pid: child.proc.pid, stop: () => stopChild(child) };
}

/** `dist/cli.js proxy` in front of the HTTP backend; a second proxy, for the bulk source, is added through the API. */
async function startOurs(httpPort) {
  const child = startChild('chaos-testing proxy', [CLI, 'proxy', '--listen', `${HOST}:0`, '--upstream', `${HOST}:${httpPort}`, '--api', `${HOST}:0`, '--name', 'http']);
  const m = await waitForOutput(child, /proxy 'http' [\d.]+:(\d+) → .*fault API http:\/\/([\d.]+:\d+)/);
  return { port: Number(m[1]), api: m[2], pid: child.proc.pid, stop: () => stopChild(child) };
}

// ---------------------------------------------------------------------------------------------------------------
// The fault API (ours or a real Toxiproxy: the same paths and bodies)

async function api(address, method, p, body) {
  const res = await fetch(`http://${address}${p}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`fault API ${method} ${p} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function addProxy(address, name, upstreamPort) {
  await api(address, 'DELETE', `/proxies/${name}`).catch(() => undefined);
  const p = await api(address, 'POST', '/proxies', { name, listen: `${HOST}:0`, upstream: `${HOST}:${upstreamPort}` });
  return Number(p.listen.split(':').pop());
}

/** Adds a toxic for the duration of `fn` (toxics apply to connections opened after they are added). */
async function withToxic(address, proxy, toxic, fn) {
  await api(address, 'POST', `/proxies/${proxy}/toxics`, toxic);
  try {
    return await fn();
  } finally {
    await api(address, 'DELETE', `/proxies/${proxy}/toxics/${toxic.name}`);
  }
}

const NOOP_TOXIC = { name: 'noop', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 0, jitter: 0 } };

// ---------------------------------------------------------------------------------------------------------------
// Clients

/** One autocannon run in its own process against http://127.0.0.1:port/. */
async function autocannon(port, connections, seconds) {
  const child = startChild('autocannon', [AUTOCANNON, '-c', String(connections), '-d', String(seconds), '-n', '--json', `http://${HOST}:${port}/bench`]);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), (seconds + 30) * 1000);
  await child.exited;
  clearTimeout(timer);
  let j;
  try {
    j = JSON.parse(child.stdout);
  } catch {
    throw new Error(`autocannon gave no JSON: ${child.stderr.slice(-500)}`);
  }
  if (j.errors || j.non2xx) log(`  (autocannon: ${j.errors} errors, ${j.non2xx} non-2xx)`);
  return { rps: j.requests.average, requests: j.requests.total, p50: j.latency.p50, p99: j.latency.p99, errors: j.errors + j.non2xx };
}

/** Asks the bulk source for `bytes` and reads them all; resolves with the seconds from the request to the last byte. */
function bulkTransfer(port, bytes, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: HOST, noDelay: true });
    let got = 0;
    let started = 0;
    const timer = setTimeout(() => fail(new Error(`bulk transfer of ${bytes} bytes through port ${port} took over ${timeoutMs} ms (got ${got})`)), timeoutMs);
    const fail = (e) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    };
    socket.on('connect', () => {
      started = performance.now();
      socket.write(`${bytes}\n`);
    });
    socket.on('data', (c) => (got += c.length));
    socket.on('error', fail);
    socket.on('end', () => {
      const seconds = (performance.now() - started) / 1000;
      clearTimeout(timer);
      socket.destroy();
      if (got !== bytes) reject(new Error(`bulk transfer through port ${port}: got ${got} of ${bytes} bytes`));
      else resolve(seconds);
    });
  });
}

/**
 * Round trips of keep-alive GET requests: `connections` loops in parallel, each on its own connection, one request
 * after the other (`pauseMs` apart), for about `seconds`. Resolves with every round trip in ms (the first of each
 * connection, which includes the connect, left out).
 */
async function roundTrips(port, connections, seconds, pauseMs = 0) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const get = () => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host: HOST, port, path: '/bench', agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
  });
  const until = performance.now() + seconds * 1000;
  const samples = [];
  try {
    await Promise.all(Array.from({ length: connections }, async () => {
      await get();
      for (let i = 0; i < 10_000 && performance.now() < until; i++) {
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
        samples.push(await get());
      }
    }));
  } finally {
    agent.destroy();
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};

/**
 * Every target once per round, interleaved and reversed every other round (A B C D, D C B A, ...) so drift in the
 * machine hits them all alike, and the two runs of ours in a round are next to each other (see pairedRatio).
 */
async function interleaved(rounds, targets, measure, show) {
  const runs = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  for (let i = 1; i <= rounds; i++) {
    const order = Object.entries(targets);
    if (i % 2 === 0) order.reverse();
    for (const [key, target] of order) {
      const r = await measure(target);
      runs[key].push(r);
      log(`  round ${i}/${rounds} ${target.label.padEnd(24)} ${show(r)}`);
    }
  }
  return runs;
}

async function httpThroughput(ctx) {
  const { opts, peers } = ctx;
  log(`\nHTTP keep-alive: ${opts.connections} connections, ${opts.seconds} s per run (+0.5 s warm-up), 1 KiB JSON`);
  const targets = {
    direct: { label: 'direct', port: peers.http },
    relay: { label: 'TCP relay (floor)', port: peers.httpRelay.port, pid: peers.httpRelay.pid },
    ours: { label: 'ours, no toxics', port: peers.ours.port, pid: peers.ours.pid },
    noop: { label: 'ours, no-op toxic', port: peers.ours.port, pid: peers.ours.pid, toxic: NOOP_TOXIC },
  };
  const runs = await interleaved(opts.rounds, targets, async (t) => {
    const go = async () => {
      await autocannon(t.port, opts.connections, 0.5);
      const cpu0 = cpuMs(t.pid);
      const r = await autocannon(t.port, opts.connections, opts.seconds);
      return { ...r, cpuMsPer1kReq: cpu0 == null ? null : (cpuMs(t.pid) - cpu0) / (r.requests / 1000) };
    };
    return t.toxic ? withToxic(peers.ours.api, 'http', t.toxic, go) : go();
  }, (r) => `${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50, 0)} ms  p99 ${fmt(r.p99, 0)} ms${r.cpuMsPer1kReq == null ? '' : `  forwarder CPU ${fmt(r.cpuMsPer1kReq)} ms / 1000 req`}`);
  const medians = Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, {
    rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), errors: rs.reduce((n, r) => n + r.errors, 0),
    cpu: median(rs.map((r) => r.cpuMsPer1kReq)),
  }]));
  return { labels: labels(targets), runs, medians, noopOverOurs: pairedRatio(runs, 'noop', 'ours', 'rps') };
}

async function bulkThroughput(ctx) {
  const { opts, peers } = ctx;
  log(`\nRaw TCP bulk: ${fmt(opts.bulkBytes / 1e6, 0)} MB per transfer`);
  const targets = {
    direct: { label: 'direct', port: peers.bulk },
    relay: { label: 'TCP relay (floor)', port: peers.bulkRelay.port, pid: peers.bulkRelay.pid },
    ours: { label: 'ours, no toxics', port: peers.oursBulk, pid: peers.ours.pid },
    noop: { label: 'ours, no-op toxic', port: peers.oursBulk, pid: peers.ours.pid, toxic: NOOP_TOXIC },
  };
  // One unmeasured transfer each, so the first measured one does not pay for JIT warm-up.
  for (const t of Object.values(targets)) await bulkTransfer(t.port, Math.min(opts.bulkBytes, 100e6));
  const runs = await interleaved(opts.rounds, targets, async (t) => {
    const go = async () => {
      const cpu0 = cpuMs(t.pid);
      const mbps = opts.bulkBytes / 1e6 / (await bulkTransfer(t.port, opts.bulkBytes));
      return { mbps, cpuMsPer100MB: cpu0 == null ? null : ((cpuMs(t.pid) - cpu0) * 100e6) / opts.bulkBytes };
    };
    return t.toxic ? withToxic(peers.ours.api, 'bulk', t.toxic, go) : go();
  }, (r) => `${fmt(r.mbps, 0).padStart(7)} MB/s${r.cpuMsPer100MB == null ? '' : `  forwarder CPU ${fmt(r.cpuMsPer100MB, 0)} ms / 100 MB`}`);
  const medians = Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, { mbps: median(rs.map((r) => r.mbps)), cpu: median(rs.map((r) => r.cpuMsPer100MB)) }]));
  return { labels: labels(targets), runs, medians, noopOverOurs: pairedRatio(runs, 'noop', 'ours', 'mbps') };
}

/**
 * The median over rounds of a/b measured in the same round, back to back: on a machine shared with other work the
 * load changes between rounds far more than between two neighbouring runs, so this is steadier than a ratio of medians.
 */
const pairedRatio = (runs, a, b, key) => median(runs[a].map((r, i) => r[key] / runs[b][i][key]));

/** CPU time (user + system, ms) a process has used so far, from /proc; null where there is no /proc or no pid. */
function cpuMs(pid) {
  if (!pid) return null;
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th, in clock ticks (100/s on Linux).
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

const labels = (targets) => Object.fromEntries(Object.entries(targets).map(([k, t]) => [k, t.label]));

/**
 * Added latency = median round trip with the toxic − median round trip through the same proxy without it, the latter
 * measured just before at the same request rate (requests `latency` ms apart): on a loaded machine a round trip
 * depends on how busy the loop is, and back-to-back requests would make the baseline slower than the delayed ones.
 */
async function latencyAccuracy(ctx, address, proxyPort) {
  const { opts } = ctx;
  const rtt = (seconds, pauseMs) => roundTrips(proxyPort, opts.latencyConnections, seconds, pauseMs);
  log(`\nLatency toxic (downstream) vs added round trip: ${opts.latencyConnections} keep-alive connections, ${opts.latencySeconds} s per level`);
  const rows = [];
  for (const latency of opts.latencies) {
    const baseline = await rtt(Math.min(1, opts.latencySeconds), latency);
    const toxic = { name: 'bench_latency', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency, jitter: 0 } };
    const samples = await withToxic(address, 'http', toxic, () => rtt(opts.latencySeconds, 0));
    const added = median(samples) - median(baseline);
    const row = {
      configuredMs: latency, baselineMs: median(baseline), baselineRequests: baseline.length,
      requests: samples.length, medianMs: median(samples), addedMs: added, errorPct: (100 * (added - latency)) / latency,
    };
    rows.push(row);
    log(`  latency ${latency} ms: median round trip ${fmt(row.medianMs, 2)} ms (${samples.length} requests) − without ${fmt(row.baselineMs, 2)} ms (${baseline.length})`
      + ` = ${fmt(added, 2)} ms (${signed(row.errorPct)} %)`);
  }
  return { rows };
}

/** Measured rate = bytes / seconds of a transfer sized to last `bwSeconds` at the configured rate. */
async function bandwidthAccuracy(ctx, address, proxyPort) {
  const { opts } = ctx;
  log(`\nBandwidth toxic (downstream) vs measured rate: transfers sized for ${opts.bwSeconds} s, median of ${opts.bwRounds}`);
  const rows = [];
  for (const rate of opts.rates) {
    const bytes = Math.round(rate * 1000 * opts.bwSeconds);
    const toxic = { name: 'bench_bandwidth', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate } };
    const measured = [];
    for (let i = 0; i < opts.bwRounds; i++) {
      const seconds = await withToxic(address, 'bulk', toxic, () => bulkTransfer(proxyPort, bytes, (opts.bwSeconds * 4 + 10) * 1000));
      measured.push(bytes / 1000 / seconds);
    }
    const kbps = median(measured);
    const row = { configuredKBps: rate, bytes, measuredKBps: kbps, runs: measured, errorPct: (100 * (kbps - rate)) / rate };
    rows.push(row);
    log(`  rate ${rate} KB/s: measured ${fmt(kbps, 1)} KB/s (${signed(row.errorPct)} %), runs ${measured.map((x) => fmt(x, 1)).join(', ')}`);
  }
  return { rows };
}

/** Share of all cores busy over `ms` (from /proc/stat): other work on the machine makes every figure noisy. */
async function machineBusy(ms = 1000) {
  const read = () => {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = read();
    await new Promise((r) => setTimeout(r, ms));
    const b = read();
    return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const log = (s) => console.error(s);
const fmt = (x, digits = 2) => (x == null || Number.isNaN(x) ? '—' : Number(x).toFixed(digits));
const signed = (x, digits = 1) => (x == null ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`);
const ratio = (a, b) => (a != null && b ? a / b : null);

function table(header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c ?? '—')));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const info = (metric, value) => [metric, value, '(info)', ''];
const atLeast = (metric, value, limit) => [metric, fmt(value), `≥ ${limit}`, value == null ? 'n/a' : value >= limit ? 'PASS' : 'MISS'];
const within = (metric, pct, limit) => [metric, `${signed(pct)} %`, `± ${limit} %`, pct == null ? 'n/a' : Math.abs(pct) <= limit ? 'PASS' : 'MISS'];

function report(results) {
  const out = [];
  const { http: h, bulk: b, ours, toxiproxy, machine } = results;
  out.push(`\n${machine.cpus} cores, node ${machine.node}; git ${machine.gitHead}; dist/cli.js of ${machine.builtAt}; `
    + `machine ${fmt((machine.busyBeforeStart ?? 0) * 100, 0)}% busy before start, load average ${machine.loadBefore} → ${machine.loadAfter}`);
  out.push(`Toxiproxy: ${results.toxiproxyNote}`);
  const throughputTable = (title, data, unit, key, cpuUnit) => {
    out.push(`\n${title} (median of ${results.options.rounds} rounds; the summary's no-op check is the median of each round's ratio)`);
    out.push(table(['target', unit, 'vs direct', 'vs relay', 'vs ours, no toxics', cpuUnit], Object.entries(data.medians).map(([k, v]) => [
      data.labels[k], fmt(v[key], 0), fmt(ratio(v[key], data.medians.direct[key])), fmt(ratio(v[key], data.medians.relay[key])), fmt(ratio(v[key], data.medians.ours[key])),
      fmt(v.cpu, 1),
    ])));
  };
  if (h) throughputTable(`HTTP keep-alive, ${results.options.connections} connections`, h, 'req/s', 'rps', 'forwarder CPU ms/1000 req');
  if (b) throughputTable(`Raw TCP bulk, ${fmt(results.options.bulkBytes / 1e6, 0)} MB`, b, 'MB/s', 'mbps', 'forwarder CPU ms/100 MB');
  for (const [who, acc] of [['ours', ours], ['Toxiproxy', toxiproxy]]) {
    if (!acc) continue;
    if (acc.latency) {
      out.push(`\nLatency accuracy, ${who} (median round trips; without the toxic at the same request rate)`);
      out.push(table(['configured ms', 'requests', 'with toxic ms', 'without ms', 'added ms', 'error %'],
        acc.latency.rows.map((r) => [r.configuredMs, r.requests, fmt(r.medianMs), fmt(r.baselineMs, 3), fmt(r.addedMs), signed(r.errorPct)])));
    }
    if (acc.bandwidth) {
      out.push(`\nBandwidth accuracy, ${who}`);
      out.push(table(['configured KB/s', 'bytes', 'measured KB/s', 'error %'],
        acc.bandwidth.rows.map((r) => [r.configuredKBps, r.bytes, fmt(r.measuredKBps, 1), signed(r.errorPct)])));
    }
  }
  out.push('\nSummary');
  const rows = [];
  if (h) {
    rows.push(atLeast('HTTP req/s: no-op toxic / no toxics (paired)', h.noopOverOurs, 0.9));
    rows.push(info('HTTP CPU/request: no-op toxic / no toxics', fmt(ratio(h.medians.noop.cpu, h.medians.ours.cpu))));
    rows.push(info('HTTP req/s: ours, no toxics / TCP relay', fmt(ratio(h.medians.ours.rps, h.medians.relay.rps))));
    rows.push(info('HTTP req/s: ours, no toxics / direct', fmt(ratio(h.medians.ours.rps, h.medians.direct.rps))));
  }
  if (b) {
    rows.push(atLeast('bulk MB/s: no-op toxic / no toxics (paired)', b.noopOverOurs, 0.9));
    rows.push(info('bulk CPU/MB: no-op toxic / no toxics', fmt(ratio(b.medians.noop.cpu, b.medians.ours.cpu))));
    rows.push(info('bulk MB/s: ours, no toxics / TCP relay', fmt(ratio(b.medians.ours.mbps, b.medians.relay.mbps))));
    rows.push(info('bulk MB/s: ours, no toxics / direct', fmt(ratio(b.medians.ours.mbps, b.medians.direct.mbps))));
  }
  for (const [who, acc] of [['', ours], ['Toxiproxy: ', toxiproxy]]) {
    for (const r of acc?.latency?.rows ?? []) rows.push(within(`${who}latency ${r.configuredMs} ms: added round trip`, r.errorPct, 5));
    for (const r of acc?.bandwidth?.rows ?? []) rows.push(within(`${who}bandwidth ${r.configuredKBps} KB/s: measured rate`, r.errorPct, 5));
  }
  out.push(table(['metric', 'ours', 'target', 'result'], rows));
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = readOptions();
  if (!fs.existsSync(CLI)) usage('dist/cli.js is missing: run `npm run build` (npm run bench:faults builds first)');
  const deadline = setTimeout(() => {
    console.error(`bench: still running after ${DEADLINE_MS / 1000} s: stopping`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();
  const want = (name) => !opts.only || opts.only.has(name);
  const started = performance.now();
  const results = {
    options: { ...opts, only: opts.only ? [...opts.only] : null },
    machine: {
      cpus: os.cpus().length, node: process.version, builtAt: fs.statSync(CLI).mtime.toISOString(),
      gitHead: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() || 'unknown',
    },
    toxiproxyNote: opts.toxiproxy ? `at ${opts.toxiproxy}` : 'not a Debian or npm package, not run (the TCP relay is the floor)',
    startedAt: new Date().toISOString(),
  };
  results.machine.busyBeforeStart = await machineBusy();
  results.machine.loadBefore = fmt(os.loadavg()[0], 1);
  if (results.machine.busyBeforeStart > 0.1) log(`bench: WARNING: the machine is ${fmt(results.machine.busyBeforeStart * 100, 0)}% busy before the benchmark starts; throughput figures will be noisy`);
  log(`bench: all on ${HOST}; ${opts.rounds} round(s)`);
  const peers = {};
  const stops = [];
  const start = async (fn) => {
    const p = await fn();
    stops.push(p.stop);
    return p;
  };
  try {
    peers.http = (await start(() => startListener('backend', 'bench/backend.mjs'))).port;
    peers.bulk = (await start(() => startListener('bulk-source', 'bench/bulk-source.mjs'))).port;
    peers.httpRelay = await start(() => startListener('tcp-relay', 'bench/tcp-relay.mjs', ['--target', `http://${HOST}:${peers.http}`]));
    peers.bulkRelay = await start(() => startListener('tcp-relay', 'bench/tcp-relay.mjs', ['--target', `http://${HOST}:${peers.bulk}`]));
    peers.ours = await start(() => startOurs(peers.http));
    peers.oursBulk = await addProxy(peers.ours.api, 'bulk', peers.bulk);
    const ctx = { opts, peers };
    if (want('http')) results.http = await httpThroughput(ctx);
    if (want('bulk')) results.bulk = await bulkThroughput(ctx);
    results.ours = {};
    if (want('latency')) results.ours.latency = await latencyAccuracy(ctx, peers.ours.api, peers.ours.port);
    if (want('bandwidth')) results.ours.bandwidth = await bandwidthAccuracy(ctx, peers.ours.api, peers.oursBulk);
    if (opts.toxiproxy) {
      log(`\nThe same accuracy checks on Toxiproxy at ${opts.toxiproxy}`);
      const httpPort = await addProxy(opts.toxiproxy, 'http', peers.http);
      const bulkPort = await addProxy(opts.toxiproxy, 'bulk', peers.bulk);
      results.toxiproxy = {};
      if (want('latency')) results.toxiproxy.latency = await latencyAccuracy(ctx, opts.toxiproxy, httpPort);
      if (want('bandwidth')) results.toxiproxy.bandwidth = await bandwidthAccuracy(ctx, opts.toxiproxy, bulkPort);
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    results.seconds = (performance.now() - started) / 1000;
    results.machine.loadAfter = fmt(os.loadavg()[0], 1);
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2));
  }
  console.log(report(results));
  log(`\n${fmt(results.seconds, 0)} s; raw figures: ${path.relative(ROOT, RESULTS)}`);
}

main().catch((e) => {
  console.error(`bench: ${e.message ?? e}`);
  process.exit(1);
});
