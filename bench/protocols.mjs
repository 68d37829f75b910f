// Wire capture benchmark: pgbench (select-only, 8 clients) and redis-benchmark (pipelined GET/SET), each
//   direct → the server, through a bare Node TCP pipe (bench/tcp-relay.mjs: a.pipe(b); b.pipe(a)), through our
//   proxy with recording cut off (bench/wire-parse-only.mjs: the same tap and parser, a sink that keeps nothing),
//   and through our capture proxy (dist/cli.js observe --protocol postgres|redis) recording every query and command.
//   Pipe → parse-only is what parsing costs; parse-only → ours is what recording costs.
// Medians of N rounds (the three setups interleaved per round, so a load change on the machine hits all three).
// Completeness: after each run of ours the proxy is stopped (SIGINT) and the rows in its database are counted
// against what the tool ran (pgbench: clients × transactions; Redis: the server's own command counts).
//
//   npm run bench:protocols                       # full run (about 2 minutes; cut at 4)
//   node --import tsx bench/protocols.mjs --runs 1 --pg-transactions 2000 --redis-requests 50000   # quick trial
//   node --import tsx bench/protocols.mjs --only redis --dist /tmp/old-dist      # one tool, another build
//   node --import tsx bench/protocols.mjs --setups pipe,ours                    # leave out direct and parse-only
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const TARGET_RATIO = 0.9;
/** The whole run is cut here, whatever the options (the issue's bound). */
const DEADLINE_MS = 4 * 60_000 - 10_000;

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    clients: { type: 'string', default: '8' },
    'pg-transactions': { type: 'string', default: '15000' }, // per client
    'pg-scale': { type: 'string', default: '1' },
    'redis-requests': { type: 'string', default: '200000' }, // per test (GET, SET)
    pipeline: { type: 'string', default: '16' },
    dist: { type: 'string', default: 'dist' },
    only: { type: 'string' }, // postgres | redis
    relay: { type: 'string', default: 'bench/tcp-relay.mjs' }, // the bare pipe (another forwarder to compare with)
    profile: { type: 'string' }, // a directory: ours runs under --cpu-prof (main thread and store worker)
    setups: { type: 'string', default: 'direct,pipe,parse,ours' }, // which setups run (pipe and ours always do)
    before: { type: 'string' }, // another build's dist/: its proxy runs too, as 'before', for a before/after in one run
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  console.log('node --import tsx bench/protocols.mjs [--runs 3] [--clients 8] [--pg-transactions 15000] [--pg-scale 1]\n'
    + '  [--redis-requests 200000] [--pipeline 16] [--dist DIR] [--relay bench/tcp-relay.mjs] [--only postgres|redis] [--profile DIR]\n'
    + '  [--setups direct,pipe,parse,ours] [--before OTHER_DIST]   (quick trial: --runs 1 --pg-transactions 3000 --redis-requests 50000)');
  process.exit(0);
}
const RUNS = Number(opt.runs);
const CLIENTS = Number(opt.clients);
const CLI = path.join(path.resolve(ROOT, opt.dist), 'cli.js');
const started = Date.now();
const SETUPS = ['direct', 'pipe', 'parse', 'before', 'ours'].filter((k) => k === 'pipe' || k === 'ours' || (k === 'before' ? opt.before : opt.setups.split(',').includes(k)));
const CLI_BEFORE = opt.before && path.join(path.resolve(ROOT, opt.before), 'cli.js');

// ---------------------------------------------------------------------------------------------------------------
// Processes and cleanup: every child is killed and every temporary directory removed, however we exit.

const children = new Set();
const cleanups = [];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-bench-wire-'));
cleanups.push(() => fs.rmSync(scratch, { recursive: true, force: true }));

