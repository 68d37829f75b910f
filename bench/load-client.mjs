// Our load generator as its own process, for bench/load.mjs (so its CPU time is the generator's alone).
//   node bench/load-client.mjs --engine BUNDLE.js --target URL [--connections 50 | --rate 2000 --max-connections 50] [--duration-ms 5000] [--loop-delay]
// BUNDLE.js is src/core/load/run.ts bundled by esbuild (bench/load.mjs builds it). Prints the result's figures as JSON.
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    engine: { type: 'string' },
    target: { type: 'string' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string' },
    'max-connections': { type: 'string', default: '50' },
    'duration-ms': { type: 'string', default: '5000' },
    'loop-delay': { type: 'boolean' },
  },
});
const { runLoad, singleRequestMix, buildProfile } = createRequire(import.meta.url)(path.resolve(o.engine));
const durationMs = Number(o['duration-ms']);
const model = o.rate
  ? { kind: 'open', rate: Number(o.rate), maxConnections: Number(o['max-connections']) }
  : { kind: 'closed', connections: Number(o.connections) };
const level = model.kind === 'open' ? model.rate : model.connections;
const spec = {
  name: 'bench', target: o.target, model, profile: buildProfile('constant', { to: level, durationMs, model: model.kind }), durationMs,
  maxRequests: 1e12, timeoutMs: 10_000, slo: [], allowRemote: false, insecure: false,
};
const cpuBefore = process.cpuUsage();
// --loop-delay: how late this process's own event loop ran while it sent (a stall of the generator shows here, one
// of the target does not). Node's monitor records the whole interval between its timer's turns, so lateness is what
// exceeds the resolution (libuv's timers run on whole milliseconds: up to ~1 ms of it is the timer, not a stall). It
// stops when sending stops: building the result's histograms afterwards delays no response. Not in throughput runs:
// with it on, the process spent about 2 µs more CPU per request at 60,000 req/s (measured, mostly kernel time), a
// fifth of the total.
const RESOLUTION_MS = 5;
const loopDelay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
const lateUs = (ns) => (o['loop-delay'] ? Math.max(0, Math.round(ns / 1000 - RESOLUTION_MS * 1000)) : null);
if (o['loop-delay']) loopDelay.enable();
const stopMonitor = setTimeout(() => loopDelay.disable(), durationMs);
const r = await runLoad(spec, singleRequestMix(o.target), process.env.LOAD_CLIENT_TICKS ? { onTick: (t) => console.error(JSON.stringify(t)) } : {});
clearTimeout(stopMonitor);
loopDelay.disable();
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({
  rps: r.rps, completed: r.totals.completed, errors: r.totals.errors, latencyUs: r.latency, serviceUs: r.serviceTime,
  seconds: (r.finishedAt - r.startedAt) / 1000, runCpuMs: (cpu.user + cpu.system) / 1000,
  loopDelayUs: { p99: lateUs(loopDelay.percentile(99)), max: lateUs(loopDelay.max) },
}));
