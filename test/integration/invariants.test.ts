/**
 * Proof of the stateful invariants against real PostgreSQL and Redis: each planted bug of the stateful example
 * backend (test/fixtures/properties/statefulBackend.js) is found by its invariant, shrunk to at most 3 steps and
 * replayed from its seed and path; the clean backend raises no false alarm. Faults go through the project's own
 * TCP fault proxy (started by the invariant, or behind a fault API).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { stringify } from 'yaml';
import { FaultApi } from '../../src/core/faults/api';
import { runProperties } from '../../src/core/properties/properties';
import type { PropertiesResult } from '../../src/core/properties/types';
import { runCliAsync, tmpDir } from '../helpers';
import { QUEUE_KEY, resetData, startService, stopSystems, systems, type Service, type StatefulBug, type Systems } from '../helpers/statefulBackend';

after(stopSystems);

function optionsFile(t: TestContext, name: string, options: unknown): string {
  const file = path.join(tmpDir(t), `${name}.yaml`);
  fs.writeFileSync(file, stringify(options));
  return file;
}

function run(service: Service, spec: string, extra: { seed?: number; path?: string; invariantsDir?: string } = {}): Promise<PropertiesResult> {
  return runProperties({ database: '/nonexistent/traffic.db', target: service.url, runs: 0, seed: extra.seed ?? 11, maxSteps: 1, timeoutMs: 10_000, store: false, invariants: [spec], ...extra });
}

const atomicity = (sys: Systems, s: Service, runs = 20): Record<string, unknown> => ({
  proxy: { listen: `127.0.0.1:${s.ports.pg}`, upstream: `127.0.0.1:${sys.pg.port}` },
  database: sys.pgUrl,
  sum: 'SELECT SUM(balance) FROM accounts',
  transfer: { method: 'POST', path: '/api/transfers', body: { from: '{from}', to: '{to}', amount: '{amount}' } },
  accounts: [1, 2, 3],
  runs,
});
const queue = (sys: Systems, s: Service, runs = 20): Record<string, unknown> => ({
  proxy: { listen: `127.0.0.1:${s.ports.queueRedis}`, upstream: `127.0.0.1:${sys.redis.port}` },
  redis: sys.redisUrl,
  key: QUEUE_KEY,
  send: { method: 'POST', path: '/api/messages', body: { id: '{message}' } },
  settleMs: 1_000,
  runs,
});
const cache = (sys: Systems, runs = 30): Record<string, unknown> => ({
  create: { method: 'POST', path: '/api/accounts', body: { balance: 100 } },
  read: { path: '/api/accounts/{id}' },
  served: '/balance',
  write: { method: 'PUT', path: '/api/accounts/{id}', body: { balance: '{value}' } },
  truth: { database: sys.pgUrl, sql: 'SELECT balance FROM accounts WHERE id = $1' },
  runs,
});
const breaker = (proxy: Record<string, unknown>, runs = 4): Record<string, unknown> => ({ proxy, request: { path: '/api/ping' }, recoveryMs: 3_000, maxRequests: 6, runs });

function assertFound(r: PropertiesResult, name: string): PropertiesResult['violations'][number] {
  assert.equal(r.passed, false, JSON.stringify(r.invariants));
  assert.equal(r.violations.length, 1, JSON.stringify(r.violations));
  const v = r.violations[0];
  assert.equal(v.check, name);
  assert.equal(v.kind, 'invariant');
  assert.ok(v.minimalExample.length >= 1 && v.minimalExample.length <= 3, `${v.minimalExample.length} steps: ${JSON.stringify(v.minimalExample)}`);
  assert.ok(v.path, 'a replay path');
  assert.match(v.replay, new RegExp(`--runs 0 --seed ${v.seed} --path ${v.path} --invariant ${name}=`));
  assert.match(r.invariants[0].summary, /minimal case: \d steps/);
  assert.ok((r.invariants[0].trials ?? 0) >= 1 && typeof r.invariants[0].shrinkMs === 'number', JSON.stringify(r.invariants[0]));
  return v;
}

const PLANTED: Array<{ bug: StatefulBug; name: string; direct?: Array<'pg' | 'queueRedis' | 'breakerRedis'>; options(sys: Systems, s: Service): Record<string, unknown>; expect: RegExp }> = [
  { bug: 'non-atomic-transfer', name: 'transaction_atomicity', options: (sys, s) => atomicity(sys, s), expect: /SELECT SUM\(balance\) FROM accounts' was \d+ and became \d+/ },
  { bug: 'stale-cache', name: 'cache_consistency', direct: ['pg'], options: (sys) => cache(sys), expect: /served \d+ after the write; the source of truth has \d+/ },
  { bug: 'lost-message', name: 'queue_message_preservation', options: (sys, s) => queue(sys, s), expect: /1 of 1 messages POST \/api\/messages accepted never reached 'messages'/ },
  { bug: 'stuck-open-breaker', name: 'circuit_breaker_never_stuck_open', options: (sys, s) => breaker({ listen: `127.0.0.1:${s.ports.breakerRedis}`, upstream: `127.0.0.1:${sys.redis.port}` }), expect: /still answered 503 3000 ms after/ },
];

for (const p of PLANTED) {
  test(`planted bug ${p.bug}: found by ${p.name}, shrunk to at most 3 steps, replayed from seed and path`, { timeout: 180_000 }, async (t) => {
    const sys = await systems(t);
    if (!sys) return;
    await resetData(sys);
    const service = await startService(t, sys, [p.bug], p.direct);
    const spec = `${p.name}=${optionsFile(t, p.name, p.options(sys, service))}`;
    const r = await run(service, spec);
    const v = assertFound(r, p.name);
    assert.match(v.message, p.expect);
    t.diagnostic(`${p.name}: ${v.minimalExample.map((s) => `${s.method} ${s.path} → ${s.outcome ?? s.status}`).join(' | ')}`);

    // The same case on a fresh service (a breaker left open, a cache left stale, are the bug's state, not the case).
    await resetData(sys);
    await service.close();
    const fresh = await startService(t, sys, [p.bug], p.direct);
    const freshSpec = `${p.name}=${optionsFile(t, p.name, p.options(sys, fresh))}`;
    const again = await run(fresh, freshSpec, { seed: v.seed, path: v.path! });
    const w = assertFound(again, p.name);
    assert.deepEqual(w.minimalExample.map((s) => s.method), v.minimalExample.map((s) => s.method));
  });
}

test('the clean backend raises no false alarm: all four invariants, as many trials as fit in about 20 s', { timeout: 180_000 }, async (t) => {
  const sys = await systems(t);
  if (!sys) return;
  await resetData(sys);
  // The breaker's dependency through a running fault API (the other mode of a proxy target).
  const api = new FaultApi();
  t.after(() => api.close());
  const apiAddress = await api.listen({ host: '127.0.0.1', port: 0 });
  const clean = await startService(t, sys, []);
  // cache_consistency needs PostgreSQL outside the other invariants' runs: this one reaches it directly.
  const direct = await startService(t, sys, [], ['pg']);
  await api.addProxy({ name: 'dependency', listen: { host: '127.0.0.1', port: clean.ports.breakerRedis }, upstream: { host: '127.0.0.1', port: sys.redis.port } });
  const budget = { timeLimitMs: 5_000, runs: 1_000 };
  const specs = [
    `transaction_atomicity=${optionsFile(t, 'atomicity', { ...atomicity(sys, clean), ...budget })}`,
    `queue_message_preservation=${optionsFile(t, 'queue', { ...queue(sys, clean), ...budget, settleMs: 2_000 })}`,
    `circuit_breaker_never_stuck_open=${optionsFile(t, 'breaker', { ...breaker({ api: `127.0.0.1:${apiAddress.port}`, name: 'dependency' }), ...budget })}`,
  ];
  const t0 = performance.now();
  const options = { database: '/nonexistent/traffic.db', runs: 0, seed: 20261130, maxSteps: 1, timeoutMs: 10_000, store: false };
  const r = await runProperties({ ...options, target: clean.url, invariants: specs });
  const c = await runProperties({ ...options, target: direct.url, invariants: [`cache_consistency=${optionsFile(t, 'cache', { ...cache(sys), ...budget })}`] });
  const outcomes = [...r.invariants, ...c.invariants];
  t.diagnostic(`${Math.round(performance.now() - t0)} ms: ${outcomes.map((i) => `${i.name}: ${i.summary}`).join(' | ')}`);
  assert.deepEqual([...r.violations, ...c.violations], []);
  assert.equal(r.passed && c.passed, true);
  const summary = Object.fromEntries(outcomes.map((i) => [i.name, i.summary]));
  const count = (name: string, re: RegExp): number => Number(re.exec(summary[name])?.[1] ?? NaN);
  assert.ok(count('transaction_atomicity', /in (\d+) trials/) >= 5, summary.transaction_atomicity);
  assert.ok(count('transaction_atomicity', /(\d+) with a connection reset/) >= 1, summary.transaction_atomicity);
  assert.ok(count('cache_consistency', /in (\d+) checks/) >= 5, summary.cache_consistency);
  assert.match(summary.queue_message_preservation, /^\d+ accepted messages all delivered to 'messages' over \d+ trials; \d+ duplicates?$/);
  assert.ok(count('circuit_breaker_never_stuck_open', /after each of (\d+) faults/) >= 1, summary.circuit_breaker_never_stuck_open);
  // Every fault was undone: the API's proxy is up, with no toxic left.
  const proxy = api.proxies.get('dependency')!;
  assert.equal(proxy.enabled, true);
  assert.deepEqual(proxy.toxics, []);
});

test('an aborted run still undoes its fault: the proxy behind the fault API comes back up', { timeout: 60_000 }, async (t) => {
  const sys = await systems(t);
  if (!sys) return;
  const api = new FaultApi();
  t.after(() => api.close());
  const apiAddress = await api.listen({ host: '127.0.0.1', port: 0 });
  const service = await startService(t, sys, []);
  await api.addProxy({ name: 'dependency', listen: { host: '127.0.0.1', port: service.ports.breakerRedis }, upstream: { host: '127.0.0.1', port: sys.redis.port } });
  const proxy = api.proxies.get('dependency')!;
  const controller = new AbortController();
  // Abort as soon as the invariant has taken the dependency down.
  const watch = setInterval(() => {
    if (!proxy.enabled || proxy.toxics.length > 0) controller.abort();
  }, 5);
  t.after(() => clearInterval(watch));
  const spec = `circuit_breaker_never_stuck_open=${optionsFile(t, 'breaker', { ...breaker({ api: `127.0.0.1:${apiAddress.port}`, name: 'dependency' }), maxRequests: 200, faults: ['reset_peer'] })}`;
  const r = await runProperties({ database: '/nonexistent/traffic.db', target: service.url, runs: 0, seed: 5, maxSteps: 1, timeoutMs: 10_000, store: false, invariants: [spec], signal: controller.signal });
  assert.equal(controller.signal.aborted, true, 'the fault was seen and the run aborted');
  assert.equal(r.aborted, true);
  assert.equal(proxy.enabled, true);
  assert.deepEqual(proxy.toxics, []);
});

/** .chaos/invariants with a declarative YAML invariant, a YAML that configures a built-in, and a TypeScript one. */
function userInvariants(t: TestContext, sys: Systems, s: Service): string {
  const dir = path.join(tmpDir(t), '.chaos', 'invariants');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'account_roundtrip.yaml'), stringify({
    description: 'an updated account reads back with its new balance, in the service and in PostgreSQL',
    database: sys.pgUrl,
    steps: [
      { request: { method: 'POST', path: '/api/accounts', body: { balance: 42 } }, expect: { status: 201, json: { '/balance': 42 } }, save: { id: '/id' } },
      { request: { method: 'GET', path: '/api/accounts/{id}' }, expect: { status: 200 } },
      { request: { method: 'PUT', path: '/api/accounts/{id}', body: { balance: 7 } }, expect: { status: [200, 204] } },
      { request: { method: 'GET', path: '/api/accounts/{id}' }, expect: { status: 200, json: { '/balance': 7 } } },
      { sql: 'SELECT balance FROM accounts WHERE id = $1', params: ['{id}'], expect: { value: 7 } },
    ],
  }));
  fs.writeFileSync(path.join(dir, 'atomic.yaml'), stringify({ invariant: 'transaction_atomicity', options: { ...atomicity(sys, s), runs: 20, maxStatement: 4 } }));
  fs.writeFileSync(path.join(dir, 'first_account_readable.ts'), [
    "interface Account { id: number; balance: number }",
    "const invariant = {",
    "  name: 'first_account_readable',",
    "  description: 'account 1 reads back with a whole balance',",
    "  async run(ctx: { send(r: { method: string; path: string }): Promise<{ status: number | null; json?: unknown }> }) {",
    "    const r = await ctx.send({ method: 'GET', path: '/api/accounts/1' });",
    "    const a = r.json as Account | undefined;",
    "    const passed = r.status === 200 && Number.isInteger(a?.balance);",
    "    const summary = `GET /api/accounts/1 answered ${r.status} with balance ${a?.balance}`;",
    "    return { outcome: { name: 'first_account_readable', passed, summary }, violations: passed ? [] : [{ check: 'first_account_readable', kind: 'invariant', endpoint: 'GET /api/accounts/{id}', message: summary, minimalExample: [r] }] };",
    "  },",
    "};",
    "export default invariant;",
  ].join('\n'));
  return dir;
}

