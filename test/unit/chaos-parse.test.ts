/** Experiment files: the example validates; schema and semantic problems carry the right line and column. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { availableKinds } from '../../src/core/chaos/drivers';
import { parseExperimentText } from '../../src/core/chaos/parse';
import { ACTION_KINDS } from '../../src/core/chaos/types';
import { ROOT } from '../helpers';

const EXAMPLE = readFileSync(path.join(ROOT, 'examples', 'experiments', 'backend-restart.yaml'), 'utf8');

/** The 1-based line of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `'${needle}' is in the file`);
  return i + 1;
}

test('the example experiment validates, with durations in ms and defaults filled in', () => {
  const { experiment, problems } = parseExperimentText(EXAMPLE, 'backend-restart.yaml');
  assert.deepEqual(problems, []);
  assert.ok(experiment);
  assert.deepEqual(experiment.method[0].arguments, { signal: 'SIGKILL', restart: true, restartAfterMs: 1000 });
  assert.deepEqual(experiment.hypothesis.probes[0].tolerance, { status: [200], jsonpath: '$.status', equals: 'ok', latencyMs: 500 });
  assert.equal(experiment.measure.intervalMs, 50);
  assert.equal(experiment.measure.recoveryTimeoutMs, 30_000);
  assert.equal(experiment.targets.backend.kind, 'process');
  assert.equal(experiment.targets.backend.kubernetes?.namespace, 'shop');
});

test('a misspelt target is reported on the line of provider.target, naming the targets', () => {
  const text = EXAMPLE.replace('target: backend', 'target: bakend');
  const { experiment, problems } = parseExperimentText(text);
  assert.equal(experiment, undefined);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].message, "method[0] 'kill the backend': target 'bakend' is not defined; targets are: api, backend, redis");
  assert.equal(problems[0].line, lineOf(text, 'target: bakend'));
  assert.equal(problems[0].column, text.split('\n')[problems[0].line! - 1].indexOf('bakend') + 1);
});

test('a bad duration, an unknown kind and a missing field each get their own line', () => {
  const text = EXAMPLE.replace('interval: 50ms', 'interval: 5 seconds').replace('type: process-kill', 'type: process-kil').replace(/^title: .*\n/m, '');
  const { problems } = parseExperimentText(text);
  const find = (re: RegExp): (typeof problems)[number] => {
    const p = problems.find((x) => re.test(x.message));
    assert.ok(p, `a problem matching ${re} in ${JSON.stringify(problems.map((x) => x.message))}`);
    return p;
  };
  assert.equal(find(/^measure\.interval: "5 seconds" is not a duration; write milliseconds/).line, lineOf(text, 'interval: 5 seconds'));
  assert.equal(find(/unknown action kind "process-kil"; kinds are: process-kill,/).line, lineOf(text, 'type: process-kil'));
  assert.match(find(/'title' is missing/).message, /^the file: 'title' is missing; add it$/);
  assert.equal(problems.length, 3);
});

test('unknown fields, wrong target kinds, bad probe urls and a restart without start are named', () => {
  const text = [
    'title: t',
    'targets:',
    '  api: {url: "http://127.0.0.1:1"}',
    '  db: {process: {match: "postgres -D"}}',
    'steady-state-hypothesis:',
    '  probes:',
    '    - {name: up, provider: {type: http, url: web/health}}',
    'method:',
    '  - name: slow',
    '    provider: {type: latency, target: db, arguments: {latency: 100ms}}',
    '  - name: kill',
    '    provider: {type: process-kill, target: db, arguments: {restart: true}}',
    'measure: {probe: down}',
  ].join('\n');
  const messages = parseExperimentText(text).problems.map((p) => `${p.line}: ${p.message}`);
  assert.deepEqual(messages.sort(), [
    "10: method[0] 'slow': latency needs a proxy target, and 'db' is a process target; add a target with a 'proxy' key",
    "12: method[1] 'kill': restart needs the target's 'start' command; add targets.db.process.start",
    "13: measure.probe: 'down' is not a probe of the hypothesis; probes are: up",
    "7: steady-state-hypothesis.probes[0] 'up': url 'web/health' starts with 'web', which is not a url target; url targets are: api",
  ]);
  const extra = parseExperimentText(text.replace('match: "postgres -D"', 'match: "postgres -D", pidfile: x')).problems;
  assert.equal(extra.length, 1);
  assert.match(extra[0].message, /^targets\.db\.process: unknown field 'pidfile'; allowed here: pidFile, match, start, cwd, env, dependsOn$/);
  assert.equal(extra[0].line, 4);
});

test('two probes of one name are a problem on the second one\'s line', () => {
  const text = [
    'title: t',
    'targets:',
    '  api: {url: "http://127.0.0.1:1"}',
    '  edge: {proxy: {listen: "127.0.0.1:2", upstream: "127.0.0.1:1"}}',
    'steady-state-hypothesis:',
    '  probes:',
    '    - {name: up, provider: {type: http, url: api/health}}',
    '    - {name: up, provider: {type: http, url: api/ready}}',
    'method:',
    '  - {name: slow, provider: {type: latency, target: edge, arguments: {latency: 100ms}}}',
    'measure: {probe: up}',
  ].join('\n');
  const messages = parseExperimentText(text).problems.map((p) => `${p.line}: ${p.message}`);
  assert.deepEqual(messages, ["8: steady-state-hypothesis.probes[1]: the name 'up' is taken by an earlier probe; give each probe its own name"]);
  assert.deepEqual(parseExperimentText(text.replace('name: up, provider: {type: http, url: api/ready}', 'name: ready, provider: {type: http, url: api/ready}')).problems, []);
});

test('a fault among the file\'s rollbacks is refused: nothing would undo it', () => {
  const text = [
    'title: t',
    'targets:',
    '  api: {url: "http://127.0.0.1:1"}',
    '  edge: {proxy: {listen: "127.0.0.1:2", upstream: "127.0.0.1:1"}}',
    '  db: {process: {match: "postgres -D", start: "pg_ctl start"}}',
    'steady-state-hypothesis:',
    '  probes:',
    '    - {name: up, provider: {type: http, url: api/health}}',
    'method:',
    '  - {name: slow, provider: {type: latency, target: edge, arguments: {latency: 100ms}}}',
    'rollbacks:',
    '  - {name: slower, provider: {type: latency, target: edge, arguments: {latency: 900ms}}}',
    '  - {name: restart db, provider: {type: process-kill, target: db, arguments: {restart: true}}}',
    'measure: {probe: up}',
  ].join('\n');
  const messages = parseExperimentText(text).problems.map((p) => `${p.line}: ${p.message}`);
  assert.deepEqual(messages, ["12: rollbacks[0] 'slower': a latency here would add a fault that nothing undoes (each method action is undone on its own); rollbacks take only process-kill with restart: true"]);
});

test('a tolerance JSONPath that does not parse is a problem on its line, not a crash at run time', () => {
  const bad = EXAMPLE.replace('jsonpath: $.status', 'jsonpath: "$..[?(@.x"');
  assert.notEqual(bad, EXAMPLE);
  const { problems } = parseExperimentText(bad);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.match(problems[0].message, /^steady-state-hypothesis\.probes\[0\] '.*': tolerance\.jsonpath "\$\.\.\[\?\(@\.x" cannot be parsed: '\(' is not closed$/);
  assert.equal(problems[0].line, lineOf(bad, 'jsonpath: "$..[?(@.x"'));
  const filter = parseExperimentText(EXAMPLE.replace('jsonpath: $.status', 'jsonpath: "$[?(@.x ==)]"')).problems;
  assert.match(filter[0]?.message ?? '', /cannot be parsed: \?\(@\.x ==\) does not compile \(Expected expression after == at character 9\)$/);
  // A filter that only throws on some bodies is valid: the probe reports it when it happens.
  assert.deepEqual(parseExperimentText(EXAMPLE.replace('jsonpath: $.status', `jsonpath: "$.checks[?(@.detail.status == 'up')]"`)).problems, []);
});

test('ports out of range, a url target that is not a URL and an infinite number are problems on their lines', () => {
  const text = [
    'title: t',
    'targets:',
    '  api: {url: "http://[::1"}',
    '  web: {url: "http://127.0.0.1:8080"}',
    '  edge: {proxy: {api: "127.0.0.1:99999", proxy: edge}}',
    '  local: {proxy: {listen: "127.0.0.1:70000", upstream: "127.0.0.1:6379"}}',
    'steady-state-hypothesis:',
    '  probes:',
    '    - {name: up, provider: {type: http, url: "http://127.0.0.1:8080/health"}}',
    'method:',
    '  - {name: slow, provider: {type: latency, target: edge, arguments: {latency: 100ms}}}',
    '  - {name: slower, provider: {type: latency, target: local, arguments: {latency: 100ms}}}',
  ].join('\n');
  const messages = parseExperimentText(text).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
  assert.deepEqual(messages.sort(), [
    "3:14: targets.api.url: 'http://[::1' is not a valid URL (check the host, the brackets around an IPv6 address and the port, 1-65535)",
    "5:23: targets.edge.api: port 99999 in '127.0.0.1:99999' is out of range; a port is 1-65535",
    "6:27: targets.local.listen: port 70000 in '127.0.0.1:70000' is out of range; a port is 0-65535",
  ]);
  const huge = parseExperimentText(text.replace('"http://[::1"', '"http://127.0.0.1:1"').replace('99999', '8474').replace('70000', '0').replace('latency: 100ms}}}', 'latency: 1e400}}}')).problems;
  assert.deepEqual(huge.map((p) => `${p.line}: ${p.message}`), ["11: method[0] 'slow'.provider.arguments.latency: the number is too large (it reads as infinity); write a finite value"]);
});

test('invalid YAML is one problem with its position', () => {
  const { problems } = parseExperimentText('title: [unclosed\nmethod: x\n');
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, /^not valid YAML: /);
  assert.ok(problems[0].line! >= 1);
});

test('every action kind the schema names has a driver', () => {
  assert.deepEqual([...availableKinds()].sort(), [...ACTION_KINDS].sort());
});

test('a field of the wrong type where the schema allows several types gets a problem line, not a crash', () => {
  const text = readFileSync(path.join(ROOT, 'examples', 'experiments', 'backend-restart.yaml'), 'utf8').replace(/^version: .*$/m, 'version: [1]');
  const { experiment, problems } = parseExperimentText(text);
  assert.ok(!experiment);
  assert.ok(problems.some((p) => /version: must be a string, not \[1\]/.test(p.message)), problems.map((p) => p.message).join('; '));
});

test('a file that is not YAML gets one problem (the first, with a count of the rest), and an alias bomb one too', () => {
  const script = 'import http from "k6/http";\nexport const options = {\n  stages: [{ duration: "1s", target: 1 }],\n};\nexport default function () {\n  http.get("http://127.0.0.1/");\n}\n';
  const notYaml = parseExperimentText(script).problems;
  assert.equal(notYaml.length, 1);
  assert.match(notYaml[0].message, /^not valid YAML: .*\(and \d+ more after it\)$/);
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`), 'title: *h'].join('\n');
  const exploded = parseExperimentText(bomb).problems;
  assert.equal(exploded.length, 1);
  assert.match(exploded[0].message, /^not valid YAML: /);
});
