/**
 * The library's calls against real servers on 127.0.0.1 (the sample backend, fault proxies): capture, store and
 * generated tests; an experiment that partitions the service and measures its recovery, one that is cancelled
 * mid-fault and still rolls back, one through a standing FaultProxy's API; a load run with progress, SLO verdicts and
 * cancellation; a custom
 * invariant through the properties engine; an audit whose verdict matches the CLI's exit code. Errors are typed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { CancelledError, Capture, ChaosExperiment, ComplianceFramework, FaultProxy, ListenError, LoadTest, StateInvariant, StoreError, TrafficStore, generateTests, type ChaosOutcome, type LoadOutcome } from '../../src/api';
import { closedPort, ROOT, runCli, startSampleBackend, tmpDir } from '../helpers';

test('capture → store → generated tests; a port in use and a foreign file are typed errors', async (t) => {
  const backend = await startSampleBackend(t);
  const dir = tmpDir(t);
  const output = path.join(dir, 'traffic.db');
  const capture = await Capture.start({ target: backend.url, output });
  t.after(() => capture.stop());
  const created = await fetch(`${capture.url}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) });
  assert.equal(created.status, 201);
  for (const p of ['/health', '/api/users', created.headers.get('location')!, '/api/users?limit=1']) assert.equal((await fetch(`${capture.url}${p}`)).status, 200, p);
  assert.equal(capture.requests, 5);
  const summary = await capture.stop();
  assert.equal(summary.stored, 5);

  const store = await TrafficStore.open(output);
  try {
    assert.equal(store.count(), 5);
    assert.equal(store.sessions().length, 1);
    const posted = store.exchanges().find((e) => e.method === 'POST')!;
    assert.equal(store.exchange(posted.id)!.status, 201);
  } finally {
    store.close();
  }

  const suite = await generateTests({ traffic: output, language: 'typescript', framework: 'node', out: dir });
  assert.equal(suite.framework, 'node:test');
  assert.ok(suite.tests >= 4, `${suite.tests} tests`);
  assert.match(fs.readFileSync(suite.file, 'utf8'), /\/api\/users/);

  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => busy.close(() => resolve())));
  const port = (busy.address() as net.AddressInfo).port;
  await assert.rejects(Capture.start({ target: backend.url, output: path.join(dir, 'other.db'), port }), (e: unknown) => e instanceof ListenError && e.code === 'CT_LISTEN');
  const foreign = path.join(dir, 'notes.db');
  fs.writeFileSync(foreign, 'not a database');
  await assert.rejects(TrafficStore.open(foreign), (e: unknown) => e instanceof StoreError && e.code === 'CT_STORE');
});

/** The sample backend reached through a fault proxy the experiment starts at `listen`. */
async function partition(t: import('node:test').TestContext): Promise<ChaosExperiment> {
  const backend = await startSampleBackend(t);
  const listen = await closedPort();
  return ChaosExperiment.networkPartition({ name: 'backend', listen: `127.0.0.1:${listen}`, upstream: `127.0.0.1:${backend.port}` }, { duration: 1_000 })
    .withProbe(`http://127.0.0.1:${listen}/health`, { tolerance: 200, timeout: 500 })
    .withMeasure({ interval: 50, baseline: 500, consecutive: 3, recoveryTimeout: '10s' });
}

test('an experiment partitions the service, measures the failure and its recovery, and reports progress', { timeout: 60_000 }, async (t) => {
  const events: string[] = [];
  const outcome = await (await partition(t)).execute({ journalDir: tmpDir(t), onProgress: (e) => events.push(`${e.kind} ${e.name}`) });
  assert.ok(outcome.passed(), outcome.failures().join('; '));
  assert.deepEqual(outcome.failures(), []);
  assert.equal(outcome.recoveredSuccessfully, true);
  assert.ok(outcome.recoveryTimeMs !== null && outcome.recoveryTimeMs >= 0);
  assert.ok(outcome.errorRateDuringFailure > 0.5, `probes failed while partitioned (${outcome.errorRateDuringFailure})`);
  assert.equal(outcome.raw.status, 'completed');
  assert.deepEqual(outcome.timeline.map((e) => `${e.kind} ${e.name}`), events);
  for (const e of ['phase fault', 'action partition backend', 'rollback partition backend', 'phase recovery', 'recovered system']) assert.ok(events.includes(e), `${e} in ${events.join(', ')}`);
});

