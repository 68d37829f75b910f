// Load generator benchmark: ours (src/core/load, bundled, its own process: bench/load-client.mjs) against autocannon
// and wrk, local Node targets (bench/backend.mjs, 1 KiB JSON, their own processes, no cluster), medians of N rounds
// (the tools interleaved per round, so a load change on the machine hits all of them).
//
//   npm run bench:load                                   # full run (about 6 minutes)
//   node bench/load.mjs --runs 1 --duration 3            # quick trial
//   node bench/load.mjs --only throughput --connections 100
//   node bench/load.mjs --only realistic --before ../main     # the checked latency comparison, with main's engine beside
//
// 1. Throughput: the same connections and duration for each against the trivial target; RPS, and requests per
//    CPU-second of the generator's process (user + system from /proc, its whole life), since on 2 cores the target
//    limits RPS. Beside them the least a Node client spends (bench/load-floor.mjs; --no-floor leaves it out).
// 2. Latency at a fixed moderate rate over the same (fewer) connections, against two targets: one with a realistic
//    service time (--delay-us, 1 ms by default, a wait without CPU) and the trivial one (a ~30 µs round trip, where
//    tens of µs of client overhead weigh). Ours in the open model, wrk paced by a Lua delay() per connection (wrk
//    measures in µs), autocannon -R (whole milliseconds). Ours is compared by its service time (write → response,
//    what wrk measures); its headline latency counts from the intended send time and is shown beside it.
//    On the realistic target (the checked one) ours and wrk run 4 rounds of 10 s each, next to each other in
//    alternating order, and are compared by the median of the per-round ratios (printed per round). That target
//    also times each request itself (arrival → response written, --record) and prints its own p99 per round: a tail
//    it has under every generator is the target's or the machine's, not a difference between generators.
// 3. The round trip: one connection, one request at a time, ours against wrk (trivial target).
// Targets (issue 8): RPS ≥ 1.0× autocannon; requests per CPU-second ≥ 1.5× autocannon and ≥ 0.5× wrk; latency
// percentiles within 10 % of wrk's (checked on the realistic target). Raw figures go to bench/results/load.json.
// bench/setup.sh installs wrk.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AUTOCANNON = path.join(ROOT, 'node_modules/autocannon/autocannon.js');
const RESULTS = path.join(ROOT, 'bench/results/load.json');
const HOST = '127.0.0.1';
const TICK_MS = 1000 / 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    // Seconds per throughput run. 10, not 5: a target's stall of a second or two (they come and go on this machine)
    // moved a 5 s run's figures by up to a fifth, and startup (autocannon ~0.25 CPU-s, ours ~0.1) weighed twice as much.
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    // Enough paced connections that wrk's expected interval (connections / rate) is long and its own CO correction
    // leaves its figures alone (they are then write → response times, like ours' service time); few enough that
    // its first burst (every connection sends at once) is a small share of the run.
    'latency-connections': { type: 'string', default: '50' },
    rate: { type: 'string', default: '2000' },
    // The checked latency comparison (the realistic target): rounds and seconds per round (20,000 samples each).
    'latency-runs': { type: 'string', default: '4' },
    'latency-duration': { type: 'string', default: '10' },
    // The side-by-side rounds (ours and wrk at once, the checked comparison), of --latency-duration each.
    'side-runs': { type: 'string', default: '5' },
    'delay-us': { type: 'string', default: '1000' }, // the realistic target's service time
    only: { type: 'string' }, // throughput | latency | realistic (the checked latency comparison alone)
    before: { type: 'string' }, // another checkout whose engine runs beside ours (throughput and latency rounds)
    'no-floor': { type: 'boolean' }, // leave out the least any Node client spends per request (bench/load-floor.mjs)
    'no-wrk': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  console.log('node bench/load.mjs [--runs 3] [--duration 10] [--connections 50] [--latency-connections 50] [--rate 2000] [--latency-runs 4] [--latency-duration 10] [--side-runs 5] [--delay-us 1000] [--only throughput|latency|realistic] [--before DIR] [--no-floor] [--no-wrk]');
  process.exit(0);
}
const RUNS = Number(opt.runs);
const SECONDS = Number(opt.duration);
const LATENCY_RUNS = Number(opt['latency-runs']);
const LATENCY_SECONDS = Number(opt['latency-duration']);
const SIDE_RUNS = Number(opt['side-runs']);
const want = (s) => !opt.only || opt.only.split(',').includes(s);
const hasWrk = !opt['no-wrk'] && spawnSync('wrk', ['--version']).error === undefined;
const log = (s) => console.error(s);

