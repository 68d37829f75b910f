/**
 * Regression tests of invariant violations, run for real: the cache_consistency case of the stale-cache backend
 * (test/fixtures/properties/statefulBackend.js on real PostgreSQL and Redis) becomes a node:test suite through
 * the generate templates (create → reads and writes → the read that must serve the source of truth) that fails
 * against the buggy service and passes against the clean one. A case that is not plain HTTP (error_rate_below
 * judges a whole run) becomes a test that replays it with the CLI (`chaos-testing` on PATH: here a shim to the
 * built dist/cli.js, `npm run build` first) and asserts exit 0: failing against the buggy backend, passing clean.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { stringify } from 'yaml';
import { runSuite, runnerAvailable, type RunnerOptions } from '../../src/core/generate/runners';
import { runProperties } from '../../src/core/properties/properties';
import { CLI, ROOT, requireReady, tmpDir } from '../helpers';
import { SECRET_ENV, capturePropertiesSession, startPropertiesBackend } from '../helpers/propertiesBackend';
import { resetData, startService, stopSystems, systems } from '../helpers/statefulBackend';

after(stopSystems);

const RUNNER: RunnerOptions = { nodeModules: path.join(ROOT, 'node_modules'), cacheDir: path.join(ROOT, '.cache', 'runners'), timeoutMs: 180_000 };

test('cache_consistency: the generated node:test regression test fails against the stale cache and passes against the clean service', { timeout: 300_000 }, async (t) => {
  if (!requireReady(t, runnerAvailable('typescript-node', RUNNER, ROOT))) return;
  const sys = await systems(t);
  if (!sys) return;
  await resetData(sys);
  const buggy = await startService(t, sys, ['stale-cache'], ['pg']);
  const options = path.join(tmpDir(t), 'cache.yaml');
  fs.writeFileSync(options, stringify({
    create: { method: 'POST', path: '/api/accounts', body: { balance: 100 } },
    read: { path: '/api/accounts/{id}' },
    served: '/balance',
    write: { method: 'PUT', path: '/api/accounts/{id}', body: { balance: '{value}' } },
    truth: { database: sys.pgUrl, sql: 'SELECT balance FROM accounts WHERE id = $1' },
    runs: 30,
  }));
  const dir = tmpDir(t);
  const r = await runProperties({ database: '/nonexistent/traffic.db', target: buggy.url, runs: 0, seed: 11, maxSteps: 1, timeoutMs: 10_000, store: false, invariants: [`cache_consistency=${options}`], language: 'typescript', framework: 'node', outDir: dir });
  const v = r.violations[0];
  assert.equal(v?.check, 'cache_consistency', JSON.stringify(r.invariants));
  const written = v.regressionTest;
  assert.ok(written?.file && fs.existsSync(written.file), 'a regression test was written');
  assert.equal(path.relative(dir, written.file), path.join('tests', 'properties-cache-consistency.test.ts'));
  assert.match(written.code, /\/api\/accounts/);
  assert.doesNotMatch(written.code, /spawnSync/, 'plain HTTP, not a CLI replay');
  assert.match(written.code, /expectEqual\(at\(body, "\/balance"\), \d+, "\/balance"\)/, 'the last read must serve what the source of truth holds');

  const failing = await runSuite('typescript-node', dir, { ...RUNNER, baseUrl: buggy.url });
  assert.equal(failing.ok, false, failing.output);
  assert.equal(failing.failed, 1, failing.output);
  assert.match(failing.output, /\/balance/, 'the served value at /balance is what differs');
  await resetData(sys);
  const clean = await startService(t, sys, [], ['pg']);
  const passing = await runSuite('typescript-node', dir, { ...RUNNER, baseUrl: clean.url });
  assert.ok(passing.ok && passing.passed === 1, passing.output);
});

/** A folder with a `chaos-testing` that runs the built CLI, to put on PATH. */
function cliShim(t: TestContext): string {
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'chaos-testing'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
  return dir;
}

test('error_rate_below: a regression test that replays the whole run with the CLI, failing against the bug, passing clean', { timeout: 300_000 }, async (t) => {
  if (!requireReady(t, runnerAvailable('typescript-node', RUNNER, ROOT))) return;
  const db = await capturePropertiesSession(t);
  const buggy = await startPropertiesBackend(t, ['unexpected-field']);
  const dir = tmpDir(t);
  const r = await runProperties({ database: db, target: buggy.url, runs: 60, seed: 5, maxSteps: 5, timeoutMs: 5_000, env: SECRET_ENV, store: false, invariants: ['error_rate_below=0.001'], language: 'typescript', framework: 'node', outDir: dir });
  const v = r.violations.find((x) => x.check === 'error_rate_below')!;
  assert.ok(v, JSON.stringify(r.invariants));
  assert.match(v.replay, new RegExp(`^chaos-testing properties --input \\S+ --target \\S+ --runs 60 --seed 5 --max-steps 5 --invariant error_rate_below=0.001$`), 'the whole run, not --runs 0');
  const code = v.regressionTest!.code;
  assert.match(code, /spawnSync\(CLI, \["properties", "--input", .*, "--target", BASE_URL, "--runs", "60", "--seed", "5"/);

  const env = { ...SECRET_ENV, PATH: `${cliShim(t)}${path.delimiter}${process.env.PATH}` };
  const failing = await runSuite('typescript-node', dir, { ...RUNNER, env, baseUrl: buggy.url });
  assert.equal(failing.ok, false, failing.output);
  assert.match(failing.output, /error_rate_below/);
  const clean = await startPropertiesBackend(t);
  const passing = await runSuite('typescript-node', dir, { ...RUNNER, env, baseUrl: clean.url });
  // The other checks' regression tests (not_a_server_error) are in the folder too: each passes against the clean one.
  assert.ok(passing.ok && passing.failed === 0, passing.output);
});
