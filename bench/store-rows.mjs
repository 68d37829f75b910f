// Store CPU per recorded call: feeds N calls through the real recording path into a real temporary store and
// prints the CPU time each thread spent per call. CPU time, not throughput: the machine is shared, and a loaded
// core stretches wall time but not CPU time.
//   pg     pgbench -S's simple query (Q → RowDescription, DataRow, CommandComplete, ReadyForQuery), one per chunk,
//          through the postgres parser and WireCapture's tap → StoreWriter.enqueueWireCall
//   redis  redis-benchmark -P 16 (16 GET or SET per chunk, 16 replies per chunk), through the redis parser; keys
//          distinct over --keys (100,000: every request body new; redis-benchmark itself uses one key)
//   http   a small JSON GET exchange (headers, 1 KB body), StoreWriter.enqueueExchange (the HTTP capture's path)
// Threads are measured from /proc/self/task/*/stat (clock ticks): main (the proxy's thread), worker (the store
// worker: the thread the writer started that used the most CPU) and other (V8's GC helpers, libuv's pool).
// Every call must be stored (checked against the file).
//
//   npm run bench:store                                   # 100k calls of each kind
//   node bench/store-rows.mjs --calls 20000 --kinds redis    # after npm run build
//   node bench/store-rows.mjs --root /tmp/before            # the same bench on another checkout (built)
//   node bench/store-rows.mjs --rows 1000000 # also: snapshot (export + write) time at 1M rows
//   node --cpu-prof --cpu-prof-dir /tmp/prof bench/store-rows.mjs --kinds pg   # profiles both threads
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

