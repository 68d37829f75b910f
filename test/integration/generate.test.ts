/**
 * Proof of the generated suites: learned from traffic captured against the sample backend, written by the CLI,
 * checked by the language's compiler or formatter, and run by the language's own runner against a fresh backend
 * (five runs, all pass) and against six mutants of it (each one makes the suite fail).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { DIALECTS } from '../../src/core/generate/dialects';
import type { Dialect } from '../../src/core/generate/dialect';
import { DEBIAN_CRATES, DEBIAN_RUST, checkSuite, runSuite, runnerAvailable, type RunnerOptions } from '../../src/core/generate/runners';
import { ROOT, requireReady, runCli, startSampleBackend, tmpDir } from '../helpers';
import { MUTATIONS, startMutant } from '../helpers/mutants';
import { SAMPLE_PASSWORD, captureSampleSession } from '../helpers/scripted';

const CACHE = path.join(ROOT, '.cache', 'runners');

/** Rust builds with Debian's toolchain from Debian's crates, offline (as in runners.test.ts). */
function options(baseUrl?: string): RunnerOptions {
  return {
    baseUrl,
    env: { CHAOS_SECRET_PASSWORD: SAMPLE_PASSWORD },
    cacheDir: CACHE,
    nodeModules: path.join(ROOT, 'node_modules'),
    timeoutMs: 180_000,
    rust: DEBIAN_RUST,
    offlineCrates: DEBIAN_CRATES,
  };
}

/** Captures the scripted session and generates this dialect's suite into a fresh project folder. */
async function generated(t: TestContext, d: Dialect): Promise<{ dir: string; tests: number }> {
  const { db } = await captureSampleSession(t);
  const dir = tmpDir(t);
  const r = runCli(['generate', '--input', db, '--language', d.language, '--framework', d.framework === 'node:test' ? 'node' : d.framework, '--out', dir]);
  assert.equal(r.code, 0, r.stderr);
  const tests = Number(/(\d+) tests/.exec(r.stderr)?.[1]);
  const text = fs.readFileSync(path.join(dir, d.file), 'utf8');
  assert.equal(text.includes(SAMPLE_PASSWORD), false, 'no secret in the generated file');
  assert.match(text, /CHAOS_SECRET_PASSWORD/);
  assert.match(text, /not asserted: \/createdAt \(a timestamp: differs on every run\)/);
  return { dir, tests };
}

for (const d of DIALECTS) {
  const name = `${d.language} (${d.framework})`;

  test(`${name}: the generated suite compiles and passes against the backend, five runs out of five`, { timeout: 600_000 }, async (t) => {
    if (!requireReady(t, runnerAvailable(d.runner, options(), ROOT))) return;
    const { dir, tests } = await generated(t, d);
    assert.ok(tests >= 6, `${tests} tests`);
    const check = await checkSuite(d.runner, dir, options());
    assert.ok(check.ok, `${check.commands.join('\n')}\n${check.output}`);
    for (let run = 1; run <= 5; run++) {
      const backend = await startSampleBackend(t); // a fresh backend: new ids, timestamps, request ids and Dates
      const r = await runSuite(d.runner, dir, options(backend.url));
      assert.ok(r.ok, `run ${run}:\n${r.output}`);
      assert.equal(r.passed, tests, `run ${run}: every test ran and passed\n${r.output}`);
      await backend.close();
    }
  });

  test(`${name}: the generated suite fails against each mutated backend`, { timeout: 600_000 }, async (t) => {
    if (!requireReady(t, runnerAvailable(d.runner, options(), ROOT))) return;
    const { dir } = await generated(t, d);
    const survivors: string[] = [];
    for (const m of MUTATIONS) {
      const backend = await startSampleBackend(t);
      const mutant = await startMutant(t, backend.url, m);
      const r = await runSuite(d.runner, dir, options(mutant.url));
      if (r.ok || r.failed === 0) survivors.push(m);
      await mutant.close();
      await backend.close();
    }
    assert.deepEqual(survivors, [], 'mutations the suite did not catch');
  });
}