test('user invariants from .chaos/invariants: YAML steps with assertions, YAML configuring a built-in, TypeScript', { timeout: 120_000 }, async (t) => {
  const sys = await systems(t);
  if (!sys) return;
  await resetData(sys);
  const clean = await startService(t, sys, [], ['pg']);
  const dir = userInvariants(t, sys, clean);
  const ok = await run(clean, 'account_roundtrip', { invariantsDir: dir });
  assert.deepEqual(ok.invariants.map((i) => [i.name, i.passed]), [['account_roundtrip', true]], JSON.stringify(ok.invariants));
  const ts = await run(clean, 'first_account_readable', { invariantsDir: dir });
  assert.deepEqual(ts.invariants.map((i) => [i.name, i.passed, i.summary]), [['first_account_readable', true, 'GET /api/accounts/1 answered 200 with balance 500']]);

  // The same YAML against the stale cache: the read after the update fails, and the example stops there.
  const stale = await startService(t, sys, ['stale-cache'], ['pg']);
  const bad = await run(stale, 'account_roundtrip', { invariantsDir: dir });
  assert.equal(bad.passed, false);
  assert.match(bad.violations[0].message, /step 4: GET \/api\/accounts\/\d+ has \/balance = 42, expected 7/);
  assert.deepEqual(bad.violations[0].minimalExample.map((s) => s.method), ['POST', 'GET', 'PUT', 'GET']);
  assert.match(bad.violations[0].replay, /--runs 0 --seed 11 --invariant account_roundtrip$/);

  // A YAML naming a built-in runs it with its options, found by its file name.
  const atomic = await startService(t, sys, ['non-atomic-transfer']);
  const found = await run(atomic, 'atomic', { invariantsDir: userInvariants(t, sys, atomic) });
  assert.equal(found.violations[0]?.check, 'transaction_atomicity', JSON.stringify(found.invariants));
  assert.ok(found.violations[0].minimalExample.length <= 3);
  assert.match(found.violations[0].replay, /--invariant atomic$/);

  await assert.rejects(() => run(clean, 'no_such', { invariantsDir: dir }), /--invariant no_such is not known; choose one of .*account_roundtrip.*first_account_readable/);
  fs.writeFileSync(path.join(dir, 'broken.ts'), 'export default { name: 1 };');
  await assert.rejects(() => run(clean, 'broken', { invariantsDir: dir }), /broken\.ts: export an invariant as the default export/);
  fs.writeFileSync(path.join(dir, 'bad.yaml'), stringify({ steps: [{ nothing: true }] }));
  await assert.rejects(() => run(clean, 'bad', { invariantsDir: dir }), /bad\.yaml steps\[0\]: a step has request: .* or sql:/);
});