// The code measured is bundled as the CLI is (scripts/build.mjs): tsx would add its keepNames wrappers to every
// closure made on the hot path. The store worker and sql.js's wasm are the built ones from dist/, beside it.
const rootArg = process.argv.indexOf('--root');
const ROOT = rootArg > 0 ? path.resolve(process.argv[rootArg + 1]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-bench-store-code-'));
process.on('exit', () => fs.rmSync(bundleDir, { recursive: true, force: true }));
for (const f of ['storeWorker.js', 'sql-wasm.js', 'sql-wasm.wasm']) {
  // Checkouts from before sql.js was loaded from beside the bundle (a --root for a before/after) bundle it instead.
  if (f === 'sql-wasm.js' && !fs.existsSync(path.join(ROOT, 'dist', f))) continue;
  if (!fs.existsSync(path.join(ROOT, 'dist', f))) throw new Error(`dist/${f} is missing: run npm run build first (npm run bench:store does)`);
  fs.copyFileSync(path.join(ROOT, 'dist', f), path.join(bundleDir, f));
}
esbuild.buildSync({
  stdin: {
    contents: ['store/writer', 'store/database', 'protocols/wireCapture', 'protocols/registry'].map((m) => `export * from './src/core/${m}';`).join('\n'),
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: path.join(bundleDir, 'bench.js'), logLevel: 'warning',
});
const { StoreWriter, TrafficDb, WireCapture, loadProtocol } = createRequire(import.meta.url)(path.join(bundleDir, 'bench.js'));

const { values: opt } = parseArgs({
  options: {
    calls: { type: 'string', default: '100000' },
    kinds: { type: 'string', default: 'pg,redis,http' },
    rows: { type: 'string' },
    keys: { type: 'string', default: '100000' }, // distinct Redis keys (redis-benchmark without -r uses 1)
    root: { type: 'string' }, // another checkout to measure (its src/ and built dist/), e.g. the code before a change
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  console.log('node bench/store-rows.mjs [--calls 100000] [--kinds pg,redis,http] [--keys 100000] [--rows N (snapshot cost at N rows)] [--root CHECKOUT]');
  process.exit(0);
}
const CALLS = Number(opt.calls);
const KEYS = Number(opt.keys);
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux
const DEADLINE = Date.now() + 10 * 60_000;

// ---- per-thread CPU from /proc

function threadTicks() {
  const out = new Map();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(f[11]) + Number(f[12])); // utime + stime
    } catch {
      // the thread ended
    }
  }
  return out;
}

function cpuSplit(before, after, workerTids) {
  const mainTid = process.pid;
  let main = 0, worker = 0, other = 0;
  for (const [tid, t] of after) {
    const d = (t - (before.get(tid) ?? 0)) * TICK_US;
    if (tid === mainTid) main += d;
    else if (workerTids.has(tid)) worker += d;
    else other += d;
  }
  return { main, worker, other };
}

// ---- wire bytes

function pgMessage(type, body) {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cstr = (s) => Buffer.from(`${s}\0`);
function int16(n) { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; }
function int32(n) { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; }

function pgStartup() {
  const body = Buffer.concat([int32(196608), cstr('user'), cstr('bench'), cstr('database'), cstr('bench'), Buffer.from([0])]);
  const client = Buffer.concat([int32(body.length + 4), body]);
  const server = Buffer.concat([
    pgMessage('R', int32(0)),
    pgMessage('S', Buffer.concat([cstr('server_version'), cstr('16.4')])),
    pgMessage('K', Buffer.concat([int32(1234), int32(5678)])),
    pgMessage('Z', Buffer.from('I')),
  ]);
  return { client, server };
}

function pgSelect(aid) {
  const client = pgMessage('Q', cstr(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`));
  const value = Buffer.from(String(aid % 1000));
  const server = Buffer.concat([
    pgMessage('T', Buffer.concat([int16(1), cstr('abalance'), int32(16400), int16(3), int32(23), int16(4), int32(-1), int16(0)])),
    pgMessage('D', Buffer.concat([int16(1), int32(value.length), value])),
    pgMessage('C', cstr('SELECT 1')),
    pgMessage('Z', Buffer.from('I')),
  ]);
  return { client, server };
}

const bulk = (s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
function redisBatch(i, n) {
  let client = '';
  let server = '';
  for (let k = 0; k < n; k++) {
    const key = `key:${String((i + k) % KEYS).padStart(12, '0')}`;
    if ((i + k) % 2) {
      client += `*3\r\n${bulk('SET')}${bulk(key)}${bulk('xxx')}`;
      server += '+OK\r\n';
    } else {
      client += `*2\r\n${bulk('GET')}${bulk(key)}`;
      server += bulk('xxx');
    }
  }
  return { client: Buffer.from(client), server: Buffer.from(server) };
}

const HTTP_BODY = Buffer.from(JSON.stringify({ items: Array.from({ length: 12 }, (_, i) => ({ id: i, name: `item ${i}`, price: i * 3.5 })) }));
function httpExchange(seq, connectionId) {
  const t = Date.now();
  return {
    seq,
    protocol: 'http',
    connectionId,
    startedAt: t,
    ttfbMs: 0.4,
    durationMs: 0.6,
    method: 'GET',
    url: `http://127.0.0.1:9000/items?page=${seq % 50}`,
    target: 'http://127.0.0.1:9000',
    status: 200,
    requestHeaders: ['host', '127.0.0.1:8080', 'user-agent', 'autocannon', 'accept', 'application/json', 'authorization', 'Bearer abc.def'],
    responseHeaders: ['content-type', 'application/json', 'content-length', String(HTTP_BODY.length), 'date', new Date(t).toUTCString()],
    requestBody: { data: null, size: 0, truncated: false },
    responseBody: { data: HTTP_BODY, size: HTTP_BODY.length, truncated: false },
    error: null,
    httpVersion: '1.1',
    upstreamHttpVersion: '1.1',
  };
}

// ---- one run

const tick = () => new Promise((r) => setImmediate(r));

async function feed(writer, kind, calls, seqRef) {
  const sink = writer;
  const hold = async () => {
    await tick();
    if (writer.behind) await new Promise((r) => writer.whenCaughtUp(r));
  };
  if (kind === 'http') {
    for (let i = 0; i < calls; i++) {
      writer.enqueueExchange(httpExchange(seqRef.seq++, 1 + (i % 50)));
      if (i % 256 === 255) await hold();
    }
    return;
  }
  const definition = await loadProtocol(kind === 'pg' ? 'postgres' : 'redis');
  const capture = new WireCapture(definition, { name: kind, listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: 1 }, nextSeq: () => seqRef.seq++ }, sink);
  const conns = 8;
  const taps = Array.from({ length: conns }, (_, c) => capture._tap(c + 1));
  if (kind === 'pg') {
    const s = pgStartup();
    for (const t of taps) {
      t.client(s.client);
      t.server(s.server);
    }
    // Prebuilt byte streams: the bench measures recording, not building bytes.
    const queries = Array.from({ length: 1000 }, (_, i) => pgSelect(i + 1));
    const startupCalls = capture.stats.calls;
    for (let i = 0; i < calls - conns; i++) {
      const q = queries[i % queries.length];
      const t = taps[i % conns];
      t.client(q.client);
      t.server(q.server);
      if (i % 256 === 255) await hold();
    }
    if (capture.stats.calls - startupCalls !== calls - conns) throw new Error(`pg parser emitted ${capture.stats.calls - startupCalls} calls for ${calls - conns} queries`);
  } else {
    const P = 16;
    const batches = Array.from({ length: Math.ceil(Math.min(calls, 100_000) / P) }, (_, i) => redisBatch(i * P, P));
    for (let i = 0; i * P < calls; i++) {
      const b = batches[i % batches.length];
      const t = taps[i % conns];
      t.client(b.client);
      t.server(b.server);
      if (i % 16 === 15) await hold();
    }
  }
  for (const t of taps) t.end();
  if (capture.stats.recorded !== capture.stats.calls) throw new Error(`${kind}: ${capture.stats.calls - capture.stats.recorded} calls not recorded`);
}

async function waitStored(writer) {
  writer.flush();
  while (writer.stats.stored < writer.stats.enqueued) {
    if (Date.now() > DEADLINE) throw new Error('the store did not catch up in time');
    if (writer.failed) throw writer.failed;
    await new Promise((r) => setTimeout(r, 5));
    writer.flush();
  }
}

async function run(kind, calls) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-bench-store-'));
  const file = path.join(dir, 'traffic.db');
  try {
    const tidsBefore = new Set(threadTicks().keys());
    const writer = await StoreWriter.open(file);
    await writer.startSession({ kind: 'reverse', target: '127.0.0.1:1', listen: '127.0.0.1:0', startedAt: Date.now() });
    const seqRef = { seq: 1 };
    // Warm up (JIT, caches), not measured.
    await feed(writer, kind, Math.min(5000, calls), seqRef);
    await waitStored(writer);
    const before = threadTicks();
    const workerTids = new Set([...before.keys()].filter((t) => !tidsBefore.has(t)));
    const enqueuedBefore = writer.stats.enqueued;
    const wall0 = performance.now();
    await feed(writer, kind, calls, seqRef);
    await waitStored(writer);
    const wall = performance.now() - wall0;
    const after = threadTicks();
    const n = writer.stats.enqueued - enqueuedBefore;
    // The store worker is the new thread that worked the most (the others are V8 and libuv helpers).
    let workerTid = 0;
    let most = -1;
    for (const t of workerTids) {
      const d = (after.get(t) ?? 0) - (before.get(t) ?? 0);
      if (d > most) (most = d), (workerTid = t);
    }
    const cpu = cpuSplit(before, after, new Set([workerTid]));
    const closed = await writer.close();
    const db = await TrafficDb.open(file);
    const stored = db.countExchanges();
    db.close();
    const expected = writer.stats.enqueued;
    if (stored !== expected || writer.stats.dropped) throw new Error(`${kind}: ${stored} rows stored of ${expected} (dropped ${writer.stats.dropped})`);
    return { kind, n, cpu, wall, stored, fileBytes: closed.fileBytes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What a snapshot costs at `rows` rows (redis-like calls): db.export() and the atomic write. */
async function snapshotCost(rows) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-bench-snap-'));
  const file = path.join(dir, 'traffic.db');
  try {
    const writer = await StoreWriter.open(file);
    await writer.startSession({ kind: 'reverse', target: '127.0.0.1:1', listen: '127.0.0.1:0', startedAt: Date.now() });
    await feed(writer, 'redis', rows, { seq: 1 });
    await waitStored(writer);
    await writer.close();
    const db = await TrafficDb.open(file);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    db.save();
    const cpu = process.cpuUsage(c0);
    const ms = performance.now() - t0;
    db.close();
    return { rows, fileMB: fs.statSync(file).size / 1e6, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Main-thread CPU per call of the parser alone: the same feed into a sink that records nothing. */
async function parseOnly(kind, calls) {
  const none = { enqueueWireCall: () => true, enqueueExchange: () => true, behind: false, whenCaughtUp: (fn) => fn() };
  await feed(none, kind, Math.min(5000, calls), { seq: 1 });
  const before = threadTicks();
  await feed(none, kind, calls, { seq: 1 });
  const after = threadTicks();
  return ((after.get(process.pid) - before.get(process.pid)) * TICK_US) / calls;
}

const fmt = (us) => us.toFixed(2).padStart(7);
console.log(`store CPU per recorded call (${CALLS} calls per kind; µs of CPU time per call, from /proc per-thread ticks)`);
console.log(`${'kind'.padEnd(6)} ${'main'.padStart(7)} ${'worker'.padStart(7)} ${'other'.padStart(7)} ${'total'.padStart(7)}   stored    wall (loaded machine)`);
for (const kind of opt.kinds.split(',')) {
  const r = await run(kind, CALLS);
  const per = (x) => x / r.n;
  const parse = kind === 'http' ? '' : `; the parser alone: ${(await parseOnly(kind, CALLS)).toFixed(2)} µs on main`;
  console.log(`${kind.padEnd(6)} ${fmt(per(r.cpu.main))} ${fmt(per(r.cpu.worker))} ${fmt(per(r.cpu.other))} ${fmt(per(r.cpu.main + r.cpu.worker + r.cpu.other))}   ${String(r.stored).padStart(7)}   ${(r.wall / 1000).toFixed(2)} s, ${(r.fileBytes / 1e6).toFixed(1)} MB${parse}`);
}
if (opt.rows) {
  const s = await snapshotCost(Number(opt.rows));
  console.log(`snapshot at ${s.rows} rows: ${s.fileMB.toFixed(0)} MB file, ${s.ms.toFixed(0)} ms (${s.cpuMs.toFixed(0)} ms CPU) per export + write`);
}