// ---------------------------------------------------------------------------------------------------------------
// Processes

const children = new Set();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-bench-load-'));

function start(command, args) {
  const proc = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const child = { proc, out: '', err: '' };
  proc.stdout.on('data', (d) => (child.out += d));
  proc.stderr.on('data', (d) => (child.err += d));
  child.exited = new Promise((resolve) => proc.on('close', (code) => (children.delete(child), resolve(code))));
  children.add(child);
  return child;
}

function cpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** Runs a generator to its end; returns its stdout and the CPU time (ms) its process used, sampled until it exits. */
async function measured(command, args, seconds = SECONDS) {
  const child = start(command, args);
  let cpu = 0;
  const timer = setInterval(() => (cpu = cpuMs(child.proc.pid) ?? cpu), 10);
  const kill = setTimeout(() => child.proc.kill('SIGKILL'), (seconds + 30) * 1000);
  const code = await child.exited;
  clearInterval(timer);
  clearTimeout(kill);
  if (code !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} failed (${code}): ${(child.err || child.out).slice(-500)}`);
  return { out: child.out, cpuMs: cpu };
}

function cleanup() {
  for (const c of children) c.proc.kill('SIGKILL');
  fs.rmSync(scratch, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (cleanup(), process.exit(130)));

// ---------------------------------------------------------------------------------------------------------------
// The three generators, each returning { rps, requests, cpuMs, p50, p90, p99 (µs) }

/** Our engine bundled from this checkout, or from another one (`--before DIR`, e.g. a worktree of main). */
async function bundleOurs(root = ROOT, name = 'load-engine.js') {
  const outfile = path.join(scratch, name);
  await esbuild.build({
    stdin: { contents: "export { runLoad, singleRequestMix } from './src/core/load/run';\nexport { buildProfile } from './src/core/load/profiles';\n", resolveDir: root, loader: 'ts' },
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, logLevel: 'warning',
  });
  return outfile;
}

async function ours(engine, url, { connections, rate, seconds = SECONDS, loopDelay = false }) {
  const args = [path.join(ROOT, 'bench/load-client.mjs'), '--engine', engine, '--target', url, '--duration-ms', String(seconds * 1000)];
  if (rate) args.push('--rate', String(rate), '--max-connections', String(connections));
  else args.push('--connections', String(connections));
  // The event-loop monitor only where asked: its timer costs CPU and wakeups (a fifth of a throughput run's CPU).
  if (loopDelay) args.push('--loop-delay');
  const { out, cpuMs: cpu } = await measured(process.execPath, args, seconds);
  const j = JSON.parse(out.trim().split('\n').pop());
  // p50/p90/p99: the service time (write → response), what wrk and autocannon measure; intended*: from the
  // intended send time (the same in the closed model).
  const s = j.serviceUs ?? j.latencyUs; // an engine from before the service time (--before) had only one
  return {
    rps: j.completed / seconds, requests: j.completed, errors: j.errors, cpuMs: cpu, p50: s.p50, p90: s.p90, p99: s.p99,
    intendedP50: j.latencyUs.p50, intendedP90: j.latencyUs.p90, intendedP99: j.latencyUs.p99, loopDelayP99: j.loopDelayUs.p99, loopDelayMax: j.loopDelayUs.max,
  };
}

async function nodeFloor(url, { connections }) {
  const { out, cpuMs: cpu } = await measured(process.execPath, [path.join(ROOT, 'bench/load-floor.mjs'), '--target', url, '--connections', String(connections), '--duration-ms', String(SECONDS * 1000)]);
  const requests = JSON.parse(out.trim()).completed;
  return { rps: requests / SECONDS, requests, errors: 0, cpuMs: cpu, p50: null, p90: null, p99: null };
}

async function autocannon(url, { connections, rate, seconds = SECONDS }) {
  const args = [AUTOCANNON, '-c', String(connections), '-d', String(seconds), '--json'];
  if (rate) args.push('-R', String(rate));
  const { out, cpuMs: cpu } = await measured(process.execPath, [...args, url], seconds);
  const j = JSON.parse(out);
  const ms = (x) => x * 1000;
  return { rps: j.requests.total / seconds, requests: j.requests.total, errors: j.errors + j.non2xx, cpuMs: cpu, p50: ms(j.latency.p50), p90: ms(j.latency.p90), p99: ms(j.latency.p99) };
}

function wrkMicros(s) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s);
  return m ? Number(m[1]) * { us: 1, ms: 1000, s: 1e6 }[m[2]] : null;
}

/**
 * wrk has no open model: at a rate, each connection waits connections/rate between requests on average (its Lua
 * delay(), whole ms). The wait is drawn from ±50 % of that: with a fixed one, connections that started together stay
 * in step and send in bursts of `connections` requests, which queue at the target (a p50 of 1.2 ms on a 30 µs
 * target at 100 connections); drawn, they drift apart within a few requests and arrive spread out like ours.
 */
function wrkPacing(connections, rate) {
  const file = path.join(scratch, `pace-${connections}-${rate}.lua`);
  const mean = Math.max(1, Math.round((connections * 1000) / rate));
  fs.writeFileSync(file, `function delay()\n  return math.random(${Math.max(1, Math.round(mean / 2))}, ${Math.round(mean * 1.5)})\nend\n`);
  return file;
}

/**
 * wrk's delay() is whole milliseconds after each response, so its paced connections run slower than asked: one
 * short trial measures by how much, and the rate's connections are scaled up to reach the rate.
 */
async function wrkConnectionsFor(url, connections, rate) {
  const { out } = await measured('wrk', ['-t1', `-c${connections}`, '-d2s', '-s', wrkPacing(connections, rate), url]);
  const achieved = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  return achieved > 0 ? Math.max(connections, Math.round((connections * rate) / achieved)) : connections;
}

async function wrk(url, { connections, rate, wrkConnections, seconds = SECONDS }) {
  const c = rate && wrkConnections ? wrkConnections : connections;
  const pacing = rate ? ['-s', wrkPacing(connections, rate)] : [];
  const { out, cpuMs: cpu } = await measured('wrk', ['-t1', `-c${c}`, `-d${seconds}s`, '--latency', ...pacing, url], seconds);
  const pct = (p) => wrkMicros(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  // wrk corrects coordinated omission itself before printing (stats_correct in wrk.c): with an expected interval of
  // run time / (requests / connections), every latency of at least twice the interval adds synthetic samples below
  // it. It changes nothing when no latency reaches 2 × interval (its max is not changed by it).
  const runtimeUs = wrkMicros(/requests in ([\d.]+(?:us|ms|s)),/.exec(out)?.[1] ?? '');
  const intervalUs = runtimeUs / Math.floor(requests / c);
  const maxUs = wrkMicros(/^\s+Latency\s+\S+\s+\S+\s+(\S+)/m.exec(out)?.[1] ?? '');
  return { rps: requests / seconds, requests, errors: 0, cpuMs: cpu, p50: pct(50), p90: pct(90), p99: pct(99), intervalUs, maxUs, corrected: maxUs >= 2 * intervalUs };
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios

const median = (xs) => {
  const s = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};
const fmt = (x, digits = 0) => (x == null || Number.isNaN(x) ? '—' : Number(x).toFixed(digits));
const ratio = (a, b) => (a != null && b ? a / b : null);

/**
 * Runs every tool once per round, `runs` rounds. Odd rounds run the tools in order, even ones in reverse, so each
 * pair of tools runs next to each other and neither always goes first (a machine that warms up or slows down over a
 * round hits both alike); per-round ratios then compare like with like.
 */
async function rounds(label, tools, load, runs = RUNS) {
  const raw = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
  for (let i = 1; i <= runs; i++) {
    const order = Object.entries(tools);
    if (i % 2 === 0) order.reverse();
    for (const [name, fn] of order) {
      const r = await fn(load);
      r.perCpuSecond = r.requests / (r.cpuMs / 1000);
      raw[name].push(r);
      log(`  ${label} ${i}/${runs} ${name.padEnd(10)} ${fmt(r.rps).padStart(7)} req/s  ${fmt(r.perCpuSecond).padStart(7)} req/CPU-s  p50 ${fmt(r.p50)} µs  p90 ${fmt(r.p90)} µs  p99 ${fmt(r.p99)} µs${r.served ? `  (target's own: p50 ${fmt(r.served.p50)} p99 ${fmt(r.served.p99)} max ${fmt(r.served.max)} µs)` : ''}${r.errors ? `  errors ${r.errors}` : ''}${r.corrected ? `  (wrk's own CO correction active: max ${fmt(r.maxUs)} µs ≥ 2 × ${fmt(r.intervalUs)} µs)` : ''}`);
    }
  }
  const med = {};
  for (const [name, rs] of Object.entries(raw)) {
    med[name] = Object.fromEntries(['rps', 'perCpuSecond', 'cpuMs', 'p50', 'p90', 'p99', 'intendedP50', 'intendedP90', 'intendedP99', 'loopDelayP99', 'loopDelayMax', 'intervalUs', 'maxUs'].map((k) => [k, median(rs.map((r) => r[k]))]));
    if (name === 'wrk') med[name].correctedRuns = rs.filter((r) => r.corrected).length;
  }
  return { load, raw, median: med };
}

/**
 * Ours and wrk at the same time against one target, each at half the rate, `runs` rounds: both see the same target
 * and the same machine in the same seconds, so what differs between their percentiles is what each measures.
 * (Run one after the other, each round's p99 rests on the stalls that happen to fall in its own 10 s.)
 */
async function sideBySide(tools, load, runs) {
  const raw = { ours: [], wrk: [] };
  for (let i = 1; i <= runs; i++) {
    const [o, w] = await Promise.all([tools.ours(load), tools.wrk(load)]);
    raw.ours.push(o);
    raw.wrk.push(w);
    log(`  side by side ${i}/${runs}  ours ${fmt(o.rps)} req/s p50 ${fmt(o.p50)} p90 ${fmt(o.p90)} p99 ${fmt(o.p99)} µs  wrk ${fmt(w.rps)} req/s p50 ${fmt(w.p50)} p90 ${fmt(w.p90)} p99 ${fmt(w.p99)} µs${w.corrected ? '  (wrk\'s own CO correction active)' : ''}`);
  }
  return { load, raw, ...oursAgainstWrk(raw) };
}

/**
 * Rounds of ours and wrk compared pairwise (each pair ran next to each other, or at once): the median of the
 * per-round ratios, not the ratio of medians taken from different rounds, and each round's figures.
 */
function oursAgainstWrk(raw) {
  const ratios = Object.fromEntries(['p50', 'p90', 'p99'].map((p) => [p, median(raw.ours.map((o, i) => ratio(o[p], raw.wrk[i][p])))]));
  const perRound = Object.fromEntries(['p50', 'p90', 'p99'].map((p) => [p, raw.ours.map((o, i) => ({ ours: o[p], wrk: raw.wrk[i][p] }))]));
  return { ratios, perRound };
}

/** "p99 per round, ours / wrk µs: 2845/2380 (1.20), ..." */
const perRoundLine = (p, figures) => `  ${p} per round, ours / wrk µs: ${figures.map((x) => `${fmt(x.ours)}/${fmt(x.wrk)} (${fmt(ratio(x.ours, x.wrk), 2)})`).join(', ')}`;

function table(header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c ?? '—')));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** A figure printed among the checks but not one of them. */
const info = (name, value) => [name, fmt(value, 2), '(info)', ''];
const check = (name, value, op, limit) => [name, fmt(value, 2), `${op} ${limit}`, value == null ? 'n/a' : (op === '≥' ? value >= limit : value <= limit) ? 'PASS' : 'MISS'];

/** Backends started with --record, by URL: they time each request themselves (bench/backend.mjs). */
const recording = new Map();

/** The backend's own service times (µs) since the last call: arrival of the request → response written. */
async function servedSince(url) {
  const backend = recording.get(url);
  const from = backend.out.length;
  backend.proc.kill('SIGUSR2');
  for (let i = 0; i < 200; i++) {
    const m = /served (\{.*\})\n/.exec(backend.out.slice(from));
    if (m) return JSON.parse(m[1]);
    await new Promise((r) => setTimeout(r, 10));
  }
  return null;
}

async function startBackend(args = []) {
  const backend = start(process.execPath, [path.join(ROOT, 'bench/backend.mjs'), ...args]);
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('backend did not start')), 10_000);
    backend.proc.stdout.on('data', () => {
      const m = /listening (\d+)/.exec(backend.out);
      if (m) (clearTimeout(t), resolve(Number(m[1])));
    });
  });
  const url = `http://${HOST}:${port}/`;
  if (args.includes('--record')) recording.set(url, backend);
  // The target's first requests run cold (JIT): warm it up, at the connections measured, so the first generator
  // measured (ours, in round 1) is not the one that pays.
  await measured(process.execPath, [AUTOCANNON, '-c', opt.connections, '-d', '2', url]);
  if (recording.has(url)) await servedSince(url);
  return url;
}

