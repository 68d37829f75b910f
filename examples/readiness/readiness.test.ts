/**
 * Is the accounts service ready for production? One node:test file, written against the library API
 * (`chaos-testing`), in the shape of a `test_system_production_readiness`: capture typical traffic, then chaos
 * recovers, the stateful invariants hold, the compliance audit passes at high severity, and the load test meets its
 * SLO. Each check is a subtest whose failure says what broke.
 *
 * The service is the stateful example backend (test/fixtures/properties/statefulBackend.js: accounts and transfers in
 * PostgreSQL, a Redis cache and queue, a dependency behind a circuit breaker), on real PostgreSQL and Redis that the
 * test starts on loopback (Debian packages postgresql and redis-server; skipped without them, failed under CI=true).
 *
 *   npm run build && node --import tsx --test examples/readiness/readiness.test.ts
 *   READINESS_BUGS=all node --import tsx --test examples/readiness/readiness.test.ts     # planted bugs: it fails
 *
 * READINESS_BUGS takes a comma-separated list of non-atomic-transfer, stale-cache, lost-message, stuck-open-breaker
 * (or all). test/integration/readiness-example.test.ts runs this file both ways.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Capture, ChaosExperiment, ComplianceFramework, FaultProxy, LoadTest, StateInvariant, TrafficStore, type InvariantVerdict } from 'chaos-testing';
import { QUEUE_KEY, resetData, startService, stopSystems, systems, type StatefulBug } from '../../test/helpers/statefulBackend';

const ALL_BUGS: StatefulBug[] = ['non-atomic-transfer', 'stale-cache', 'lost-message', 'stuck-open-breaker'];
const requested = (process.env.READINESS_BUGS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const BUGS = requested.includes('all') ? ALL_BUGS : (requested as StatefulBug[]);
/** Fixed, so a run is repeatable; a violation's replay command carries it anyway. */
const SEED = 11;

after(stopSystems);

/** Fails with every violation's message and its replay command. */
function assertHeld(name: string, verdict: InvariantVerdict): void {
  const broke = verdict.violations.map((v) => `${v.message}\n    minimal example: ${v.minimalExample.map((s) => `${s.method} ${s.path} → ${s.outcome ?? s.status}`).join(' | ')}\n    replay: ${v.replay}`);
  assert.ok(verdict.passed, `${name} broke: ${broke.join('\n') || verdict.outcomes.map((o) => o.summary).join('; ')}`);
}

