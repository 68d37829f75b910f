/**
 * Reading each runner's machine-readable output (src/core/generate/runners.ts), on outputs as the tools print
 * them, and the offline cargo config. The runners themselves run in test/integration/runners.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  parseCargoTest,
  parseGoTestJson,
  parseJUnitXml,
  parsePytestSummary,
  parseTapSummary,
  parseVitestJson,
  runnerAvailable,
  writeOfflineCargoConfig,
} from '../../src/core/generate/runners';
import { tmpDir } from '../helpers';

test('JUnit XML: pytest and the JUnit console launcher, summed over suites', () => {
  const pytest =
    '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="2" time="0.05">' +
    '<testcase classname="tests.test_generated" name="test_a" time="0.01"/></testsuite></testsuites>';
  assert.deepEqual(parseJUnitXml(pytest), { passed: 1, failed: 1, skipped: 0, total: 2 });
  const jupiter = '<testsuite name="JUnit Jupiter" tests="3" skipped="1" failures="0" errors="1" time="0.2" hostname="h">';
  const vintage = '<testsuite name="JUnit Vintage" tests="0" skipped="0" failures="0" errors="0" time="0">';
  assert.deepEqual(parseJUnitXml(jupiter, vintage), { passed: 1, failed: 1, skipped: 1, total: 3 });
  assert.equal(parseJUnitXml('not xml'), undefined);
});

test("pytest's closing line", () => {
  assert.deepEqual(parsePytestSummary('....\n========= 1 failed, 1 passed in 0.12s =========\n'), { passed: 1, failed: 1, skipped: 0, total: 2 });
  assert.deepEqual(parsePytestSummary('== 3 passed, 2 skipped, 1 error in 1.01s =='), { passed: 3, failed: 1, skipped: 2, total: 6 });
  assert.equal(parsePytestSummary('ERROR: file or directory not found: tests'), undefined);
});

test('go test -json: test events counted, output kept, package events ignored', () => {
  const events = [
    { Action: 'run', Package: 'm/tests', Test: 'TestA' },
    { Action: 'output', Package: 'm/tests', Test: 'TestA', Output: '=== RUN   TestA\n' },
    { Action: 'pass', Package: 'm/tests', Test: 'TestA', Elapsed: 0 },
    { Action: 'run', Package: 'm/tests', Test: 'TestB' },
    { Action: 'output', Package: 'm/tests', Test: 'TestB', Output: '    generated_test.go:9: status field ok, want "degraded"\n' },
    { Action: 'fail', Package: 'm/tests', Test: 'TestB', Elapsed: 0 },
    { Action: 'skip', Package: 'm/tests', Test: 'TestC', Elapsed: 0 },
    { Action: 'fail', Package: 'm/tests', Elapsed: 0.1 },
  ];
  const r = parseGoTestJson(`${events.map((e) => JSON.stringify(e)).join('\n')}\n# m/tests [build output]\n`);
  assert.deepEqual({ ...r, output: undefined }, { passed: 1, failed: 1, skipped: 1, total: 3, output: undefined });
  assert.match(r.output, /want "degraded"/);
  assert.match(r.output, /# m\/tests \[build output\]/);
});

test("cargo test's result lines, summed over test binaries", () => {
  const out = [
    'running 2 tests',
    'test get_health_body ... FAILED',
    'test get_health_returns_200 ... ok',
    'test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s',
    'test result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s',
  ].join('\n');
  assert.deepEqual(parseCargoTest(out), { passed: 1, failed: 1, skipped: 1, total: 3 });
  assert.equal(parseCargoTest('error[E0308]: mismatched types'), undefined);
});

test("vitest's JSON report", () => {
  const report = { numTotalTests: 3, numPassedTests: 1, numFailedTests: 1, numPendingTests: 1, numTodoTests: 0, testResults: [] };
  assert.deepEqual(parseVitestJson(JSON.stringify(report)), { passed: 1, failed: 1, skipped: 1, total: 3 });
  assert.equal(parseVitestJson('{'), undefined);
});

test("node --test's TAP summary", () => {
  const tap = ['TAP version 13', 'ok 1 - a', 'not ok 2 - b', '1..2', '# tests 2', '# suites 1', '# pass 1', '# fail 1', '# cancelled 0', '# skipped 0', '# todo 0', '# duration_ms 40'].join('\n');
  assert.deepEqual(parseTapSummary(tap), { passed: 1, failed: 1, skipped: 0, total: 2 });
  assert.equal(parseTapSummary('SyntaxError: Unexpected token'), undefined);
});

test('the offline cargo config replaces crates.io with a directory source', (t) => {
  const dir = tmpDir(t);
  const file = writeOfflineCargoConfig(dir, '/usr/share/cargo/registry');
  assert.equal(file, path.join(dir, '.cargo', 'config.toml'));
  const text = fs.readFileSync(file, 'utf8');
  assert.match(text, /^\[source\.crates-io\]\nreplace-with = "offline"$/m);
  assert.match(text, /^\[source\.offline\]\ndirectory = "\/usr\/share\/cargo\/registry"$/m);
  assert.match(text, /^\[net\]\noffline = true$/m);
});

test('availability names what to install', (t) => {
  const empty = tmpDir(t);
  assert.match(runnerAvailable('java', { javaLibs: empty }) ?? '', /junit-platform-console-standalone\.jar \(Debian package junit5\)|Debian package openjdk-17-jdk-headless/);
  assert.match(runnerAvailable('rust', { rust: { cargo: path.join(empty, 'cargo'), rustfmt: 'rustfmt' } }) ?? '', /needs 'cargo' \(Debian package cargo\)/);
  const anyExecutable = process.execPath;
  assert.equal(
    runnerAvailable('rust', { rust: { cargo: anyExecutable, rustfmt: anyExecutable }, offlineCrates: empty }),
    `needs the crate ureq in ${empty} (Debian package librust-ureq-dev)`,
  );
  assert.equal(runnerAvailable('typescript-vitest', { nodeModules: empty }), 'needs the npm package vitest (npm install --save-dev vitest)');
  assert.equal(runnerAvailable('typescript-node', { nodeModules: empty }), 'needs the npm package tsx (npm install --save-dev tsx)');
});
