// Benchmark backend: answers every request with the same 1 KiB JSON body.
//   node bench/backend.mjs [--port 0] [--work-ms 2 [--work cpu|wait] | --delay-us 1000]
// --work-ms N: N ms of work per request, of one of two kinds:
//   --work cpu   a busy loop on the backend's one thread, as a handler that computes does: requests queue behind it.
//   --work wait  (default) a setTimeout: a backend that only waits (on I/O), so it answers at any rate and the
//                proxy in front of it, not the backend, sets the pace.
// --delay-us N answers N µs after the request, also without CPU, but to the tens of microseconds: setTimeout fires on
// whole milliseconds of the server's loop clock, so its delay would depend on when in a millisecond each generator
// happens to send. A worker thread sleeps to each deadline (Atomics.wait, a futex with a sub-millisecond timeout)
// and wakes the server thread, which answers. Prints "listening PORT" when ready.
// --record: the backend times each request itself, from the request's arrival (its handler, which runs at the read
// that completed the request) to its response handed to the kernel (after res.end()), in µs; on SIGUSR2 it prints
// "served {p50,p90,p99,max,count}" since the last print and starts over (bench/load.mjs reads it after each run, to
// tell the target's own tail from the generator's).
import * as http from 'node:http';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' }, 'work-ms': { type: 'string', default: '0' }, work: { type: 'string', default: 'wait' },
    'delay-us': { type: 'string', default: '0' }, record: { type: 'boolean' },
  },
});
const workMs = Number(values['work-ms']);
if (values.work !== 'cpu' && values.work !== 'wait') {
  console.error(`backend: --work '${values.work}' must be cpu or wait`);
  process.exit(2);
}
const cpuWork = values.work === 'cpu';
const delayUs = Number(values['delay-us']);

/** A JSON document padded to exactly `size` bytes. */
function jsonBody(size) {
  const doc = { id: 42, name: 'benchmark', tags: ['a', 'b', 'c'], pad: '' };
  const base = Buffer.byteLength(JSON.stringify(doc));
  doc.pad = 'x'.repeat(size - base);
  return Buffer.from(JSON.stringify(doc));
}

const body = jsonBody(1024);
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };

const record = values.record;
const nowUs = () => Number(process.hrtime.bigint()) / 1000;
let served = [];

function answer(res) {
  res.writeHead(200, headers);
  res.end(body);
  if (record) served.push(nowUs() - res.arrivedUs);
}

if (record) {
  process.on('SIGUSR2', () => {
    const s = Float64Array.from(served).sort();
    const at = (p) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]) : null);
    console.log(`served ${JSON.stringify({ p50: at(50), p90: at(90), p99: at(99), max: at(100), count: s.length })}`);
    served = [];
  });
}

// The delay line: the same delay for every request, so deadlines come due in arrival order (a FIFO on both sides).
// The worker gets each deadline (µs on the monotonic clock both threads share) and posts how many came due.
const TIMER = `
const { parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');
const signal = workerData.signal;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const due = [];
let head = 0;
for (;;) {
  const seen = Atomics.load(signal, 0);
  for (let m; (m = receiveMessageOnPort(parentPort)); ) due.push(m.message);
  if (head === due.length) { Atomics.wait(signal, 0, seen); continue; }
  const now = nowUs();
  let n = 0;
  while (head < due.length && due[head] <= now) (head++, n++);
  if (n) parentPort.postMessage(n);
  if (head > 4096) (due.splice(0, head), (head = 0));
  if (head < due.length) Atomics.wait(signal, 0, seen, (due[head] - now) / 1000);
}`;

let delayed = null;
if (delayUs > 0) {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(TIMER, { eval: true, workerData: { signal } });
  const waiting = [];
  let head = 0;
  worker.on('message', (n) => {
    for (let i = 0; i < n; i++) answer(waiting[head++]);
    if (head > 4096) (waiting.splice(0, head), (head = 0));
  });
  delayed = (res) => {
    waiting.push(res);
    worker.postMessage(Number(process.hrtime.bigint() / 1000n) + delayUs);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
}

/** Keeps the thread busy for `ms` (bounded by the clock, not by an iteration count that depends on the CPU). */
function busy(ms) {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x = (x + 1) | 0;
  return x;
}

const server = http.createServer((req, res) => {
  if (record) res.arrivedUs = nowUs();
  req.resume();
  req.on('end', () => {
    if (delayed) delayed(res);
    else if (workMs <= 0) answer(res);
    else if (cpuWork) {
      busy(workMs);
      answer(res);
    } else setTimeout(answer, workMs, res);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(values.port), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
