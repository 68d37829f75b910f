/** .chaos/suite.yaml: the example parses into checks in run order; every problem is one line at its place in the file. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadSuite } from '../../src/core/readiness/prepare';
import { parseSuiteText, readSuite } from '../../src/core/readiness/suiteFile';
import { ROOT, tmpDir } from '../helpers';

const problems = (text: string): string[] => parseSuiteText(text).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);

test('examples/suite.yaml parses: checks in run order, durations, rates and invariant options as --invariant takes them', () => {
  const suite = readSuite(path.join(ROOT, 'examples', 'suite.yaml'));
  assert.deepEqual(suite.checks.map((c) => c.kind), ['tests', 'tests', 'properties', 'chaos', 'load', 'audit']);
  assert.equal(suite.target, 'http://127.0.0.1:3000');
  const [generated, smoke, props, chaos, , audit] = suite.checks;
  assert.deepEqual([generated.kind === 'tests' && generated.language, smoke.kind === 'tests' && smoke.timeoutMs], ['typescript-node', 120_000]);
  assert.ok(props.kind === 'properties');
  assert.deepEqual(props.invariants, ['latency_bounded=500', 'error_rate_below=0.01']);
  assert.ok(chaos.kind === 'chaos');
  assert.deepEqual([chaos.maxRecoveryTimeMs, chaos.maxErrorRate], [5000, 0.5]);
  assert.ok(audit.kind === 'audit');
  assert.deepEqual([audit.frameworks, audit.failOn], [['pci-dss', 'soc2'], 'high']);
  assert.deepEqual(chaos.place, { line: 29, column: 5 });
});

test('an invariant with a mapping of options becomes NAME={json}', () => {
  const { suite } = parseSuiteText('target: http://127.0.0.1:1\nproperties:\n  runs: 0\n  invariants:\n    - transaction_atomicity: {database: {url: "postgres://x"}}\n    - my_invariant\n');
  const p = suite!.checks[0];
  assert.ok(p.kind === 'properties');
  assert.deepEqual(p.invariants, ['transaction_atomicity={"database":{"url":"postgres://x"}}', 'my_invariant']);
});

test('schema problems name the field and its place, one line each', () => {
  assert.deepEqual(problems('name: x\n'), ["1:1: the file: 'target' is missing; add it (see examples/suite.yaml)"]);
  assert.deepEqual(problems('target: ftp://x\naudit: {}\n'), ['1:9: target: "ftp://x" must be an http:// or https:// URL']);
  assert.deepEqual(problems('target: http://127.0.0.1:1\nexperiments:\n  - file: a.yaml\n    max-error-rate: lots\n'), [
    `4:21: experiments[0].max-error-rate: "lots" is not a rate; write a fraction (0.05) or a percentage ('5%')`,
  ]);
  assert.deepEqual(problems('target: http://127.0.0.1:1\ntests:\n  - language: cobol\n    dir: t\n'), ['3:15: tests[0].language: "cobol" is not allowed; use one of: python, go, rust, typescript-vitest, typescript-node, java']);
  assert.deepEqual(problems('target: http://127.0.0.1:1\nload:\n  duration: soon\n'), [`3:13: load.duration: "soon" is not a duration; write milliseconds (500) or a number with ms, s, m or h ('500ms', '2s', '1m')`]);
  assert.match(problems('target: http://127.0.0.1:1\nchaos: []\n')[0], /^2:1: the file: unknown field 'chaos'; allowed here: version, name, target/);
  assert.match(problems('target: [\n')[0], /^\d+:\d+: not valid YAML/);
});

test('what a schema cannot say: a test is a command or a language with a dir, and a suite names a check', () => {
  assert.deepEqual(problems('target: http://127.0.0.1:1\ntests:\n  - language: python\n'), ['3:5: tests[0]: name the generated suite with language and dir (e.g. language: typescript-node, dir: tests/generated), or give a command']);
  assert.deepEqual(problems('target: http://127.0.0.1:1\ntests:\n  - {command: make test, dir: t}\n'), ['3:15: tests[0]: either command, or language with dir; not both']);
  assert.deepEqual(problems('target: http://127.0.0.1:1\n'), ['1:1: the suite names no check; add tests, properties, experiments, load or audit (see examples/suite.yaml)']);
  assert.deepEqual(problems('target: http://127.0.0.1:1\nproperties: {runs: 0}\n'), ['2:20: properties.runs: 0 runs the invariants alone; name at least one under invariants:']);
});

test('loadSuite reads what the suite names: an experiment\'s own problems keep their file and line; unknown invariants are named', async (t) => {
  const dir = tmpDir(t);
  const experiment = path.join(dir, 'bad.yaml');
  fs.writeFileSync(experiment, 'title: t\ntargets: {api: {url: "http://127.0.0.1:1"}}\nsteady-state-hypothesis:\n  probes: []\nmethod: []\n');
  const suite = path.join(dir, 'suite.yaml');
  fs.writeFileSync(suite, `target: http://127.0.0.1:1\nproperties:\n  runs: 0\n  invariants: [no_such_invariant]\n  invariants-dir: ${dir}\nexperiments:\n  - file: ${experiment}\n`);
  await assert.rejects(loadSuite(suite), (e: Error) => {
    const lines = e.message.split('\n');
    assert.ok(lines.some((l) => l.startsWith(`${suite}:2:1: --invariant no_such_invariant is not known`)), e.message);
    assert.ok(lines.some((l) => l.startsWith(`${experiment}:`)), e.message);
    return true;
  });
});