test('a cancelled experiment rejects with CancelledError after its rollbacks ran', { timeout: 60_000 }, async (t) => {
  const controller = new AbortController();
  const run = (await partition(t)).execute({ journalDir: tmpDir(t), signal: controller.signal, onProgress: (e) => e.kind === 'action' && controller.abort() });
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof CancelledError && e.code === 'CT_CANCELLED', String(e));
    const partial = e.partial as ChaosOutcome;
    assert.equal(partial.status, 'aborted');
    assert.ok(partial.raw.rollbacks.length >= 1 && partial.raw.rollbacks.every((r) => r.ok), JSON.stringify(partial.raw.rollbacks));
    return true;
  });
  const before = new AbortController();
  before.abort();
  await assert.rejects((await partition(t)).execute({ signal: before.signal }), CancelledError);
});

test('a standing FaultProxy is faulted through its API by an experiment, and stays up for the next', { timeout: 60_000 }, async (t) => {
  const backend = await startSampleBackend(t);
  const dep = await FaultProxy.start({ name: 'backend', listen: '127.0.0.1:0', upstream: `127.0.0.1:${backend.port}` });
  t.after(() => dep.stop());
  const url = `http://${dep.listen}/health`;
  assert.equal((await fetch(url)).status, 200);
  const outcome = await ChaosExperiment.networkPartition({ api: dep.api, proxy: dep.name }, { duration: 800 })
    .withProbe(url, { tolerance: 200, timeout: 500 })
    .withMeasure({ interval: 50, baseline: 300, consecutive: 2, recoveryTimeout: '10s' })
    .execute({ journalDir: tmpDir(t) });
  assert.ok(outcome.passed(), outcome.failures().join('; '));
  assert.ok(outcome.errorRateDuringFailure > 0.5, `probes failed while partitioned (${outcome.errorRateDuringFailure})`);
  assert.equal((await fetch(url)).status, 200, 'the proxy is up again after the experiment');
  await dep.stop();
  await assert.rejects(fetch(url), 'stopped: the port refuses');
  await assert.rejects(FaultProxy.start({ listen: 'nowhere', upstream: `127.0.0.1:${backend.port}` }), (e: unknown) => (e as { code?: string }).code === 'CT_INPUT' && /FaultProxy listen 'nowhere' must be HOST:PORT/.test(String(e)));
});

test('a load run reports throughput, latencies and its SLO; progress each second; cancellation', { timeout: 60_000 }, async (t) => {
  const backend = await startSampleBackend(t);
  const ticks: number[] = [];
  const base = LoadTest.create(`${backend.url}/health`).withConstant(2).withDuration('2s');
  const ok = await base.withSlo({ p99Ms: 5_000, errorRate: 0.01 }).run({ onProgress: (tick) => ticks.push(tick.second) });
  assert.ok(ok.requests > 0 && ok.throughputRps > 0, `${ok.requests} requests`);
  assert.equal(ok.errorRate, 0);
  assert.ok(ok.latencies.p50Ms <= ok.latencies.p99Ms && ok.latencies.p99Ms <= ok.latencies.maxMs, JSON.stringify(ok.latencies));
  assert.equal(ok.passedSlo(), true);
  assert.deepEqual(ok.sloFailures(), []);
  assert.ok(ticks.length >= 1 && ticks[0] === 1, `ticks ${ticks.join(',')}`);

  const strict = await LoadTest.create(`${backend.url}/api/error`).withConstant(1).withDuration(1_000).withSlo({ errorRate: 0.01 }).run();
  assert.equal(strict.passedSlo(), false);
  assert.equal(strict.errorRate, 1);
  assert.match(strict.sloFailures()[0], /^errors<0\.01: errors 100\.00%/);

  const controller = new AbortController();
  await assert.rejects(base.withDuration('30s').run({ signal: controller.signal, onProgress: () => controller.abort() }), (e: unknown) => {
    assert.ok(e instanceof CancelledError, String(e));
    const partial = e.partial as LoadOutcome;
    assert.match(String(partial.raw.stopped), /cancel/);
    assert.ok(partial.raw.finishedAt - partial.raw.startedAt < 20_000, 'stopped well before its 30 s');
    return true;
  });
});

