/**
 * The runners of generated suites (src/core/generate/runners.ts), for real: each language's sample suite
 * (test/fixtures/runners/<lang>) passes its formatter/compiler check, runs against a loopback server with two
 * tests passing, and with CHAOS_FAIL=1 reports one failure and a non-zero exit. A broken suite fails the check;
 * a hung suite is killed at its timeout or on abort. Toolchains come from scripts/setup-runners.sh (Debian's
 * packages; Rust builds offline from Debian's crate directory into the cached target dir in .cache/runners).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import {
  checkSuite,
  DEBIAN_CRATES,
  DEBIAN_RUST,
  findPython,
  RUNNER_LANGUAGES,
  runnerAvailable,
  runSuite,
  type RunnerLanguage,
  type RunnerOptions,
  type RunResult,
} from '../../src/core/generate/runners';
import { listen, requireReady, ROOT, tmpDir, trackConnections, type RunningServer } from '../helpers';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'runners');

/** How the test harness runs suites: Debian's Rust with Debian's crates offline, caches under .cache/runners. */
const HARNESS: RunnerOptions = {
  cacheDir: path.join(ROOT, '.cache', 'runners'),
  nodeModules: path.join(ROOT, 'node_modules'),
  rust: DEBIAN_RUST,
  offlineCrates: DEBIAN_CRATES,
};

/** Rust's first build compiles ureq, rustls and ring: give it room. */
const TIMEOUT_MS: Record<RunnerLanguage, number> = {
  python: 120_000,
  go: 180_000,
  rust: 900_000,
  'typescript-vitest': 120_000,
  'typescript-node': 120_000,
  java: 180_000,
};

/** The source file a formatter or compiler must reject once `BROKEN` is appended to it. */
const MAIN_FILE: Record<RunnerLanguage, string> = {
  python: 'tests/test_generated.py',
  go: 'tests/generated_test.go',
  rust: 'tests/test_generated.rs',
  'typescript-vitest': 'tests/generated.test.ts',
  'typescript-node': 'tests/generated.test.ts',
  java: 'src/test/java/com/example/generated/GeneratedApiTest.java',
};
const BROKEN: Record<RunnerLanguage, string[]> = {
  python: ['\ndef broken(:\n    pass\n'],
  go: ['\nfunc  notFormatted() {}\n', '\nvar notAnInt int = "text"\n'],
  rust: ['\nfn  not_formatted() {}\n', '\nconst NOT_A_NUMBER: u8 = "text";\n'],
  'typescript-vitest': ["\nexport const n: number = 'not a number';\n"],
  'typescript-node': ["\nexport const n: number = 'not a number';\n"],
  java: ['\nclass Broken {\n  int n = "not a number";\n}\n'],
};

function healthServer(): http.Server {
  return http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok' }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found' }));
    }
  });
}

/** A copy of the language's fixture in a fresh folder (the runners write Cargo.lock, .cargo/ and caches). */
function copyFixture(t: TestContext, lang: RunnerLanguage): string {
  const dir = tmpDir(t, `chaos-runner-${lang}-`);
  fs.cpSync(path.join(FIXTURES, lang), dir, { recursive: true });
  return dir;
}

function explain(r: { commands: string[]; exitCode: number | null; output: string }): string {
  return `commands:\n  ${r.commands.join('\n  ')}\nexit ${r.exitCode}\n${r.output.slice(-4000)}`;
}

function counts(r: RunResult): string {
  return `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped of ${r.total}, exit ${r.exitCode}`;
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const v = await f();
  return [v, Date.now() - t0];
}

