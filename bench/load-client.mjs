// Our load generator as its own process, for bench/load.mjs (so its CPU time is the generator's alone).
//   node bench/load-client.mjs --engine BUNDLE.js --target URL [--connections 50 | --rate 2000 --max-connections 50] [--duration-ms 5000]
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
// How late this process's own event loop ran: a stall of the generator shows here, one of the target does not.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
const r = await runLoad(spec, singleRequestMix(o.target), process.env.LOAD_CLIENT_TICKS ? { onTick: (t) => console.error(JSON.stringify(t)) } : {});
loopDelay.disable();
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({
  rps: r.rps, completed: r.totals.completed, errors: r.totals.errors, latencyUs: r.latency, serviceUs: r.serviceTime,
  seconds: (r.finishedAt - r.startedAt) / 1000, runCpuMs: (cpu.user + cpu.system) / 1000,
  loopDelayUs: { p99: Math.round(loopDelay.percentile(99) / 1000), max: Math.round(loopDelay.max / 1000) },
}));
