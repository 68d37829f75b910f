/**
 * runExperiment against real processes and proxies on 127.0.0.1: recovery-time accuracy (a backend that answers a
 * known 1.5 s after its restart), the hypothesis gate, partition and latency on a proxy the run starts, dry run.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { readJournal } from '../../src/core/chaos/journal';
import { parseExperimentText } from '../../src/core/chaos/parse';
import { isAlive } from '../../src/core/chaos/process';
import { toxicName } from '../../src/core/chaos/actions/proxyFault';
import { runExperiment } from '../../src/core/chaos/runner';
import type { Experiment } from '../../src/core/chaos/types';
import { startBackend } from '../helpers/chaos';
import { closedPort, listen, tmpDir } from '../helpers';

function experiment(yaml: string): Experiment {
  const { experiment: e, problems } = parseExperimentText(yaml);
  assert.deepEqual(problems, []);
  return e!;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(false)));
    s.on('error', () => resolve(true));
  });
}

test('recovery time: a backend that answers 1.5 s after its restart measures at least 1.5 s, and not the whole timeout', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const backend = await startBackend(t, dir);
  const firstPid = backend.pid()!;
  const e = experiment(`
title: restart
targets:
  api: {url: "http://127.0.0.1:${backend.port}"}
  backend:
    process:
      pidFile: ${JSON.stringify(backend.pidFile)}
      start: ${JSON.stringify(backend.start)}
      env: {PORT: "${backend.port}", PID_FILE: ${JSON.stringify(backend.pidFile)}, RECOVER_DELAY_MS: "1500"}
steady-state-hypothesis:
  probes: [{name: health, provider: {type: http, url: api/health}, tolerance: {status: 200, jsonpath: $.status, equals: ok}}]
method:
  - {name: kill, provider: {type: process-kill, target: backend, arguments: {signal: SIGKILL, restart: true, restartAfter: 300ms}}}
measure: {interval: 20ms, baseline: 300ms, fault: 100ms, consecutive: 3, recovery-timeout: 10s}
`);
  const result = await runExperiment(e, { journalDir: path.join(dir, '.chaos') });
  assert.equal(result.status, 'completed', JSON.stringify(result.timeline));
  assert.equal(result.hypothesisHeld, true);
  assert.equal(result.recoveredSuccessfully, true);
  assert.equal(result.consecutiveSuccesses, 3);
  // Never less than the backend's own delay; the upper bound allows a slow process start on a loaded 2-core run
  // (1,748 ms seen) while still failing a clock that counts the whole recovery timeout. Precision is bench work.
  assert.ok(result.recoveryTimeMs !== null && result.recoveryTimeMs >= 1480 && result.recoveryTimeMs <= 3000, `recovery ${result.recoveryTimeMs} ms`);
  assert.notEqual(backend.pid(), firstPid, 'a new process answers');
  assert.equal(isAlive(firstPid), false);
  const fault = result.phases.find((p) => p.phase === 'fault')!;
  assert.ok(fault.errors > 0 && result.errorRateDuringFailure > 0, 'probes failed while the backend was down');
  assert.ok(result.samples.filter((s) => s.phase === 'baseline' && !s.ok).every((s) => s.at >= fault.startedAt - 40), 'baseline probes succeed until the kill');
  assert.deepEqual(readJournal(path.join(dir, '.chaos')), []);
});

test('unhealthy before: no action runs and the backend is untouched', { timeout: 30_000 }, async (t) => {
  const dir = tmpDir(t);
  const backend = await startBackend(t, dir, { HEALTH_STATUS: '503' });
  const pid = backend.pid()!;
  const e = experiment(`
title: gate
targets:
  api: {url: "http://127.0.0.1:${backend.port}"}
  backend: {process: {pidFile: ${JSON.stringify(backend.pidFile)}}}
steady-state-hypothesis:
  probes: [{name: health, provider: {type: http, url: api/health}, tolerance: 200}]
method:
  - {name: kill, provider: {type: process-kill, target: backend}}
`);
  const result = await runExperiment(e, { journalDir: path.join(dir, '.chaos') });
  assert.equal(result.status, 'unhealthy-before');
  assert.match(result.hypothesisBefore[0].detail, /status 503, expected 200/);
  assert.equal(result.timeline.filter((ev) => ev.kind === 'action').length, 0);
  assert.equal(isAlive(pid), true);
  assert.equal(backend.pid(), pid);
  assert.equal(fs.existsSync(path.join(dir, '.chaos', 'chaos-journal.json')), false);
});

async function proxiedBackend(t: Parameters<typeof tmpDir>[0]): Promise<{ upstream: number; listen: number }> {
  const server = await listen(t, http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')));
  return { upstream: server.port, listen: await closedPort() };
}

function proxyExperiment(ports: { upstream: number; listen: number }, action: string): Experiment {
  return experiment(`
title: proxy
targets:
  api: {url: "http://127.0.0.1:${ports.listen}"}
  edge: {proxy: {listen: "127.0.0.1:${ports.listen}", upstream: "127.0.0.1:${ports.upstream}"}}
steady-state-hypothesis:
  probes: [{name: health, provider: {type: http, url: api/health, timeout: 2s}, tolerance: 200}]
method:
  - ${action}
measure: {interval: 20ms, baseline: 300ms, fault: 600ms, consecutive: 3, recovery-timeout: 10s}
`);
}

test('network-partition on a proxy the run starts: errors during the fault, the proxy gone after', { timeout: 30_000 }, async (t) => {
  const dir = tmpDir(t);
  const ports = await proxiedBackend(t);
  const result = await runExperiment(proxyExperiment(ports, '{name: cut, provider: {type: network-partition, target: edge}}'), { journalDir: path.join(dir, '.chaos') });
  assert.equal(result.status, 'completed', JSON.stringify(result.timeline));
  const fault = result.phases.find((p) => p.phase === 'fault')!;
  assert.ok(fault.errorRate > 0.5, `fault error rate ${fault.errorRate}`);
  // Only a probe still in flight when the partition cut its connection may fail among the baseline's.
  const cutAt = fault.startedAt;
  const baselineFailures = result.samples.filter((s) => s.phase === 'baseline' && !s.ok);
  assert.ok(baselineFailures.every((s) => s.at >= cutAt - 40), JSON.stringify(baselineFailures));
  assert.equal(result.recoveredSuccessfully, true);
  assert.deepEqual(result.rollbacks, [{ action: 'cut', ok: true }]);
  assert.equal(await refused(ports.listen), true, 'the run closed its proxy');
  assert.deepEqual(readJournal(path.join(dir, '.chaos')), []);
});

test('latency on a proxy the run starts: fault-phase p99 is at least the configured latency', { timeout: 30_000 }, async (t) => {
  const dir = tmpDir(t);
  const ports = await proxiedBackend(t);
  const result = await runExperiment(proxyExperiment(ports, '{name: slow, provider: {type: latency, target: edge, arguments: {latency: 250ms}}}'), { journalDir: path.join(dir, '.chaos') });
  assert.equal(result.status, 'completed', JSON.stringify(result.timeline));
  const [baseline, fault] = ['baseline', 'fault'].map((p) => result.phases.find((x) => x.phase === p)!);
  assert.ok(fault.p99 >= 250, `fault p99 ${fault.p99}`);
  assert.ok(fault.p50 >= 250, `fault p50 ${fault.p50}`);
  assert.ok(baseline.p99 < 250, `baseline p99 ${baseline.p99}`);
  assert.equal(await refused(ports.listen), true);
});

test('dry run describes every action and touches nothing', { timeout: 30_000 }, async (t) => {
  const dir = tmpDir(t);
  const backend = await startBackend(t, dir);
  const pid = backend.pid()!;
  const listenPort = await closedPort();
  const e = experiment(`
title: dry
targets:
  api: {url: "http://127.0.0.1:${backend.port}"}
  backend: {process: {pidFile: ${JSON.stringify(backend.pidFile)}}}
  edge: {proxy: {listen: "127.0.0.1:${listenPort}", upstream: "127.0.0.1:${backend.port}"}}
steady-state-hypothesis:
  probes: [{name: health, provider: {type: http, url: api/health}}]
method:
  - {name: kill, provider: {type: process-kill, target: backend}}
  - {name: cut, provider: {type: network-partition, target: edge}}
`);
  const result = await runExperiment(e, { dryRun: true, journalDir: path.join(dir, '.chaos') });
  assert.equal(result.dryRun, true);
  assert.deepEqual(result.timeline.map((ev) => ev.name), ['kill', 'cut']);
  assert.match(result.timeline[0].detail!, /^would send SIGKILL to process 'backend'/);
  assert.equal(result.samples.length, 0);
  assert.equal(isAlive(pid), true);
  assert.equal(await refused(listenPort), true, 'no proxy was started');
  assert.equal(fs.existsSync(path.join(dir, '.chaos')), false);
});

test('unhealthy before, with a proxy the run started: the proxy is closed as well', { timeout: 30_000 }, async (t) => {
  const dir = tmpDir(t);
  const server = await listen(t, http.createServer((_req, res) => res.writeHead(503).end()));
  const ports = { upstream: server.port, listen: await closedPort() };
  const result = await runExperiment(proxyExperiment(ports, '{name: cut, provider: {type: network-partition, target: edge}}'), { journalDir: path.join(dir, '.chaos') });
  assert.equal(result.status, 'unhealthy-before');
  assert.equal(await refused(ports.listen), true, 'the run closed its proxy');
});

test('a tolerance JSONPath that throws on a body of another shape fails the probe; the run goes on and rolls back', { timeout: 30_000 }, async (t) => {
  const dir = tmpDir(t);
  // The first answer (hypothesis before) has the expected shape; every later one lacks `detail`, so the filter throws.
  let calls = 0;
  const server = await listen(t, http.createServer((_req, res) => {
    const body = calls++ === 0 ? { checks: [{ name: 'db', detail: { status: 'up' } }] } : { checks: [{ name: 'db', error: 'down' }] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }));
  const listenPort = await closedPort();
  const e = experiment(`
title: shape
targets:
  api: {url: "http://127.0.0.1:${listenPort}"}
  edge: {proxy: {listen: "127.0.0.1:${listenPort}", upstream: "127.0.0.1:${server.port}"}}
steady-state-hypothesis:
  probes: [{name: health, provider: {type: http, url: api/health}, tolerance: {status: 200, jsonpath: "$.checks[?(@.detail.status == 'up')]"}}]
method:
  - {name: slow, provider: {type: latency, target: edge, arguments: {latency: 10ms}}}
measure: {interval: 20ms, baseline: 100ms, fault: 200ms, consecutive: 2, recovery-timeout: 300ms}
`);
  const result = await runExperiment(e, { journalDir: path.join(dir, '.chaos') });
  assert.equal(result.status, 'failed', JSON.stringify(result.timeline));
  assert.deepEqual(result.rollbacks, [{ action: 'slow', ok: true }]);
  assert.match(result.hypothesisAfter[0].detail, /cannot be evaluated on this body \(.*Cannot read properties of undefined/);
  assert.ok(result.samples.some((s) => s.phase === 'fault' && !s.ok));
  assert.deepEqual(readJournal(path.join(dir, '.chaos')), []);
});

function restartExperiment(backend: { port: number; pidFile: string }, start: string): Experiment {
  return experiment(`
title: shell start
targets:
  api: {url: "http://127.0.0.1:${backend.port}"}
  backend: {process: {pidFile: ${JSON.stringify(backend.pidFile)}, start: ${JSON.stringify(start)}}}
steady-state-hypothesis:
  probes: [{name: health, provider: {type: http, url: api/health, timeout: 1s}, tolerance: 200}]
method:
  - {name: kill, provider: {type: process-kill, target: backend, arguments: {restart: true, restartAfter: 100ms}}}
measure: {interval: 50ms, baseline: 200ms, fault: 100ms, consecutive: 2, recovery-timeout: 5s}
`);
}

test("a start that is a real shell command ('cd dir && VAR=x cmd') brings the target back, and a kill still reaches it", { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const backend = await startBackend(t, dir);
  const firstPid = backend.pid()!;
  const start = `cd ${JSON.stringify(dir)} && PORT=${backend.port} PID_FILE=${JSON.stringify(backend.pidFile)} ${backend.start}`;
  const result = await runExperiment(restartExperiment(backend, start), { journalDir: path.join(dir, '.chaos') });
  assert.equal(result.status, 'completed', JSON.stringify(result.timeline));
  assert.equal(result.hypothesisHeld, true);
  const restarted = backend.pid()!;
  assert.ok(restarted !== firstPid && isAlive(restarted), 'the backend runs again, under its own pid');
  assert.deepEqual(readJournal(path.join(dir, '.chaos')), []);
  // A second run kills the restarted one (found by its pid file) and starts it once more.
  const again = await runExperiment(restartExperiment(backend, start), { journalDir: path.join(dir, '.chaos') });
  assert.equal(again.status, 'completed', JSON.stringify(again.timeline));
  assert.equal(isAlive(restarted), false);
});

test('a start that exits at once fails the restart and the undo, and stays in the journal', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const backend = await startBackend(t, dir);
  const result = await runExperiment(restartExperiment(backend, `cd ${JSON.stringify(path.join(dir, 'missing'))} && ${backend.start}`), { journalDir: path.join(dir, '.chaos') });
  assert.equal(result.status, 'failed');
  const restartError = result.timeline.find((e) => e.kind === 'error' && e.name === 'kill');
  assert.match(restartError?.detail ?? '', /exited at once with code 2/);
  assert.deepEqual(result.rollbacks.map((r) => r.ok), [false]);
  assert.equal(readJournal(path.join(dir, '.chaos')).length, 1, 'the undo failed, so the entry stays for chaos recover');
});

test('two actions whose names give the same slug get toxics of their own, and each undo removes its own', { timeout: 30_000 }, async (t) => {
  const dir = tmpDir(t);
  const ports = await proxiedBackend(t);
  const long = 'a'.repeat(45);
  const e = proxyExperiment(ports, [
    '{name: slow web, provider: {type: latency, target: edge, arguments: {latency: 20ms}}}',
    '  - {name: "Slow Web!", provider: {type: latency, target: edge, arguments: {latency: 20ms}}}',
    `  - {name: ${long}x, provider: {type: latency, target: edge, arguments: {latency: 20ms}}}`,
    `  - {name: ${long}y, provider: {type: latency, target: edge, arguments: {latency: 20ms}}}`,
  ].join('\n'));
  const toxics = new Set(e.method.map((a) => toxicName(a)));
  assert.equal(toxics.size, 4);
  for (const name of toxics) assert.match(name, /^[\w.-]{1,64}$/);
  const result = await runExperiment(e, { journalDir: path.join(dir, '.chaos') });
  assert.equal(result.status, 'completed', JSON.stringify(result.timeline));
  assert.deepEqual(result.rollbacks.map((r) => r.ok), [true, true, true, true]);
  assert.equal(result.timeline.filter((ev) => ev.kind === 'action' && ev.ok).length, 4);
});