describe('generated-suite runners', () => {
  for (const lang of RUNNER_LANGUAGES) {
    test(`${lang}: the sample suite is clean, passes, and reports the failure CHAOS_FAIL=1 makes`, { timeout: TIMEOUT_MS[lang] * 2 }, async (t) => {
      if (!requireReady(t, runnerAvailable(lang, HARNESS))) return;
      const server = await listen(t, healthServer());
      const options: RunnerOptions = { ...HARNESS, baseUrl: server.url, timeoutMs: TIMEOUT_MS[lang] };
      const dir = copyFixture(t, lang);

      const [check, checkMs] = await timed(() => checkSuite(lang, dir, options));
      assert.ok(check.ok, `check failed:\n${explain(check)}`);
      assert.equal(check.exitCode, 0);

      const [pass, passMs] = await timed(() => runSuite(lang, dir, options));
      assert.equal(pass.exitCode, 0, explain(pass));
      assert.deepEqual([pass.passed, pass.failed, pass.total], [2, 0, 2], `${counts(pass)}\n${explain(pass)}`);
      assert.ok(pass.ok);

      const [fail, failMs] = await timed(() => runSuite(lang, dir, { ...options, env: { CHAOS_FAIL: '1' } }));
      assert.notEqual(fail.exitCode, 0, explain(fail));
      assert.ok(fail.exitCode !== null, `the runner did not finish:\n${explain(fail)}`);
      assert.deepEqual([fail.passed, fail.failed, fail.total], [1, 1, 2], `${counts(fail)}\n${explain(fail)}`);
      assert.ok(!fail.ok);
      assert.match(fail.output, /degraded/, 'the output shows what failed');

      if (lang === 'python') t.diagnostic(`python: ${findPython()}`);
      t.diagnostic(`${lang}: check ${checkMs} ms, run ${passMs} ms, failing run ${failMs} ms`);
      t.diagnostic(`${lang}: ${[...check.commands, ...pass.commands].join(' && ')}`);
    });

    test(`${lang}: the check rejects a suite its formatter or compiler refuses`, { timeout: TIMEOUT_MS[lang] }, async (t) => {
      if (!requireReady(t, runnerAvailable(lang, HARNESS))) return;
      for (const broken of BROKEN[lang]) {
        const dir = copyFixture(t, lang);
        fs.appendFileSync(path.join(dir, MAIN_FILE[lang]), broken);
        const check = await checkSuite(lang, dir, { ...HARNESS, timeoutMs: TIMEOUT_MS[lang] });
        assert.ok(!check.ok, `a broken suite passed the check (${JSON.stringify(broken)}):\n${explain(check)}`);
        assert.ok(!check.timedOut && !check.aborted, explain(check));
        // The tool names the file it refused (gofmt -l lists it; compilers point at it).
        assert.match(check.output, new RegExp(path.basename(MAIN_FILE[lang]).replace('.', '\\.')), explain(check));
      }
    });
  }

  describe('a suite that hangs', () => {
    /** A server that accepts requests and never answers. */
    async function hangingServer(t: TestContext): Promise<RunningServer & { conns: ReturnType<typeof trackConnections> }> {
      const server = http.createServer(() => undefined);
      const conns = trackConnections(server);
      return { ...(await listen(t, server)), conns };
    }

    test('is killed at its timeout, with its whole process tree', async (t) => {
      if (!requireReady(t, runnerAvailable('go', HARNESS))) return;
      const server = await hangingServer(t);
      const dir = copyFixture(t, 'go');
      const [r, ms] = await timed(() => runSuite('go', dir, { ...HARNESS, baseUrl: server.url, timeoutMs: 8_000 }));
      assert.ok(r.timedOut, explain(r));
      assert.equal(r.exitCode, null);
      assert.ok(!r.ok);
      assert.match(r.output, /timed out after 8000 ms/);
      assert.ok(ms < 14_000, `took ${ms} ms`);
      // The test binary (a grandchild of the runner: go → test binary) held the connection; killed, it lets go.
      assert.ok(server.conns.accepted() >= 1, 'the suite reached the server');
      const t0 = Date.now();
      while (server.conns.open() > 0 && Date.now() - t0 < 3_000) await new Promise((res) => setTimeout(res, 50));
      assert.equal(server.conns.open(), 0, 'the test process still holds its connection');
    });

    test('stops when its AbortSignal fires', async (t) => {
      if (!requireReady(t, runnerAvailable('python', HARNESS))) return;
      const server = await hangingServer(t);
      const dir = copyFixture(t, 'python');
      const ac = new AbortController();
      const started = Date.now();
      const pending = runSuite('python', dir, { ...HARNESS, baseUrl: server.url, signal: ac.signal });
      while (server.conns.accepted() === 0 && Date.now() - started < 20_000) await new Promise((res) => setTimeout(res, 50));
      assert.ok(server.conns.accepted() >= 1, 'the suite reached the server');
      ac.abort();
      const r = await pending;
      assert.ok(r.aborted, explain(r));
      assert.equal(r.exitCode, null);
      assert.ok(!r.ok);
      const t0 = Date.now();
      while (server.conns.open() > 0 && Date.now() - t0 < 3_000) await new Promise((res) => setTimeout(res, 50));
      assert.equal(server.conns.open(), 0, 'the test process still holds its connection');
    });
  });
});

test('two Rust suites sharing the runner cache each run their own tests, whichever was built last', { timeout: 300_000 }, async (t) => {
  if (!requireReady(t, runnerAvailable('rust', HARNESS, ROOT))) return;
  // Crates of the same name (every generated crate is `generated-tests`): in one shared target folder cargo took the
  // other crate's test binary for up to date when this crate's files were older than that build, and ran it.
  const crate = (name: string, tests: number): string => {
    const dir = tmpDir(t, `chaos-rust-${name}-`);
    fs.mkdirSync(path.join(dir, 'tests'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'Cargo.toml'), '[package]\nname = "generated-tests"\nversion = "0.1.0"\nedition = "2021"\n');
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src', 'lib.rs'), '');
    fs.writeFileSync(path.join(dir, 'tests', 'test_generated.rs'), Array.from({ length: tests }, (_, i) => `#[test]\nfn ${name}_${i}() {}\n`).join('\n'));
    return dir;
  };
  const older = crate('older', 3); // written first, built last
  const newer = crate('newer', 1);
  const options: RunnerOptions = { ...HARNESS, offlineCrates: undefined };
  const first = await runSuite('rust', newer, options);
  assert.equal(first.total, 1, first.output);
  const second = await runSuite('rust', older, options);
  assert.equal(second.total, 3, second.output);
  assert.match(second.output, /older_2/);
});