test('CLI (built bundle): --runs 0 --invariant NAME=FILE exits 1 with the minimal case and its replay, 0 when clean, 2 for bad flags', { timeout: 180_000 }, async (t) => {
  const sys = await systems(t);
  if (!sys) return;
  await resetData(sys);
  const buggy = await startService(t, sys, ['non-atomic-transfer']);
  const file = optionsFile(t, 'atomicity', atomicity(sys, buggy));
  const bad = await runCliAsync(['properties', '--target', buggy.url, '--runs', '0', '--seed', '11', '--invariant', `transaction_atomicity=${file}`]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stdout, /^FAILED: 0 runs, \d+ requests, 1 violation/m);
  assert.match(bad.stdout, /transaction_atomicity \(invariant\): transaction_atomicity: 'SELECT SUM\(balance\) FROM accounts' was \d+ and became \d+/);
  assert.match(bad.stdout, /minimal sequence \(3 steps\):\n {4}1\. FAULT reset (before|after) statement \d on the invariant's proxy .* → the connection was reset there\n {4}2\. POST \/api\/transfers \{"from":\d,"to":\d,"amount":\d+\} → 500\n {4}3\. SQL SELECT SUM\(balance\) FROM accounts → \d+, was \d+ before/);
  const replay = /replay: (.*)/.exec(bad.stdout)?.[1] ?? '';
  assert.match(replay, /^chaos-testing properties --target \S+ --runs 0 --seed 11 --path [\d:]+ --invariant transaction_atomicity=\S+$/);
  assert.doesNotMatch(bad.stdout, /Checks \(responses judged/);

  // The printed replay re-runs that case alone.
  const again = await runCliAsync(replay.split(' ').slice(1));
  assert.equal(again.code, 1, again.stderr);
  assert.match(again.stdout, /FAILED: 0 runs/);

  const clean = await startService(t, sys, [], ['pg']);
  const dir = userInvariants(t, sys, clean);
  const ok = await runCliAsync(['properties', '-t', clean.url, '--runs', '0', '--invariants-dir', dir, '--invariant', 'account_roundtrip', '--invariant', 'first_account_readable', '--json']);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  const json = JSON.parse(ok.stdout) as PropertiesResult;
  assert.deepEqual(json.invariants.map((i) => [i.name, i.passed]), [['account_roundtrip', true], ['first_account_readable', true]]);

  for (const flags of [['--invariant', 'transaction_atomicity'], ['--invariant', `transaction_atomicity=${path.join(dir, 'missing.yaml')}`], []]) {
    const r = await runCliAsync(['properties', '-t', clean.url, '--runs', '0', '--invariants-dir', dir, ...flags]);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
