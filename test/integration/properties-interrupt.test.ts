/**
 * An interrupted property run reports the runs it made, not the runs asked for: the built CLI (`npm run build`
 * first) searches with a large --runs against the example backend, gets SIGINT once it reports progress, and
 * ends with exit 1, runs below the number asked, and the interruption said in the JSON and the text report. And an
 * interruption during the very first run (which fast-check reports as a failure without an error) is no failure.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import { test, type TestContext } from 'node:test';
import { runProperties } from '../../src/core/properties/properties';
import type { PropertiesResult } from '../../src/core/properties/types';
import { CLI, ROOT, listen, waitFor } from '../helpers';
import { SECRET_ENV, capturePropertiesSession, startPropertiesBackend } from '../helpers/propertiesBackend';

const REQUESTED = 1_000_000;

async function interrupted(t: TestContext, db: string, target: string, extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [CLI, 'properties', '--input', db, '--target', target, '--runs', String(REQUESTED), '--seed', '3', ...extra], { cwd: ROOT, env: { ...process.env, ...SECRET_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('close', resolve));
  await waitFor(() => /properties: [1-9]\d*\/1000000 runs/.test(stderr), 60_000, 'the search to report progress');
  proc.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no exit 60 s after SIGINT: ${stderr}`)), 60_000)))]).finally(() => clearTimeout(timer));
  return { code, stdout, stderr };
}

test('SIGINT during the search: exit 1, runs made (fewer than asked) in the JSON and the report, marked interrupted', { timeout: 180_000 }, async (t) => {
  const db = await capturePropertiesSession(t);
  const backend = await startPropertiesBackend(t);

  const json = await interrupted(t, db, backend.url, ['--json']);
  assert.equal(json.code, 1, json.stderr);
  const r = JSON.parse(json.stdout) as PropertiesResult;
  assert.equal(r.aborted, true);
  assert.ok(r.runs > 0 && r.runs < REQUESTED, `${r.runs} runs reported`);
  assert.equal(r.runsRequested, REQUESTED);
  assert.ok(r.requests >= r.runs, `${r.requests} requests for ${r.runs} runs`);

  const text = await interrupted(t, db, backend.url, []);
  assert.equal(text.code, 1, text.stderr);
  const runs = Number(/^INTERRUPTED: (\d+) of 1000000 runs/m.exec(text.stdout)?.[1]);
  assert.ok(runs > 0 && runs < REQUESTED, text.stdout.split('\n')[0]);
});

test('interrupted during the first run: 0 runs, no violation, no error', { timeout: 60_000 }, async (t) => {
  const db = await capturePropertiesSession(t);
  const controller = new AbortController();
  // A target that takes the interruption as its first request arrives: the first run never completes.
  const target = await listen(t, http.createServer((_req, res) => {
    controller.abort();
    res.end('{}');
  }));
  const r = await runProperties({ database: db, target: target.url, runs: 1_000, seed: 3, maxSteps: 5, timeoutMs: 5_000, env: SECRET_ENV, store: false, signal: controller.signal });
  assert.deepEqual([r.aborted, r.runs, r.runsRequested, r.violations.length, r.passed], [true, 0, 1_000, 0, true]);
});