function start(name, command, args, env) {
  const proc = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
  const child = { name, proc, out: '' };
  proc.stdout.on('data', (d) => (child.out += d));
  proc.stderr.on('data', (d) => (child.out += d));
  proc.on('error', (e) => (child.out += `spawn error: ${e.message}\n`));
  child.exited = new Promise((resolve) => proc.on('close', (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  children.add(child);
  return child;
}

const TICK_MS = 1000 / 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s on Linux

/** CPU time (user + system, ms) a process has used so far, or null when it is gone. */
function cpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** System CPU time (ms) of a process so far (the kernel's share: socket reads and writes, file writes). */
function sysMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) * TICK_MS;
  } catch {
    return null;
  }
}

/** Samples a child's CPU time until it exits; `last` is the latest figure (its whole life, to within a sample). */
function watchCpu(child) {
  const w = { last: 0 };
  const tick = () => (w.last = cpuMs(child.proc.pid) ?? w.last);
  const timer = setInterval(tick, 20);
  void child.exited.then(() => clearInterval(timer));
  return w;
}

async function stop(child, signal = 'SIGTERM', graceMs = 30_000) {
  if (children.has(child)) child.proc.kill(signal);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  const r = await child.exited;
  clearTimeout(timer);
  return r;
}

async function run(name, command, args, timeoutMs, env) {
  const child = start(name, command, args, env);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${name} failed (${code ?? signal}): ${child.out.trim().slice(-600)}`);
  return child.out;
}

let cleaningUp = false;
async function cleanup() {
  if (cleaningUp) return;
  cleaningUp = true;
  for (const c of children) c.proc.kill('SIGKILL');
  for (const f of cleanups.reverse()) {
    try {
      await f();
    } catch {
      // best effort: keep cleaning the rest
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, stopping servers and proxies`);
    void cleanup().then(() => process.exit(130));
  });
}
const deadline = setTimeout(() => {
  console.error(`bench: over ${DEADLINE_MS / 1000} s, stopping`);
  void cleanup().then(() => process.exit(1));
}, DEADLINE_MS);
deadline.unref();

/** Starts a forwarder (the bare pipe or our proxy) to `port`; resolves with it and the port it listens on. */
async function startForwarder(kind, protocol, port, tag) {
  if (kind === 'pipe') {
    // Another relay may import TypeScript sources: it gets our loader (tsx); the default one runs plain.
    const loader = opt.relay === 'bench/tcp-relay.mjs' ? [] : process.execArgv;
    const child = start('tcp-relay', process.execPath, [...loader, path.resolve(ROOT, opt.relay), '--target', `http://${HOST}:${port}`]);
    return { child, port: await listeningPort(child, /listening (\d+)/) };
  }
  if (kind === 'parse') {
    const child = start('parse-only', process.execPath, [path.join(ROOT, 'bench/wire-parse-only.mjs'), '--protocol', protocol, '--target', `${HOST}:${port}`]);
    return { child, port: await listeningPort(child, /listening (\d+)/) };
  }
  const db = path.join(scratch, `${tag}.db`);
  // The store worker inherits execArgv and writes a profile of its own beside the main thread's (Node's default
  // names tell them apart: a fixed --cpu-prof-name would make the two threads overwrite each other's file).
  const prof = opt.profile ? ['--cpu-prof', '--cpu-prof-dir', path.join(path.resolve(opt.profile), tag)] : [];
  const child = start('observe', process.execPath, [...prof, kind === 'before' ? CLI_BEFORE : CLI, 'observe', '--protocol', protocol, '--port', '0', '--target', `${HOST}:${port}`, '--output', db, '--quiet']);
  return { child, db, port: await listeningPort(child, /listening on [^\s]+:(\d+)/) };
}

