/** Load spec files: the example plans; schema and semantic problems carry file:line:col; flags win over the file. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { planInputFromFlags } from '../../src/cli/loadFlags';
import { planMix, planSpec } from '../../src/core/load/plan';
import { parseLoadSpecText, readLoadSpec } from '../../src/core/load/specFile';
import { ROOT, tmpDir } from '../helpers';

const EXAMPLE_FILE = path.join(ROOT, 'examples', 'load', 'checkout-ramp.yaml');
const EXAMPLE = readFileSync(EXAMPLE_FILE, 'utf8');

function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle) && !l.trimStart().startsWith('#'));
  assert.ok(i >= 0, `'${needle}' is in the file`);
  return i + 1;
}

test('the example spec plans a closed ramp-up with its SLO, read share and bounds', () => {
  const input = readLoadSpec(EXAMPLE_FILE);
  const spec = planSpec(input);
  assert.equal(spec.name, 'checkout ramp-up');
  assert.deepEqual(spec.model, { kind: 'closed', connections: 20 });
  assert.equal(spec.profile.kind, 'ramp-up');
  assert.equal(spec.profile.from, 1);
  assert.equal(spec.durationMs, 60_000);
  assert.equal(spec.profile.stages.reduce((s, x) => s + x.durationMs, 0), 60_000);
  assert.equal(spec.profile.stages.at(-1)!.target, 20);
  assert.deepEqual(spec.slo.map((c) => [c.metric, c.op, c.value]), [['p99', '<', 200_000], ['errors', '<', 0.01]]);
  assert.equal(spec.readShare, 0.8);
  assert.equal(spec.timeoutMs, 5000);
  assert.equal(spec.maxRequests, 1_000_000);
  assert.equal(input.mix, 'traffic');
});

test('problems are reported at their line and column, one line each', () => {
  const text = EXAMPLE.replace('duration: 1m', 'duration: 1 minute').replace('profile: ramp-up', 'profile: ramp').replace('timeout: 5s', 'timout: 5s');
  const { input, problems } = parseLoadSpecText(text);
  assert.equal(input, undefined);
  const find = (re: RegExp): (typeof problems)[number] => {
    const p = problems.find((x) => re.test(x.message));
    assert.ok(p, `a problem matching ${re} in ${JSON.stringify(problems)}`);
    return p;
  };
  const duration = find(/^duration: "1 minute" is not a duration; write milliseconds/);
  assert.equal(duration.line, lineOf(text, 'duration: 1 minute'));
  assert.equal(duration.column, 'duration: '.length + 1);
  assert.equal(find(/^profile: "ramp" is not allowed; use one of: constant, ramp-up, spike, soak, stress$/).line, lineOf(text, 'profile: ramp'));
  const unknown = find(/^the file: unknown field 'timout'; allowed here: name, /);
  assert.equal(unknown.line, lineOf(text, 'timout: 5s'));
  assert.equal(unknown.column, 'timout: '.length + 1);
  assert.ok(problems.every((p) => !p.message.includes('\n')));
});

test('SLO clauses, exclusive mix options and a bad target are checked with their place', () => {
  const slo = EXAMPLE.replace('  - errors<1%', '  - errors<lots');
  const p1 = parseLoadSpecText(slo).problems;
  assert.equal(p1.length, 1);
  assert.match(p1[0].message, /^slo: SLO clause "errors<lots" is not understood/);
  assert.equal(p1[0].line, lineOf(slo, 'errors<lots'));

  const both = `${EXAMPLE}requests:\n  - { path: /x }\n`;
  const p2 = parseLoadSpecText(both).problems;
  assert.equal(p2.length, 1);
  assert.equal(p2[0].message, 'requests: is a mix of its own; remove mix and read-write, or remove requests');
  assert.equal(p2[0].line, lineOf(both, 'mix: traffic'));

  const p3 = parseLoadSpecText('target: ftp://x\n').problems;
  assert.deepEqual(p3, [{ message: 'target: "ftp://x" must be an http:// or https:// URL', line: 1, column: 9 }]);
  assert.deepEqual(parseLoadSpecText('name: x\n').problems.map((p) => p.message), ["the file: 'target' is missing; add it (see examples/load/checkout-ramp.yaml)"]);
  assert.match(parseLoadSpecText('target: [\n').problems[0].message, /^not valid YAML: /);
});

test('readLoadSpec throws file:line:col lines; flags win over the file', (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'bad.yaml');
  writeFileSync(file, 'target: http://127.0.0.1:3000\nrate: -5\n');
  assert.throws(() => readLoadSpec(file), (e: Error) => e.message === `${file}:2:7: rate: -5 must be > 0`);
  assert.throws(() => readLoadSpec(path.join(dir, 'none.yaml')), /cannot read the load spec .*none\.yaml \(no such file or folder\); check the path/);

  const input = planInputFromFlags({ duration: '5s', rate: '200', to: ['400'], slo: ['p99<50ms'] }, readLoadSpec(EXAMPLE_FILE));
  const spec = planSpec(input);
  assert.equal(spec.durationMs, 5000);
  assert.equal(spec.model.kind, 'open');
  assert.deepEqual(spec.model, { kind: 'open', rate: 400, maxConnections: 20 });
  assert.deepEqual(spec.slo.map((c) => c.text), ['p99<50ms']);
});

test('defaults: 30 s, 10 connections, a request bound; remote targets need allow-remote', () => {
  const spec = planSpec({ target: 'http://127.0.0.1:8080' });
  assert.deepEqual(spec.model, { kind: 'closed', connections: 10 });
  assert.equal(spec.durationMs, 30_000);
  assert.equal(spec.profile.kind, 'constant');
  assert.ok(spec.maxRequests > 0 && Number.isFinite(spec.maxRequests));
  assert.throws(() => planSpec({ target: 'http://example.com' }), /not a loopback address: pass --allow-remote/);
  assert.equal(planSpec({ target: 'http://example.com', allowRemote: true }).allowRemote, true);
  assert.throws(() => planInputFromFlags({ profile: 'ramp' }), /--profile 'ramp' must be one of: constant, ramp-up, spike, soak, stress/);
  assert.throws(() => planInputFromFlags({ to: ['k6'] }), /--to 'k6' must be a number .* 'chaos-testing load export --to k6'/);
  assert.throws(() => planInputFromFlags({ duration: 'soon' }), /--duration 'soon' is not a duration/);
});

test('a value the profile or the mix has no use for is refused, naming it', async () => {
  const base = { target: 'http://127.0.0.1:3000/' };
  assert.throws(() => planSpec({ ...base, from: 5, to: 50 }), /from 5 is where ramp-up, spike, soak and stress start; a constant run holds one level/);
  assert.throws(() => planSpec({ ...base, profile: 'ramp-up', to: 50, stepEveryMs: 2000 }), /step-every is how long each step of the stress profile holds; profile ramp-up has no steps/);
  assert.equal(planSpec({ ...base, profile: 'ramp-up', from: 5, to: 50 }).profile.from, 5);
  assert.equal(planSpec({ ...base, profile: 'stress', from: 5, to: 50, stepEveryMs: 2000, durationMs: 10_000 }).profile.step?.every, 2000);
  const spec = planSpec({ ...base, mix: 'target' });
  await assert.rejects(planMix(spec, { ...base, mix: 'target', session: 2 }), /session 2 picks the captured traffic to send; it does not go with mix target/);
  await assert.rejects(planMix(spec, { ...base, mix: 'target', readWrite: '0.8:0.2' }), /read-write reshapes the captured traffic; it does not go with mix target/);
  assert.equal((await planMix(spec, { ...base, mix: 'target' })).entries.length, 1);
});
