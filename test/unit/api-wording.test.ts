/**
 * The library's errors speak to code: they name the option or method to use, never a CLI flag; the CLI, which runs
 * through the same library, keeps its flags' words. (The CLI's own wording is also checked end to end by
 * test/integration/load-cli.test.ts through dist/cli.js.)
 */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Capture, ChaosError, ComplianceFramework, LoadTest, StateInvariant, UsageError, generateTests } from '../../src/api';
import { speakAsCli } from '../../src/api/wording';

const FLAG = /(^|[\s(])--[a-z]/;
const LOCAL = 'http://127.0.0.1:9';
const MISSING_DB = path.join(os.tmpdir(), 'chaos-api-wording-no-such.db');

async function message(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    assert.ok(e instanceof ChaosError, `expected a ChaosError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected the call to throw');
}

test('withSlo with an unknown key names the key and lists the known ones', async () => {
  const m = await message(() => LoadTest.create(LOCAL).withSlo({ p99: '200ms' } as never));
  assert.match(m, /unknown key 'p99'/);
  assert.match(m, /p50Ms, p95Ms, p99Ms, maxMs, errorRate, minRps/);
  assert.match(await message(() => LoadTest.create(LOCAL).withSlo({ p99Ms: '200ms' } as never)), /p99Ms must be a number of milliseconds, not "200ms"/);
  assert.throws(() => LoadTest.create(LOCAL).withSlo({ p99: 1, p95: 2 } as never), (e: unknown) => e instanceof UsageError && /unknown keys 'p99', 'p95'/.test(e.message));
});

test('a remote load target names withRemoteTarget(), not --allow-remote; with it the target is allowed', async () => {
  const m = await message(() => LoadTest.create('http://192.0.2.10:8080/').toSpec());
  assert.match(m, /not a loopback address: call \.withRemoteTarget\(\)/);
  assert.doesNotMatch(m, FLAG);
  assert.equal(LoadTest.create('http://192.0.2.10:8080/').withRemoteTarget().toSpec().allowRemote, true);
});

test('no library error names a CLI flag', async () => {
  const cases: Array<[string, () => unknown]> = [
    ['remote target', () => LoadTest.create('http://192.0.2.10/').toSpec()],
    ['no target', () => LoadTest.create('').toSpec()],
    ['missing traffic for the mix', () => LoadTest.create(LOCAL).withTraffic(MISSING_DB).plan()],
    ['latency bound', () => StateInvariant.latencyBounded({ target: LOCAL, boundMs: -5 })],
    ['error-rate bound', () => StateInvariant.errorRateBelow({ target: LOCAL, fraction: 2 })],
    ['replay path', () => StateInvariant.latencyBounded({ target: LOCAL, traffic: MISSING_DB }).verify({ seed: 1, path: 'not-a-path' })],
    ['missing traffic for a property run', () => StateInvariant.latencyBounded({ target: LOCAL, traffic: MISSING_DB }).verify({ seed: 1 })],
    ['missing workspace', () => ComplianceFramework.soc2().audit({ workspace: path.join(os.tmpdir(), 'chaos-api-wording-no-such-dir') })],
    ['workspace not a folder', () => ComplianceFramework.soc2().audit({ workspace: __filename })],
    ['capture target', () => Capture.start({ target: 'localhost-without-scheme', output: MISSING_DB })],
    ['no language', () => generateTests({ traffic: MISSING_DB, language: '' })],
    ['unknown language', () => generateTests({ traffic: MISSING_DB, language: 'cobol' })],
    ['unknown framework', () => generateTests({ traffic: MISSING_DB, language: 'typescript', framework: 'mocha' })],
    ['missing traffic for tests', () => generateTests({ traffic: MISSING_DB, language: 'python' })],
  ];
  for (const [what, f] of cases) {
    const m = await message(f);
    assert.doesNotMatch(m, FLAG, `${what}: "${m}"`);
    assert.doesNotMatch(m, /chaos-testing observe/, `${what}: "${m}"`);
  }
});

// Last: it switches this process to the CLI's face for good.
test("the CLI's face keeps the engines' words (its flags)", async () => {
  speakAsCli();
  assert.match(await message(() => LoadTest.create('http://192.0.2.10/').toSpec()), /pass --allow-remote/);
  assert.match(await message(() => StateInvariant.latencyBounded({ target: LOCAL, boundMs: -5 })), /^--invariant latency_bounded=-5/);
});