async function main() {
  const loadBefore = os.loadavg();
  const engine = await bundleOurs();
  const before = opt.before ? await bundleOurs(path.resolve(opt.before), 'load-engine-before.js') : null;
  const url = await startBackend();
  const delayUs = Number(opt['delay-us']);
  const results = { options: { runs: RUNS, seconds: SECONDS, connections: Number(opt.connections), latencyConnections: Number(opt['latency-connections']), rate: Number(opt.rate), delayUs, latencyRuns: LATENCY_RUNS, latencySeconds: LATENCY_SECONDS }, machine: { cpus: os.cpus().length, loadavgBefore: loadBefore, node: process.version } };
  const out = [];
  const checks = [];

  if (want('throughput')) {
    const connections = Number(opt.connections);
    log(`\n1. throughput: ${connections} connections, ${SECONDS} s, target bench/backend.mjs (1 KiB JSON)`);
    const tools = { ours: (l) => ours(engine, url, l), autocannon: (l) => autocannon(url, l) };
    if (before) tools['ours before'] = (l) => ours(before, url, l);
    if (!opt['no-floor']) tools['node floor'] = (l) => nodeFloor(url, l);
    if (hasWrk) tools.wrk = (l) => wrk(url, l);
    const t = (results.throughput = await rounds('throughput', tools, { connections }));
    const m = t.median;
    out.push(`\nThroughput: ${connections} connections, ${SECONDS} s (median of ${RUNS})`);
    out.push(table(['generator', 'req/s', 'CPU s', 'req per CPU-s'], Object.entries(m).map(([k, v]) => [k, fmt(v.rps), fmt(v.cpuMs / 1000, 2), fmt(v.perCpuSecond)])));
    t.ratios = { rpsOverAutocannon: ratio(m.ours.rps, m.autocannon.rps), rpsOverWrk: ratio(m.ours.rps, m.wrk?.rps), cpuOverAutocannon: ratio(m.ours.perCpuSecond, m.autocannon.perCpuSecond), cpuOverWrk: ratio(m.ours.perCpuSecond, m.wrk?.perCpuSecond) };
    if (m['node floor']) out.push(`req per CPU-s over autocannon of the least a Node client spends (bench/load-floor.mjs: no parsing, timing or histograms): ${fmt(ratio(m['node floor'].perCpuSecond, m.autocannon.perCpuSecond), 2)}`);
    if (m['ours before']) out.push(`req per CPU-s over autocannon: ours ${fmt(t.ratios.cpuOverAutocannon, 2)}, ours before (${opt.before}) ${fmt(ratio(m['ours before'].perCpuSecond, m.autocannon.perCpuSecond), 2)}`);
    checks.push(check('RPS ours / autocannon', t.ratios.rpsOverAutocannon, '≥', 1.0));
    checks.push(check('req per CPU-s ours / autocannon', t.ratios.cpuOverAutocannon, '≥', 1.5));
    checks.push(check('req per CPU-s ours / wrk', t.ratios.cpuOverWrk, '≥', 0.5));
    out.push(`ours / wrk RPS: ${fmt(t.ratios.rpsOverWrk, 2)}`);
  }

  if (want('latency') || want('realistic')) {
    const connections = Number(opt['latency-connections']);
    const rate = Number(opt.rate);
    const targets = [
      { key: 'latencyRealistic', name: `the realistic target (answers after ${delayUs} µs, bench/backend.mjs --delay-us)`, url: await startBackend(['--delay-us', String(delayUs), '--record']), checked: true },
      { key: 'latency', name: 'the trivial target (no service time: client overhead weighs)', url, checked: false },
    ];
    // --only realistic: the checked comparison alone (no trivial target, no round trip).
    if (!want('latency')) targets.pop();
    for (const target of targets) {
      log(`\n2. latency at ${rate} req/s over ${connections} connections, ${target.name}: ours (open model), wrk (paced by delay())${target.checked ? '' : ', autocannon -R'}`);
      const tools = { ours: (l) => ours(engine, target.url, l) };
      if (before) tools['ours before'] = (l) => ours(before, target.url, l);
      if (hasWrk) tools.wrk = (l) => wrk(target.url, l);
      if (!target.checked) tools.autocannon = (l) => autocannon(target.url, l);
      if (recording.has(target.url)) {
        // The target's own view of each run: a tail that is the target's shows here for both generators alike.
        for (const [name, fn] of Object.entries(tools)) tools[name] = async (l) => ({ ...(await fn(l)), served: await servedSince(target.url) });
      }
      const wrkConnections = hasWrk ? await wrkConnectionsFor(target.url, connections, rate) : undefined;
      if (wrkConnections) log(`  wrk paced: ${wrkConnections} connections, each waiting ${Math.round((connections * 1000) / rate)} ms (±50 %) after a response, to reach ${rate} req/s`);
      // The checked comparison runs longer and more often: a p99 rests on 1 % of the samples, and the target's and
      // the machine's hiccups decide it, so each round gets more samples and the ratio is taken per round.
      const runs = target.checked ? LATENCY_RUNS : RUNS;
      const seconds = target.checked ? LATENCY_SECONDS : SECONDS;
      // Our event-loop monitor runs on the unchecked target only: on the checked one its timer would be part of what
      // is compared (in trials its rounds had the higher p99s).
      const l = (results[target.key] = await rounds('latency', tools, { connections, rate, wrkConnections, seconds, loopDelay: !target.checked }, runs));
      const row = (name, v) => [name, fmt(v.rps), fmt(v.p50), fmt(v.p90), fmt(v.p99)];
      out.push(`\nLatency (µs) at ${rate} req/s, ${connections} connections, ${target.name} (median of ${runs} rounds of ${seconds} s; write → response; autocannon in whole ms)`);
      const rows = Object.entries(l.median).map(([k, v]) => row(k, v));
      rows.splice(1, 0, ['ours from intended send', '', fmt(l.median.ours.intendedP50), fmt(l.median.ours.intendedP90), fmt(l.median.ours.intendedP99)]);
      out.push(table(['generator', 'req/s', 'p50', 'p90', 'p99'], rows));
      // From the intended send time, ours' own stalls (a loaded machine) count too: wrk has no such figure.
      if (!target.checked) out.push(`ours' own event loop, late beyond its timer's turn (node's monitor less its 5 ms resolution, while sending): p99 ${fmt(l.median.ours.loopDelayP99)} µs, max ${fmt(l.median.ours.loopDelayMax)} µs`);
      const w = l.median.wrk;
      if (w) out.push(`wrk's own coordinated-omission correction (stats_correct: adds samples below any latency ≥ 2 × ${fmt(w.intervalUs)} µs) was active in ${w.correctedRuns} of ${runs} runs`);
      if (l.median.wrk) {
        // Each round's ours and wrk ran next to each other (rounds() alternates their order).
        Object.assign(l, oursAgainstWrk(l.raw));
        out.push(`ours / wrk, median of per-round ratios: p50 ${fmt(l.ratios.p50, 2)}  p90 ${fmt(l.ratios.p90, 2)}  p99 ${fmt(l.ratios.p99, 2)}${target.checked ? '' : '  (not a target: on a ~30 µs round trip the client\'s own µs are the difference)'}`);
        for (const p of ['p50', 'p99']) out.push(perRoundLine(p, l.perRound[p]));
        if (l.raw['ours before']) out.push(`  p99 per round, ours before (${opt.before}) / wrk µs: ${l.raw['ours before'].map((o, i) => `${fmt(o.p99)}/${fmt(l.raw.wrk[i].p99)} (${fmt(ratio(o.p99, l.raw.wrk[i].p99), 2)})`).join(', ')}`);
        // The target's own service time (bench/backend.mjs --record) in each tool's rounds: a tail the target has
        // under every generator is the target's, not a difference between them.
        if (l.raw.ours[0].served) out.push(`  the target's own p99 per round (arrival → response written), ${Object.keys(l.raw).map((k) => `${k}: ${l.raw[k].map((r) => fmt(r.served?.p99)).join('/')}`).join('; ')} µs`);
        if (target.checked) for (const p of ['p50', 'p90', 'p99']) checks.push(info(`${p} at ${rate} req/s, ${delayUs} µs target, one after the other |ours / wrk − 1|`, Math.abs(l.ratios[p] - 1)));
      }
      if (target.checked && hasWrk) {
        // The checked comparison: both at once, each at half the rate (the target still sees the whole rate).
        const half = rate / 2;
        const halfConnections = Math.round(connections / 2);
        const wrkHalf = await wrkConnectionsFor(target.url, halfConnections, half);
        log(`\n2b. side by side on the realistic target: ours and wrk at the same time, each at ${half} req/s over ${halfConnections} connections (wrk: ${wrkHalf} paced), ${SIDE_RUNS} rounds of ${seconds} s`);
        const s = (results.latencySideBySide = await sideBySide(
          { ours: (l) => ours(engine, target.url, l), wrk: (l) => wrk(target.url, l) },
          { connections: halfConnections, rate: half, wrkConnections: wrkHalf, seconds },
          SIDE_RUNS,
        ));
        out.push(`\nSide by side (µs): ours and wrk at the same time against the realistic target, each at ${half} req/s; median of ${SIDE_RUNS} rounds' ratios`);
        out.push(`ours / wrk: p50 ${fmt(s.ratios.p50, 2)}  p90 ${fmt(s.ratios.p90, 2)}  p99 ${fmt(s.ratios.p99, 2)}`);
        for (const p of ['p50', 'p90', 'p99']) out.push(perRoundLine(p, s.perRound[p]));
        for (const p of ['p50', 'p90', 'p99']) checks.push(check(`${p} at ${rate} req/s, ${delayUs} µs target, side by side |ours / wrk − 1|`, Math.abs(s.ratios[p] - 1), '≤', 0.1));
      }
    }

    if (hasWrk && want('latency')) {
      // The same measurement without pacing: one connection, one request at a time (the round trip, µs).
      log('\n3. round trip: 1 connection, closed loop, ours vs wrk');
      const rt = (results.roundTrip = await rounds('round trip', { ours: (x) => ours(engine, url, x), wrk: (x) => wrk(url, x) }, { connections: 1 }));
      rt.ratios = Object.fromEntries(['p50', 'p90', 'p99'].map((p) => [p, ratio(rt.median.ours[p], rt.median.wrk[p])]));
      out.push(`\nRound trip (µs): 1 connection, closed loop, the trivial target (median of ${RUNS})`);
      out.push(table(['generator', 'req/s', 'p50', 'p90', 'p99'], Object.entries(rt.median).map(([k, v]) => [k, fmt(v.rps), fmt(v.p50), fmt(v.p90), fmt(v.p99)])));
      // The round trip on this machine switches between speeds (processes on one core or two): ratios per round too.
      const perRound = rt.raw.ours.map((o, i) => fmt(ratio(o.p50, rt.raw.wrk[i].p50), 2)).join(', ');
      out.push(`ours / wrk: p50 ${fmt(rt.ratios.p50, 2)} (per round ${perRound})  p90 ${fmt(rt.ratios.p90, 2)}  p99 ${fmt(rt.ratios.p99, 2)}  (wrk's own coordinated-omission correction active in ${rt.median.wrk.correctedRuns} of ${RUNS} runs: expected interval ${fmt(rt.median.wrk.intervalUs)} µs)`);
    }
  }

  results.machine.loadavgAfter = os.loadavg();
  out.push(`\nTargets (issue 8)\n${table(['check', 'measured', 'target', ''], checks)}`);
  out.push(`\nmachine: ${os.cpus().length} CPUs, load average ${loadBefore.map((x) => x.toFixed(1)).join(' ')} before, ${results.machine.loadavgAfter.map((x) => x.toFixed(1)).join(' ')} after${hasWrk ? '' : '; wrk not installed (bench/setup.sh)'}`);
  console.log(out.join('\n'));
  results.checks = checks;
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2));
  log(`\nraw figures: ${path.relative(ROOT, RESULTS)}`);
}

main().then(cleanup, (e) => {
  console.error(`bench: ${e.stack ?? e}`);
  cleanup();
  process.exit(1);
});
