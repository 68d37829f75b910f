/**
 * The proof of the library API: examples/readiness/readiness.test.ts (node:test, written against `chaos-testing`,
 * resolved through package.json "exports" to dist/api.js) run twice against the stateful example backend on real
 * PostgreSQL and Redis. Clean, every check passes; with the planted bugs (READINESS_BUGS=all) the same file fails,
 * and its output names each broken check and what broke.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, requireReady } from '../helpers';
import { systemsUnavailable } from '../helpers/statefulBackend';

const EXAMPLE = path.join('examples', 'readiness', 'readiness.test.ts');

function runExample(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  // A test file run from a test: without NODE_TEST_CONTEXT the child reports as a top-level run (spec text).
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', EXAMPLE], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${EXAMPLE} did not finish in 5 minutes:\n${out}`));
    }, 300_000);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('the readiness example passes against the clean backend and fails, naming each planted bug, against the buggy one', { timeout: 660_000 }, async (t) => {
  if (!requireReady(t, systemsUnavailable())) return;
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'api.js')), 'dist/api.js is missing: run npm run build first');

  const clean = await runExample({ READINESS_BUGS: '' });
  assert.equal(clean.code, 0, clean.out);
  for (const check of ['traffic', 'chaos', 'invariant: transaction_atomicity', 'invariant: queue_message_preservation', 'invariant: cache_consistency', 'invariant: circuit_breaker_never_stuck_open', 'invariant: no_negative_balance', 'compliance', 'load']) {
    assert.match(clean.out, new RegExp(`✔ ${check}`), `${check} passed`);
  }
  assert.match(clean.out, /ℹ pass 10\b/);
  assert.match(clean.out, /ℹ skipped 0\b/);

  const buggy = await runExample({ READINESS_BUGS: 'all' });
  assert.equal(buggy.code, 1, buggy.out);
  const failed = (check: string): void => assert.match(buggy.out, new RegExp(`✖ ${check}`), `${check} failed`);
  failed('chaos: the service recovers');
  assert.match(buggy.out, /chaos 'GET \/api\/ping recovers[^']*': the system did not recover/);
  failed('invariant: transaction_atomicity');
  assert.match(buggy.out, /transaction_atomicity broke: .*'SELECT SUM\(balance\) FROM accounts' was \d+ and became \d+/);
  failed('invariant: queue_message_preservation');
  assert.match(buggy.out, /queue_message_preservation broke: .*accepted never reached 'messages'/);
  failed('invariant: cache_consistency');
  assert.match(buggy.out, /cache_consistency broke: .*served \d+ after the write; the source of truth has \d+/);
  failed('invariant: circuit_breaker_never_stuck_open');
  assert.match(buggy.out, /circuit_breaker_never_stuck_open broke: .*GET \/api\/ping/);
  // Each violation comes with the command that replays it.
  assert.match(buggy.out, /replay: chaos-testing properties --target http:\/\/127\.0\.0\.1:\d+ --runs 0 --seed 11/);
  // What the bugs do not touch still passes.
  for (const check of ['traffic', 'invariant: no_negative_balance', 'compliance', 'load']) assert.match(buggy.out, new RegExp(`✔ ${check}`), `${check} still passed`);
});