async function listeningPort(child, re, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const m = re.exec(child.out);
    if (m) return Number(m[1]);
    if (!children.has(child)) break;
    await sleep(20);
  }
  throw new Error(`${child.name} did not start: ${child.out.trim().slice(-600)}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Rows per method in a capture database (sqlite3 CLI); pgbench's -S query is counted apart as 'pgbench -S'. */
async function countRows(db) {
  const sql = "SELECT CASE WHEN url LIKE 'SELECT abalance FROM pgbench_accounts WHERE aid = %' THEN 'pgbench -S' ELSE method END AS m, count(*) FROM exchanges GROUP BY m";
  const out = await run('sqlite3', 'sqlite3', ['-readonly', db, sql], 60_000);
  const rows = new Map();
  for (const line of out.trim().split('\n')) {
    const [method, n] = line.split('|');
    if (method) rows.set(method, Number(n));
  }
  return rows;
}

/** Runs `measure(port)` direct, through the pipe and through ours; ours is stopped and its rows counted. */
async function oneRound(protocol, serverPort, round, measure, expected) {
  const result = {};
  for (const kind of SETUPS) {
    if (kind === 'direct') {
      result.direct = { rate: (await measure(serverPort)).rate };
      continue;
    }
    const fwd = await startForwarder(kind, protocol, serverPort, `${protocol}-${round}`);
    const cpu = watchCpu(fwd.child);
    const cpuBefore = cpuMs(fwd.child.proc.pid) ?? 0;
    const sysBefore = sysMs(fwd.child.proc.pid) ?? 0;
    const m = await measure(fwd.port);
    const cpuRun = (cpuMs(fwd.child.proc.pid) ?? cpu.last) - cpuBefore;
    const sysRun = (sysMs(fwd.child.proc.pid) ?? 0) - sysBefore;
    if (kind === 'pipe') {
      await stop(fwd.child);
      result.pipe = { rate: m.rate, cpuRun, sysRun };
      continue;
    }
    if (kind === 'parse') {
      await stop(fwd.child);
      result.parse = { rate: m.rate, cpuRun, sysRun, parsed: Number(/parsed (\d+) calls/.exec(fwd.child.out)?.[1] ?? 0) };
      continue;
    }
    const t0 = Date.now();
    const { code } = await stop(fwd.child, 'SIGINT', 120_000);
    const stopMs = Date.now() - t0;
    if (code !== 0) throw new Error(`observe exited with ${code}: ${fwd.child.out.trim().slice(-600)}`);
    const rows = await countRows(fwd.db);
    const want = await expected(m);
    const got = want.count(rows);
    result[kind] = { rate: m.rate, cpuRun, sysRun, cpuAll: cpu.last - cpuBefore, expected: want.n, recorded: got, stopMs, dropped: /(\d+) dropped/.exec(fwd.child.out)?.[1] ?? '0' };
    fs.rmSync(fwd.db, { force: true });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL: pgbench -S, clients × transactions (exact, so every SELECT is countable).

async function benchPostgres() {
  const { startPostgres, postgresUnavailable } = await import(path.join(ROOT, 'test/helpers/postgresServer.ts'));
  const missing = postgresUnavailable() ?? (which('pgbench') ? null : 'needs pgbench (Debian package postgresql-contrib or postgresql)');
  if (missing) return { skipped: missing };
  const server = await startPostgres();
  cleanups.push(() => server.stop());
  const conn = ['-h', HOST, '-U', server.user];
  await run('pgbench -i', 'pgbench', ['-i', '-q', '-s', opt['pg-scale'], ...conn, '-p', String(server.port), server.database], 120_000);
  const tx = Number(opt['pg-transactions']);
  const measure = async (port) => {
    const out = await run('pgbench', 'pgbench', ['-n', '-S', '-c', String(CLIENTS), '-j', '2', '-t', String(tx), ...conn, '-p', String(port), server.database], 120_000);
    const m = /tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)/.exec(out) ?? /tps = ([\d.]+)/.exec(out);
    const processed = /number of transactions actually processed: (\d+)/.exec(out);
    if (!m || !processed) throw new Error(`pgbench printed no tps: ${out.slice(-400)}`);
    return { rate: Number(m[1]), processed: Number(processed[1]) };
  };
  // Every -S transaction is one simple-protocol query (pgbench's own setup queries are not counted).
  const expected = async (m) => ({ n: m.processed, count: (rows) => rows.get('pgbench -S') ?? 0 });
  const rounds = [];
  for (let r = 0; r < RUNS; r++) {
    rounds.push(await oneRound('postgres', server.port, r, measure, expected));
    report('postgres', rounds.at(-1), `round ${r + 1}`);
  }
  await server.stop();
  return { rounds, unit: 'TPS', what: `pgbench -S -c ${CLIENTS} -t ${tx}` };
}

// ---------------------------------------------------------------------------------------------------------------
// Redis: redis-benchmark -t get,set -P 16; what the server ran is read from its own INFO commandstats.

async function benchRedis() {
  if (!which('redis-server') || !which('redis-benchmark')) return { skipped: 'needs redis-server and redis-benchmark (Debian package redis-server, redis-tools)' };
  const { launchRedisServer } = await import(path.join(ROOT, 'test/helpers/redisServer.ts'));
  const dir = fs.mkdtempSync(path.join(scratch, 'redis-'));
  const server = await launchRedisServer(dir);
  cleanups.push(() => server.stop());
  const n = Number(opt['redis-requests']);
  const measure = async (port) => {
    await server.command('CONFIG RESETSTAT');
    const out = await run('redis-benchmark', 'redis-benchmark', ['-h', HOST, '-p', String(port), '-t', 'get,set', '-n', String(n), '-c', String(CLIENTS), '-P', opt.pipeline, '--csv'], 120_000);
    const rates = [...out.matchAll(/^"(GET|SET)","([\d.]+)"/gm)].map((x) => Number(x[2]));
    if (rates.length !== 2) throw new Error(`redis-benchmark printed no rates: ${out.slice(-400)}`);
    // One figure for the pair: total commands over total time.
    return { rate: (2 * n) / (n / rates[0] + n / rates[1]) };
  };
  const expected = async () => {
    const stats = await commandStats(server);
    return { n: (stats.get('get') ?? 0) + (stats.get('set') ?? 0), count: (rows) => (rows.get('GET') ?? 0) + (rows.get('SET') ?? 0) };
  };
  const rounds = [];
  for (let r = 0; r < RUNS; r++) {
    rounds.push(await oneRound('redis', server.port, r, measure, expected));
    report('redis', rounds.at(-1), `round ${r + 1}`);
  }
  await server.stop();
  return { rounds, unit: 'req/s', what: `redis-benchmark -t get,set -n ${n} -c ${CLIENTS} -P ${opt.pipeline}` };
}

/** INFO commandstats → calls per command, from a reply read to its end. */
async function commandStats(server) {
  const { rawCommand } = await import(path.join(ROOT, 'test/helpers/redisServer.ts'));
  const reply = await rawCommand(server.port, 'INFO commandstats');
  const calls = new Map();
  for (const m of reply.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) calls.set(m[1], Number(m[2]));
  return calls;
}

function which(cmd) {
  return (process.env.PATH ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, cmd)));
}

// ---------------------------------------------------------------------------------------------------------------
// Output

const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));

const perCall = (ms, calls) => `${((ms * 1000) / Math.max(1, calls)).toFixed(1)} µs`;

function report(protocol, r, label) {
  const o = r.ours;
  const parse = (r.parse ? `parse-only ${fmt(r.parse.rate)} (parsed ${r.parse.parsed})  ` : '')
    + (r.before ? `before ${fmt(r.before.rate)} (recorded ${r.before.recorded}/${r.before.expected}, CPU per call ${perCall(r.before.cpuRun, r.before.expected)})  ` : '');
  const parseCpu = r.parse ? `parse-only ${perCall(r.parse.cpuRun, o.expected)} (sys ${perCall(r.parse.sysRun, o.expected)}), ` : '';
  console.log(`  ${protocol} ${label}: ${r.direct ? `direct ${fmt(r.direct.rate)}  ` : ''}pipe ${fmt(r.pipe.rate)}  ${parse}ours ${fmt(o.rate)}  `
    + `(recorded ${o.recorded}/${o.expected}, dropped ${o.dropped}, stop ${o.stopMs} ms; `
    + `CPU per call: pipe ${perCall(r.pipe.cpuRun, o.expected)} (sys ${perCall(r.pipe.sysRun, o.expected)}), ${parseCpu}`
    + `ours ${perCall(o.cpuRun, o.expected)} (sys ${perCall(o.sysRun, o.expected)}) during the run, ${perCall(o.cpuAll, o.expected)} in all)`);
}

function summarise(protocol, res) {
  if (res.skipped) {
    console.log(`\n${protocol}: skipped, ${res.skipped}`);
    return [];
  }
  const med = (k) => (res.rounds[0][k] ? median(res.rounds.map((r) => r[k].rate)) : NaN);
  const direct = med('direct');
  const pipe = med('pipe');
  const parse = med('parse');
  const ours = med('ours');
  const before = med('before');
  const recorded = res.rounds.reduce((a, r) => a + r.ours.recorded, 0);
  const expected = res.rounds.reduce((a, r) => a + r.ours.expected, 0);
  const complete = expected ? recorded / expected : 0;
  console.log(`\n${protocol}: ${res.what}, medians of ${res.rounds.length}`);
  if (direct) console.log(`  direct   ${fmt(direct).padStart(10)} ${res.unit}`);
  console.log(`  pipe     ${fmt(pipe).padStart(10)} ${res.unit}${direct ? `   bare/direct ${(pipe / direct).toFixed(2)}×` : ''}`);
  if (parse) console.log(`  parse    ${fmt(parse).padStart(10)} ${res.unit}   parse-only/pipe ${(parse / pipe).toFixed(2)}×   (our tap and parser, nothing recorded)`);
  if (before) console.log(`  before   ${fmt(before).padStart(10)} ${res.unit}   before/pipe ${(before / pipe).toFixed(2)}×   (${opt.before}: the proxy of another build)`);
  console.log(`  ours     ${fmt(ours).padStart(10)} ${res.unit}   ours/pipe ${(ours / pipe).toFixed(2)}×${direct ? `   ours/direct ${(ours / direct).toFixed(2)}×` : ''}`);
  console.log(`  recorded ${recorded} of ${expected} (${(complete * 100).toFixed(3)}%)`);
  const cpu = (k, f) => median(res.rounds.map((r) => (r[k][f] * 1000) / Math.max(1, r.ours.expected))).toFixed(1);
  const parseCpu = res.rounds[0].parse ? `parse-only ${cpu('parse', 'cpuRun')} µs; ` : '';
  const beforeCpu = res.rounds[0].before ? `before ${cpu('before', 'cpuRun')} µs; ` : '';
  console.log(`  forwarder CPU per call (medians): pipe ${cpu('pipe', 'cpuRun')} µs; ${parseCpu}${beforeCpu}ours ${cpu('ours', 'cpuRun')} µs during the run, ${cpu('ours', 'cpuAll')} µs with the stop`);
  return [
    { metric: `${protocol} ours/pipe (${fmt(ours)} / ${fmt(pipe)} ${res.unit})`, ours: `${(ours / pipe).toFixed(2)}×`, target: `≥ ${TARGET_RATIO}×`, pass: ours / pipe >= TARGET_RATIO },
    ...(before ? [{ metric: `${protocol} before/pipe (${fmt(before)} / ${fmt(pipe)} ${res.unit})`, ours: `${(before / pipe).toFixed(2)}×`, target: '', pass: null }] : []),
    ...(parse ? [{ metric: `${protocol} parse-only/pipe (${fmt(parse)} / ${fmt(pipe)} ${res.unit})`, ours: `${(parse / pipe).toFixed(2)}×`, target: '', pass: null }] : []),
    { metric: `${protocol} recorded / run`, ours: `${recorded}/${expected}`, target: '100%', pass: recorded === expected && expected > 0 },
  ];
}

try {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  if (!which('sqlite3')) throw new Error('needs the sqlite3 CLI to count recorded rows (Debian package sqlite3)');
  console.log(`wire capture benchmark: ${RUNS} round(s), ${CLIENTS} clients, build ${path.relative(ROOT, CLI) || CLI}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
  const results = {};
  for (const protocol of ['postgres', 'redis']) {
    if (opt.only && opt.only !== protocol) continue;
    console.log(`\n${protocol}:`);
    results[protocol] = protocol === 'postgres' ? await benchPostgres() : await benchRedis();
  }
  const rows = Object.entries(results).flatMap(([p, r]) => summarise(p, r));
  const w = Math.max(6, ...rows.map((r) => r.metric.length));
  console.log(`\n${'metric'.padEnd(w)}  ${'ours'.padStart(14)}  ${'target'.padStart(7)}  result`);
  for (const r of rows) console.log(`${r.metric.padEnd(w)}  ${r.ours.padStart(14)}  ${r.target.padStart(7)}  ${r.pass === null ? 'for the note' : r.pass ? 'pass' : 'MISS'}`);
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
} catch (e) {
  console.error(`bench: ${e.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
