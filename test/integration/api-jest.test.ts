/**
 * The library from jest: examples/readiness/api.jest.test.cjs (plain CommonJS, no transform) run by jest itself in
 * a user's project that has the package installed (linked, as `npm link` does; run `node scripts/build.mjs` first).
 * Asserts jest's exit code and its JSON results: every test of the file ran and passed — and, with the example
 * broken on purpose, that the same run fails, so the exit code is not a constant.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, tmpDir } from '../helpers';

const EXAMPLE = path.join(ROOT, 'examples', 'readiness', 'api.jest.test.cjs');
const JEST = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

interface JestJson {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{ name: string; assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

/** A user's project with the package linked, the example file (and the Dockerfile it audits) copied in. */
function userProject(dir: string, edit: (source: string) => string = (s) => s): string {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'chaos-testing'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  fs.writeFileSync(path.join(dir, 'api.jest.test.cjs'), edit(fs.readFileSync(EXAMPLE, 'utf8')));
  fs.copyFileSync(path.join(ROOT, 'examples', 'readiness', 'Dockerfile'), path.join(dir, 'Dockerfile'));
  return dir;
}

function jest(dir: string): Promise<{ code: number | null; out: string; json: JestJson }> {
  const output = path.join(dir, 'jest-results.json');
  // No transform: jest loads the CommonJS file and the package's bundle as they are.
  const config = JSON.stringify({ rootDir: dir, testEnvironment: 'node', transform: {}, testMatch: ['<rootDir>/*.jest.test.cjs'] });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [JEST, '--config', config, '--ci', '--no-watchman', '--json', '--outputFile', output], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (!fs.existsSync(output)) return reject(new Error(`jest wrote no results (exit ${code}):\n${out}`));
      resolve({ code, out, json: JSON.parse(fs.readFileSync(output, 'utf8')) as JestJson });
    });
  });
}

test("jest runs the example against the package's export: exit 0, every test passed", { timeout: 180_000 }, async (t) => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'api.js')), 'dist/api.js is built (npm run build)');
  const dir = userProject(tmpDir(t, 'chaos-jest-project-'));
  const r = await jest(dir);
  assert.equal(r.code, 0, r.out);
  assert.equal(r.json.success, true);
  const titles = r.json.testResults.flatMap((f) => f.assertionResults.map((a) => `${a.status} ${a.title}`));
  assert.equal(r.json.numTotalTests, 5, titles.join('\n'));
  assert.equal(r.json.numPassedTests, 5, titles.join('\n'));
  for (const want of [/SLO/, /latencyBounded and errorRateBelow hold/, /errorRateBelow fails/, /compliance audit/, /CancelledError/]) {
    assert.ok(titles.some((x) => x.startsWith('passed ') && want.test(x)), `no passed test matching ${want}:\n${titles.join('\n')}`);
  }
});

test('the same jest run fails when the example asks what the service cannot give', { timeout: 180_000 }, async (t) => {
  // An SLO no service meets: jest must exit 1 and name that test.
  const dir = userProject(tmpDir(t, 'chaos-jest-project-'), (s) => s.replace('.withSlo({ p99Ms: 2_000, errorRate: 0.01 })', '.withSlo({ p99Ms: 0 })'));
  const r = await jest(dir);
  assert.equal(r.code, 1, r.out);
  assert.equal(r.json.success, false);
  const failed = r.json.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed'));
  assert.deepEqual(failed.map((a) => a.title), ['a load test meets its SLO, and a test that asks too much reports the clause that broke']);
  assert.match(failed[0].failureMessages.join('\n'), /p99<0ms/);
});
