/**
 * Proof of the generated suites: learned from traffic captured against the sample backend, written by the CLI,
 * checked by the language's compiler, and run by the language's own runner against a fresh backend (five runs,
 * all pass) and against six mutants of it (each makes the suite fail).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { ROOT, runCli, startSampleBackend, tmpDir } from '../helpers';
import { MUTATIONS, startMutant } from '../helpers/mutants';
import { SAMPLE_PASSWORD, captureSampleSession } from '../helpers/scripted';

interface Suite {
  language: string;
  framework?: string;
  file: string;
  /** Checks that the file compiles; returns the output when it does not. */
  check(file: string): string | null;
  /** Runs the suite; the backend lives in this process, so the runner must not block its event loop. */
  run(file: string, baseUrl: string): Promise<{ ok: boolean; output: string; passed: number }>;
  available(): string | null;
}

function run(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { ...options, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr });
    });
  });
}

function env(baseUrl: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, BASE_URL: baseUrl, CHAOS_SECRET_PASSWORD: SAMPLE_PASSWORD };
  // Set by node:test for its own children: a `node --test` started with it reports in a private format.
  delete e.NODE_TEST_CONTEXT;
  return e;
}

const SUITES: Suite[] = [
  {
    language: 'python',
    file: 'tests/test_generated.py',
    available: () => (spawnSync('python3', ['-c', 'import pytest, requests'], { encoding: 'utf8' }).status === 0 ? null : 'python3 with pytest and requests (Debian packages python3-pytest python3-requests)'),
    check: (file) => {
      const r = spawnSync('python3', ['-m', 'py_compile', file], { encoding: 'utf8' });
      return r.status === 0 ? null : r.stderr;
    },
    run: async (file, baseUrl) => {
      const { code, output } = await run('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', file], { env: env(baseUrl) });
      return { ok: code === 0, output, passed: Number(/(\d+) passed/.exec(output)?.[1] ?? 0) };
    },
  },
  {
    language: 'typescript',
    framework: 'node',
    file: 'tests/generated.test.ts',
    available: () => null,
    check: (file) => {
      const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), file], { encoding: 'utf8' });
      return r.status === 0 ? null : r.stdout + r.stderr;
    },
    run: async (file, baseUrl) => {
      const { code, output } = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', file], { cwd: ROOT, env: env(baseUrl) });
      return { ok: code === 0, output, passed: Number(/ℹ pass (\d+)/.exec(output)?.[1] ?? 0) };
    },
  },
];

async function generated(t: TestContext, s: Suite): Promise<{ file: string; tests: number }> {
  const { db } = await captureSampleSession(t);
  const out = tmpDir(t);
  const r = runCli(['generate', '--input', db, '--language', s.language, ...(s.framework ? ['--framework', s.framework] : []), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const tests = Number(/(\d+) tests/.exec(r.stderr)?.[1]);
  const file = path.join(out, s.file);
  const text = fs.readFileSync(file, 'utf8');
  assert.equal(text.includes(SAMPLE_PASSWORD), false, 'no secret in the generated file');
  assert.match(text, /CHAOS_SECRET_PASSWORD/);
  assert.match(text, /not asserted: \/createdAt \(a timestamp: differs on every run\)/);
  return { file, tests };
}

for (const s of SUITES) {
  const name = s.framework ? `${s.language} (${s.framework})` : s.language;

  test(`${name}: the generated suite compiles and passes against the backend, five runs out of five`, async (t) => {
    const missing = s.available();
    if (missing) {
      if (process.env.CI === 'true') assert.fail(`needs ${missing}; run scripts/setup.sh`);
      t.skip(`needs ${missing}`);
      return;
    }
    const { file, tests } = await generated(t, s);
    assert.ok(tests >= 6, `${tests} tests`);
    assert.equal(s.check(file), null);
    for (let run = 1; run <= 5; run++) {
      const backend = await startSampleBackend(t); // a fresh backend: new ids, new timestamps, new ETags and Dates
      const r = await s.run(file, backend.url);
      assert.ok(r.ok, `run ${run}:\n${r.output}`);
      assert.equal(r.passed, tests, `run ${run}: every test ran and passed`);
      await backend.close();
    }
  });

  test(`${name}: the generated suite fails against each mutated backend`, async (t) => {
    const missing = s.available();
    if (missing) {
      if (process.env.CI === 'true') assert.fail(`needs ${missing}; run scripts/setup.sh`);
      t.skip(`needs ${missing}`);
      return;
    }
    const { file } = await generated(t, s);
    const survivors: string[] = [];
    for (const m of MUTATIONS) {
      const backend = await startSampleBackend(t);
      const mutant = await startMutant(t, backend.url, m);
      const r = await s.run(file, mutant.url);
      if (r.ok) survivors.push(m);
      await mutant.close();
      await backend.close();
    }
    assert.deepEqual(survivors, [], 'mutations the suite did not catch');
  });
}