test('a custom invariant runs through the properties engine: held, then broken with its message', { timeout: 60_000 }, async (t) => {
  const backend = await startSampleBackend(t);
  const held = await StateInvariant.custom({
    target: backend.url, name: 'health_ok',
    async check(ctx) {
      const r = await ctx.send({ method: 'GET', path: '/health' });
      return r.status === 200 || `GET /health answered ${r.status}`;
    },
  }).verify({ seed: 7 });
  assert.equal(held.passed, true);
  assert.equal(held.seed, 7);
  assert.deepEqual(held.outcomes.map((o) => [o.name, o.passed]), [['health_ok', true]]);

  const broken = await StateInvariant.custom({
    target: backend.url, name: 'errors_never_happen',
    async check(ctx) {
      const r = await ctx.send({ method: 'GET', path: '/api/error' });
      return r.status === 200 ? true : { passed: false, message: `GET /api/error answered ${r.status}`, minimalExample: [r] };
    },
  }).verify();
  assert.equal(broken.passed, false);
  assert.equal(broken.violations.length, 1);
  assert.equal(broken.violations[0].invariant, 'errors_never_happen');
  assert.equal(broken.violations[0].message, 'errors_never_happen: GET /api/error answered 500');
  assert.equal(broken.violations[0].minimalExample[0].status, 500);
});

test("an audit's verdict at each level is the CLI's --fail-on exit code", async () => {
  const workspace = path.join(ROOT, 'examples', 'sample-backend');
  const report = await ComplianceFramework.hipaa().audit({ workspace });
  assert.equal(report.framework, 'hipaa');
  assert.ok(report.totalControls > 0 && report.compliantControls < report.totalControls, `${report.compliantControls}/${report.totalControls}`);
  assert.ok(report.highSeverityViolations().some((f) => f.ruleId === 'container-root'));
  assert.ok(report.remediationSummary().some((l) => /^high container-root \(164\.312\(a\)\(1\)\) at Dockerfile:2: .*USER/.test(l)), report.remediationSummary().join('\n'));
  for (const level of ['high', 'medium', 'low', 'none'] as const) {
    const cli = runCli(['audit', '-f', 'hipaa', '-w', workspace, '-i', '/nonexistent/traffic.db', '--fail-on', level]);
    assert.equal(report.isCompliant(level), cli.code === 0, `--fail-on ${level}: CLI exit ${cli.code}`);
  }
  assert.equal(report.isCompliant('none'), true);
  const clean = await ComplianceFramework.pciDss().audit({ workspace: path.join(ROOT, 'examples', 'readiness') });
  assert.equal(clean.isCompliant('low'), true, clean.remediationSummary().join('\n'));
  assert.equal(clean.compliantControls, clean.totalControls);
  await assert.rejects(ComplianceFramework.soc2().audit({ traffic: '/nonexistent/traffic.db' }), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'CT_INPUT' && /nothing to audit/.test(e.message));
});

test('an audit reports its progress through the workspace, and a cancel mid-walk rejects with CancelledError', async () => {
  const workspace = path.join(ROOT, 'test', 'fixtures', 'compliance', 'workspace');
  const seen: Array<{ phase: string; done: number; total?: number }> = [];
  await ComplianceFramework.pciDss().audit({ workspace, onProgress: (p) => seen.push(p) });
  const last = seen.at(-1)!;
  assert.equal(last.phase, 'workspace');
  assert.ok(last.total !== undefined && last.total > 0 && last.done === last.total, JSON.stringify(seen));
  const controller = new AbortController();
  await assert.rejects(
    ComplianceFramework.pciDss().audit({ workspace, signal: controller.signal, onProgress: () => controller.abort() }),
    (e: unknown) => e instanceof CancelledError,
  );
});
