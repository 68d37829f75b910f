/**
 * Proof of property runs: traffic captured (through the real capture proxy) against the clean example backend
 * (test/fixtures/properties/backend.js); then each planted bug switched on alone is found by the check made for
 * it and shrunk to at most 3 steps, the case replays from its seed and path, and its regression test (node:test
 * and pytest) fails against the buggy backend and passes against the clean one. The clean backend raises no
 * alarm in 1,000 runs. The CLI: exit codes, the text report, the run stored in the runs table.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { runSuite, runnerAvailable, type RunnerOptions } from '../../src/core/generate/runners';
import { runProperties } from '../../src/core/properties/properties';
import type { PropertiesOptions, PropertiesResult } from '../../src/core/properties/types';
import { ROOT, queryStore, requireReady, runCliAsync, tmpDir } from '../helpers';
import { SECRET_ENV, capturePropertiesSession, startPropertiesBackend, type Bug } from '../helpers/propertiesBackend';

const BASE: Omit<PropertiesOptions, 'database' | 'target'> = { runs: 300, seed: 7, maxSteps: 8, timeoutMs: 5_000, env: SECRET_ENV, store: false };

async function runAgainst(t: TestContext, db: string, bugs: Bug[], extra: Partial<PropertiesOptions> = {}): Promise<PropertiesResult> {
  const backend = await startPropertiesBackend(t, bugs);
  try {
    return await runProperties({ ...BASE, database: db, target: backend.url, ...extra });
  } finally {
    await backend.close();
  }
}

const PLANTED: Array<{ bug: Bug; check: string; endpoint: string; status: number }> = [
  { bug: 'use-after-free', check: 'use_after_free', endpoint: 'GET /api/items/{itemId}', status: 200 },
  { bug: 'ignored-auth', check: 'ignored_auth', endpoint: 'GET /api/items/{itemId}', status: 200 },
  { bug: 'unexpected-field', check: 'not_a_server_error', endpoint: 'POST /api/items', status: 500 },
];

for (const p of PLANTED) {
  test(`planted bug ${p.bug}: found by ${p.check}, shrunk to at most 3 steps, replayable from seed and path`, { timeout: 120_000 }, async (t) => {
    const db = await capturePropertiesSession(t);
    const r = await runAgainst(t, db, [p.bug]);
    assert.equal(r.passed, false);
    assert.deepEqual(r.violations.map((v) => v.check), [p.check], JSON.stringify(r.violations.map((v) => v.message)));
    const v = r.violations[0];
    assert.equal(v.endpoint, p.endpoint);
    assert.ok(v.minimalExample.length >= 1 && v.minimalExample.length <= 3, `${v.minimalExample.length} steps`);
    const last = v.minimalExample[v.minimalExample.length - 1];
    assert.equal(last.status, p.status);
    assert.equal(`${last.method} ${p.endpoint.split(' ')[1]}`, p.endpoint);
    if (p.check === 'use_after_free') assert.deepEqual(v.minimalExample.map((s) => s.method), ['POST', 'DELETE', 'GET']);
    if (p.check === 'ignored_auth') assert.equal(last.headers.some(([n]) => n.toLowerCase() === 'authorization'), false, 'the failing step was sent without credentials');
    if (p.check === 'not_a_server_error') assert.ok(Object.keys(last.body as object).some((k) => k.startsWith('unexpected_')), JSON.stringify(last.body));
    assert.ok(v.path && v.replay.includes(`--seed ${v.seed}`) && v.replay.includes(`--path ${v.path}`), v.replay);

    // The seed and path re-run exactly that case: the same check fails on the same sequence of endpoints.
    const again = await runAgainst(t, db, [p.bug], { seed: v.seed, path: v.path!, checks: [p.check as never] });
    assert.deepEqual(again.violations.map((x) => x.check), [p.check]);
    assert.deepEqual(again.violations[0].minimalExample.map((s) => s.endpoint), v.minimalExample.map((s) => s.endpoint));
    assert.ok(again.runs <= 1, `${again.runs} runs to replay`);
  });
}

test('every planted bug at once: one run reports each, by its own check, each minimal', { timeout: 120_000 }, async (t) => {
  const db = await capturePropertiesSession(t);
  const r = await runAgainst(t, db, PLANTED.map((p) => p.bug), { maxSteps: 10 });
  assert.deepEqual(r.violations.map((v) => `${v.check} ${v.endpoint}`).sort(), PLANTED.map((p) => `${p.check} ${p.endpoint}`).sort());
  assert.deepEqual(r.violations.map((v) => v.minimalExample.length).sort(), [1, 2, 3]);
  assert.equal(new Set(r.violations.map((v) => v.seed)).size, 3, 'each violation has the seed of its own round');
});

test('the clean backend raises no alarm in 1,000 runs, and the run reports what it exercised', { timeout: 300_000 }, async (t) => {
  const db = await capturePropertiesSession(t);
  const t0 = performance.now();
  const r = await runAgainst(t, db, [], { runs: 1_000, maxSteps: 5, seed: 20261130, invariants: ['latency_bounded', 'error_rate_below'] });
  t.diagnostic(`1,000 runs, ${r.requests} requests in ${Math.round(performance.now() - t0)} ms (${r.timing.perRunMs} ms per run)`);
  assert.deepEqual(r.violations, []);
  assert.equal(r.passed, true);
  assert.equal(r.runs, 1_000);
  assert.deepEqual(r.invariants.map((i) => [i.name, i.passed]), [['latency_bounded', true], ['error_rate_below', true]]);
  // Every check judged responses; the odd variants were sent and answered as the clean backend should.
  for (const [name, c] of Object.entries(r.checks)) assert.ok(c.checked > 0 && c.failed === 0, `${name}: ${JSON.stringify(c)}`);
  for (const pair of ['POST /api/items 201', 'POST /api/items 400', 'POST /api/items 401', 'GET /api/items/{itemId} 404', 'DELETE /api/items/{itemId} 204', 'PUT /api/items/{itemId} 200']) {
    assert.ok(r.codePathsExercised.endpointStatusPairs.includes(pair), `${pair} in ${r.codePathsExercised.endpointStatusPairs.join(', ')}`);
  }
  assert.equal(r.codePathsExercised.distinct, r.codePathsExercised.endpointStatusPairs.length);
});

const RUNNER: RunnerOptions = { env: SECRET_ENV, nodeModules: path.join(ROOT, 'node_modules'), cacheDir: path.join(ROOT, '.cache', 'runners'), timeoutMs: 120_000 };

for (const [language, framework, runner] of [['typescript', 'node', 'typescript-node'], ['python', undefined, 'python']] as const) {
  test(`the ${runner} regression test of a violation fails against the buggy backend and passes against the clean one`, { timeout: 300_000 }, async (t) => {
    if (!requireReady(t, runnerAvailable(runner, RUNNER, ROOT))) return;
    const db = await capturePropertiesSession(t);
    const dir = tmpDir(t);
    const r = await runAgainst(t, db, ['use-after-free'], { language, framework, outDir: dir });
    const test = r.violations[0]?.regressionTest;
    assert.ok(test?.file, 'a regression test was written');
    assert.ok(test.file.startsWith(dir) && fs.existsSync(test.file), test.file);
    assert.equal(test.code.includes(SECRET_ENV.CHAOS_SECRET_AUTHORIZATION), false, 'no secret in the file');
    assert.match(test.code, /CHAOS_SECRET_AUTHORIZATION/);
    const buggy = await startPropertiesBackend(t, ['use-after-free']);
    const failing = await runSuite(runner, dir, { ...RUNNER, baseUrl: buggy.url });
    assert.equal(failing.ok, false, failing.output);
    assert.equal(failing.failed, 1, failing.output);
    assert.match(failing.output, /404/);
    const clean = await startPropertiesBackend(t);
    const passing = await runSuite(runner, dir, { ...RUNNER, baseUrl: clean.url });
    assert.ok(passing.ok && passing.passed === 1, passing.output);
  });
}

test('CLI: exit 1 with the minimal sequence and the replay command, 0 when clean, 2 for bad flags; runs stored', { timeout: 240_000 }, async (t) => {
  const db = await capturePropertiesSession(t);
  const buggy = await startPropertiesBackend(t, ['unexpected-field']);
  const env = { ...process.env, ...SECRET_ENV };
  const bad = await runCliAsync(['properties', '--input', db, '--target', buggy.url, '--runs', '200', '--seed', '3', '--max-steps', '6'], { env });
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stdout, /^FAILED: \d+ runs/m);
  assert.match(bad.stdout, /not_a_server_error: POST \/api\/items returned 500/);
  assert.match(bad.stdout, /minimal sequence \(1 step\):\n {4}1\. POST \/api\/items \{.*"unexpected_.*\[body with an unexpected field\] → 500/);
  assert.match(bad.stdout, /replay: chaos-testing properties --input \S+ --target \S+ --seed 3 --path [\d:]+@\S+ --check not_a_server_error/);
  assert.match(bad.stdout, /Code paths exercised \(seen from outside\): \d+ distinct endpoint × status pairs/);
  assert.match(bad.stderr, /properties: \d+\/200 runs/);

  const clean = await startPropertiesBackend(t);
  const ok = await runCliAsync(['properties', '-i', db, '-t', clean.url, '--runs', '50', '--json'], { env });
  assert.equal(ok.code, 0, ok.stderr);
  const json = JSON.parse(ok.stdout) as PropertiesResult;
  assert.equal(json.kind, 'properties');
  assert.equal(json.passed, true);
  assert.equal(json.runs, 50);

  for (const args of [['--runs', 'lots'], ['--check', 'no_such_check'], ['--invariant', 'nope'], ['--path', '1:2'], ['--language', 'cobol']]) {
    const r = await runCliAsync(['properties', '-i', db, '-t', clean.url, ...args], { env });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }

  assert.equal((await queryStore(db, "SELECT COUNT(*) AS n FROM runs WHERE kind = 'properties'"))[0].n, 2);
});