/** Waits (at most 10 s) until `url` answers 200: the service has (re)connected to its dependency. */
async function untilAnswers(url: string): Promise<void> {
  const end = Date.now() + 10_000;
  let last = 'no answer';
  while (Date.now() < end) {
    const r = await fetch(url).catch((e: Error) => e);
    if (!(r instanceof Error) && r.ok) return;
    last = r instanceof Error ? r.message : `status ${r.status}`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${url} did not answer 200 within 10 s (${last})`);
}

test('test_system_production_readiness: the accounts service is ready for production', { timeout: 600_000 }, async (t) => {
  const sys = await systems(t);
  if (!sys) return;
  await resetData(sys);
  // Two instances of the same service: `api` reaches PostgreSQL, its queue and its breaker's dependency through the
  // fault proxies the checks start (at api.ports); `direct` reaches them straight, for traffic, cache and load.
  const api = await startService(t, sys, BUGS);
  const direct = await startService(t, sys, BUGS, ['pg', 'queueRedis', 'breakerRedis']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-readiness-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const traffic = path.join(dir, 'traffic.db');
  const pgProxy = { listen: `127.0.0.1:${api.ports.pg}`, upstream: `127.0.0.1:${sys.pg.port}` };
  const queueProxy = { listen: `127.0.0.1:${api.ports.queueRedis}`, upstream: `127.0.0.1:${sys.redis.port}` };
  // The breaker's dependency sits behind a standing fault proxy, which the experiment and the invariant fault in turn.
  const dependency = await FaultProxy.start({ name: 'dependency', listen: `127.0.0.1:${api.ports.breakerRedis}`, upstream: `127.0.0.1:${sys.redis.port}` });
  t.after(() => dependency.stop());

  await t.test('traffic: typical calls are captured', async () => {
    const capture = await Capture.start({ target: direct.url, output: traffic });
    try {
      const call = async (method: string, p: string, body?: unknown): Promise<void> => {
        const r = await fetch(`${capture.url}${p}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
        assert.ok(r.ok, `${method} ${p} answered ${r.status}`);
        await r.arrayBuffer();
      };
      for (let i = 0; i < 3; i++) {
        await call('GET', '/api/health');
        await call('GET', '/api/accounts/1');
        await call('GET', `/api/accounts/${2 + (i % 2)}`);
        await call('GET', '/api/ping');
      }
      await call('POST', '/api/transfers', { from: 1, to: 2, amount: 5 });
      await call('POST', '/api/messages', { id: 'hello' });
    } finally {
      await capture.stop();
    }
    const store = await TrafficStore.open(traffic);
    try {
      assert.equal(store.count(), 14);
      assert.ok(store.exchanges().every((e) => e.status !== null && e.status < 300));
    } finally {
      store.close();
    }
  });

  await t.test('chaos: the service recovers after its dependency is partitioned', async () => {
    await untilAnswers(`${api.url}/api/ping`);
    const outcome = await ChaosExperiment.networkPartition({ name: 'dependency', api: dependency.api, proxy: dependency.name }, { duration: '2s' })
      .withTitle('GET /api/ping recovers after its dependency is partitioned for 2 s')
      .withProbe(`${api.url}/api/ping`, { tolerance: 200 })
      .withMeasure({ interval: 50, baseline: '1s', consecutive: 3, recoveryTimeout: '5s' })
      .execute({ journalDir: path.join(dir, 'journal') });
    assert.ok(outcome.passed(), `chaos '${outcome.title}': ${outcome.failures().join('; ')}`);
    assert.ok(outcome.errorRateDuringFailure > 0, 'the partition was felt by the probes');
    t.diagnostic(`recovered in ${outcome.recoveryTimeMs} ms; errors during the fault ${(outcome.errorRateDuringFailure * 100).toFixed(0)}%`);
  });

  const invariants: Array<[string, StateInvariant]> = [
    ['transaction_atomicity', StateInvariant.transactionAtomicity({
      target: api.url, proxy: pgProxy, database: sys.pgUrl, sum: 'SELECT SUM(balance) FROM accounts',
      transfer: { method: 'POST', path: '/api/transfers', body: { from: '{from}', to: '{to}', amount: '{amount}' } }, accounts: [1, 2, 3], runs: 20,
    })],
    ['queue_message_preservation', StateInvariant.queueMessagePreservation({
      target: api.url, proxy: queueProxy, redis: sys.redisUrl, key: QUEUE_KEY, send: { method: 'POST', path: '/api/messages', body: { id: '{message}' } }, settleMs: 1_000, runs: 20, timeLimitMs: 15_000,
    })],
    ['cache_consistency', StateInvariant.cacheConsistency({
      target: direct.url, create: { method: 'POST', path: '/api/accounts', body: { balance: 100 } }, read: { path: '/api/accounts/{id}' }, served: '/balance',
      write: { method: 'PUT', path: '/api/accounts/{id}', body: { balance: '{value}' } }, truth: { database: sys.pgUrl, sql: 'SELECT balance FROM accounts WHERE id = $1' }, runs: 30,
    })],
    ['circuit_breaker_never_stuck_open', StateInvariant.circuitBreakerNeverStuckOpen({ target: api.url, proxy: { api: dependency.api, name: dependency.name }, request: { path: '/api/ping' }, recoveryMs: 3_000, maxRequests: 6, runs: 4 })],
    ['no_negative_balance', StateInvariant.custom({
      target: direct.url, name: 'no_negative_balance', description: 'no account has a negative balance',
      async check(ctx) {
        for (const id of [1, 2, 3]) {
          const r = await ctx.send({ method: 'GET', path: `/api/accounts/${id}` });
          const balance = (r.json as { balance?: number } | undefined)?.balance;
          if (r.status !== 200 || balance === undefined || balance < 0) return `account ${id} answered ${r.status} with balance ${balance}`;
        }
        return true;
      },
    })],
  ];
  for (const [name, invariant] of invariants) {
    await t.test(`invariant: ${name}`, async () => {
      await resetData(sys);
      assertHeld(name, await invariant.verify({ seed: SEED }));
    });
  }

  await t.test('compliance: PCI-DSS, SOC 2 and HIPAA find nothing of high severity in the traffic and the deployment files', async () => {
    for (const framework of [ComplianceFramework.pciDss(), ComplianceFramework.soc2(), ComplianceFramework.hipaa()]) {
      const report = await framework.audit({ traffic, workspace: __dirname });
      assert.ok(report.totalControls > 0, `${report.name}: no control was assessed`);
      assert.ok(report.isCompliant('high'), `${report.name}: ${report.remediationSummary().join('\n')}`);
      t.diagnostic(`${report.name}: ${report.compliantControls} of ${report.totalControls} controls compliant`);
    }
  });

  await t.test('load: the captured mix at 4 connections meets p99 < 1 s with under 1% errors', async () => {
    const outcome = await LoadTest.create(direct.url)
      .withTraffic(traffic)
      .withConstant(4)
      .withDuration('3s')
      .withSlo({ p99Ms: 1_000, errorRate: 0.01 })
      .run();
    assert.ok(outcome.requests > 0, 'the load test sent requests');
    assert.ok(outcome.passedSlo(), `load: the SLO broke: ${outcome.sloFailures().join('; ')}`);
    t.diagnostic(`${outcome.throughputRps} req/s, p50 ${outcome.latencies.p50Ms} ms, p99 ${outcome.latencies.p99Ms} ms, errors ${(outcome.errorRate * 100).toFixed(2)}%`);
  });
});
