/**
 * The library's builders make exactly what the files and flags make: an experiment built in code equals the one
 * parsed from its YAML, a load test's spec equals the one planned from its spec file and from the CLI's flags, and
 * an invariant is the CLI's --invariant argument. Bad input is a typed error with a stable code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ChaosExperiment, ChaosError, ERROR_CODES, ExperimentInvalidError, LoadTest, StateInvariant, UsageError } from '../../src/api';
import { parseExperimentText } from '../../src/core/chaos/parse';
import type { Experiment } from '../../src/core/chaos/types';
import { planInputFromFlags } from '../../src/cli/loadFlags';
import { planSpec } from '../../src/core/load/plan';
import { parseLoadSpecText } from '../../src/core/load/specFile';
import { INVARIANTS } from '../../src/core/properties/invariants';
import { ROOT } from '../helpers';

function fromYaml(text: string): Experiment {
  const { experiment, problems } = parseExperimentText(text);
  assert.deepEqual(problems, []);
  return experiment!;
}

const HYPOTHESIS = `steady-state-hypothesis:
  title: the service answers
  probes:
    - {type: probe, name: health, provider: {type: http, url: http://127.0.0.1:3000/health, method: GET}, tolerance: {status: 200}}`;

test('each chaos builder gives the experiment its YAML gives', () => {
  const probe = (e: ChaosExperiment): ChaosExperiment => e.withProbe('http://127.0.0.1:3000/health', { tolerance: { status: 200 } });
  const cases: Array<[string, ChaosExperiment, string]> = [
    [
      'process-kill ×2',
      ChaosExperiment.processKill({ name: 'api', pidFile: '/tmp/api.pid', start: 'node server.js' }, { count: 2, restartAfter: '1s' }),
      `targets: {api: {process: {pidFile: /tmp/api.pid, start: node server.js}}, app: {url: "http://127.0.0.1:3000"}}
method:
  - {type: action, name: 'kill api #1', provider: {type: process-kill, target: api, arguments: {signal: SIGKILL, restart: true, restartAfter: 1s}}}
  - {type: action, name: 'kill api #2', provider: {type: process-kill, target: api, arguments: {signal: SIGKILL, restart: true, restartAfter: 1s}}}`,
    ],
    [
      'network-partition',
      ChaosExperiment.networkPartition({ name: 'redis', listen: '127.0.0.1:6380', upstream: '127.0.0.1:6379' }, { duration: '2s' }),
      `targets: {redis: {proxy: {listen: 127.0.0.1:6380, upstream: 127.0.0.1:6379}}, app: {url: "http://127.0.0.1:3000"}}
method: [{type: action, name: partition redis, provider: {type: network-partition, target: redis}, duration: 2s}]`,
    ],
    [
      'cpu-throttle',
      ChaosExperiment.cpuThrottle({ match: 'node server.js' }, 20),
      `targets: {service: {process: {match: node server.js}}, app: {url: "http://127.0.0.1:3000"}}
method: [{type: action, name: throttle service to 20%, provider: {type: cpu-throttle, target: service, arguments: {percent: 20}}}]`,
    ],
    [
      'memory-pressure',
      ChaosExperiment.memoryPressure({ match: 'node server.js' }, 64),
      `targets: {service: {process: {match: node server.js}}, app: {url: "http://127.0.0.1:3000"}}
method: [{type: action, name: take 64 MiB beside service, provider: {type: memory-pressure, target: service, arguments: {mib: 64}}}]`,
    ],
    [
      'disk-exhaustion',
      ChaosExperiment.diskExhaustion('/tmp/data', 90, { floorMiB: 512 }),
      `targets: {data: {directory: {path: /tmp/data}}, app: {url: "http://127.0.0.1:3000"}}
method: [{type: action, name: fill data to 90%, provider: {type: disk-exhaustion, target: data, arguments: {percent: 90, floor: 512}}}]`,
    ],
    [
      'clock-skew',
      ChaosExperiment.clockSkew({ match: 'node server.js', start: 'node server.js' }, '-1h'),
      `targets: {service: {process: {match: node server.js, start: node server.js}}, app: {url: "http://127.0.0.1:3000"}}
method: [{type: action, name: "skew service's clock by -3600s", provider: {type: clock-skew, target: service, arguments: {offset: -3600}}}]`,
    ],
    [
      'cascading-failure',
      ChaosExperiment.cascadingFailure({ api: { match: 'node api.js', start: 'node api.js', dependsOn: ['db'] }, db: { match: 'postgres -D', start: 'pg_ctl start' } }, { delay: 500 }),
      `targets:
  api: {process: {match: node api.js, start: node api.js, dependsOn: [db]}}
  db: {process: {match: postgres -D, start: pg_ctl start, dependsOn: []}}
  app: {url: "http://127.0.0.1:3000"}
method: [{type: action, name: cascade db → api, provider: {type: cascading-failure, target: db, arguments: {order: [db, api], delay: 500}}}]`,
    ],
  ];
  // `app` is the url target withProbe adds for the probe's origin.
  for (const [kind, built, body] of cases) {
    const experiment = probe(built).withTitle(`t ${kind}`).withMeasure({ baseline: '1s', interval: 50 }).toExperiment();
    const yaml = `version: '1'\ntitle: t ${kind}\n${body}\n${HYPOTHESIS}\nmeasure: {baseline: 1s, interval: 50}\n`;
    assert.deepEqual(experiment, fromYaml(yaml), kind);
  }
});

test('fromFile gives what the CLI parses; toYaml round-trips', () => {
  const file = path.join(ROOT, 'examples', 'experiments', 'backend-restart.yaml');
  const built = ChaosExperiment.fromFile(file);
  assert.deepEqual(built.toExperiment(), parseExperimentText(fs.readFileSync(file, 'utf8'), file).experiment);
  const again = ChaosExperiment.processKill({ pidFile: '/tmp/x.pid', start: 'node x.js' }).withProbe('http://127.0.0.1:1/health');
  assert.deepEqual(fromYaml(again.toYaml()), again.toExperiment());
});

test('an invalid experiment is an ExperimentInvalidError naming the problem', () => {
  const bad = ChaosExperiment.cpuThrottle({ match: 'node x.js' }, 150).withProbe('http://127.0.0.1:1/health');
  assert.throws(() => bad.toExperiment(), (e: unknown) => e instanceof ExperimentInvalidError && e.code === 'CT_EXPERIMENT_INVALID' && /percent: 150 must be < 100/.test(e.message));
  const noProbe = ChaosExperiment.processKill({ pidFile: '/tmp/x.pid' });
  assert.throws(() => noProbe.toExperiment(), (e: unknown) => e instanceof ExperimentInvalidError && e.problems.some((p) => p.path.includes('probes')));
  assert.throws(() => ChaosExperiment.processKill({ pidFile: '/tmp/x.pid' }, { count: 0 }), (e: unknown) => e instanceof UsageError && e.code === 'CT_USAGE' && /count 0/.test(e.message));
  assert.throws(() => ChaosExperiment.clockSkew({ match: 'node x.js' }, 'soon'), /clockSkew offset 'soon' is not a duration/);
  assert.throws(() => ChaosExperiment.fromFile('/nonexistent/x.yaml'), (e: unknown) => e instanceof ChaosError && e.code === 'CT_INPUT');
  assert.deepEqual([...ERROR_CODES].sort(), ['CT_CANCELLED', 'CT_EXPERIMENT_INVALID', 'CT_INPUT', 'CT_LISTEN', 'CT_STORE', 'CT_USAGE']);
});

test("a load test's spec equals the one its spec file and the CLI's flags plan", () => {
  const built = LoadTest.create('http://127.0.0.1:3000/api').withRampUp(1, 20).withConnections(20).withDuration('1m').withSlo({ p99Ms: 200, errorRate: 0.01 }).withTimeout('5s');
  const yaml = 'target: http://127.0.0.1:3000/api\nprofile: ramp-up\nfrom: 1\nto: 20\nconnections: 20\nduration: 1m\nmix: target\nslo: [p99<200ms, errors<0.01]\ntimeout: 5s\n';
  const { input, problems } = parseLoadSpecText(yaml);
  assert.deepEqual(problems, []);
  assert.deepEqual(built.toSpec(), planSpec(input!));
  const flags = planInputFromFlags({ target: 'http://127.0.0.1:3000/api', profile: 'ramp-up', from: '1', to: ['20'], connections: '20', duration: '1m', mix: 'target', slo: ['p99<200ms', 'errors<0.01'], timeout: '5s' });
  assert.deepEqual(built.toSpec(), planSpec(flags));

  const stress = LoadTest.create('http://127.0.0.1:3000').withRate(50).withStress(400, { stepEvery: '2s' }).withDuration(10_000).withSlo('p99<100ms').withSlo({ minRps: 10 });
  assert.deepEqual(stress.toSpec(), planSpec(planInputFromFlags({ target: 'http://127.0.0.1:3000', mix: 'target', rate: '50', profile: 'stress', to: ['400'], 'step-every': '2s', duration: '10s', slo: ['p99<100ms', 'rps>=10'] })));
  assert.equal(LoadTest.create('http://127.0.0.1:3000').withSpike(100, 5).toSpec().profile.kind, 'spike');
  assert.equal(LoadTest.create('http://127.0.0.1:3000').withSoak(5).toSpec().profile.kind, 'soak');
  assert.equal(LoadTest.create('http://127.0.0.1:3000').withTraffic('x.db').withReadWriteRatio(8, 2).toSpec().readShare, 0.8);
  assert.throws(() => LoadTest.create('http://127.0.0.1:3000').withDuration('soon'), (e: unknown) => e instanceof UsageError && /withDuration\("soon"\)/.test(e.message));
  assert.throws(() => LoadTest.create('http://127.0.0.1:3000').withSlo({}), /names no objective/);
  assert.throws(() => LoadTest.create('http://example.com').toSpec(), (e: unknown) => e instanceof ChaosError && e.code === 'CT_INPUT' && /loopback/.test(e.message));
});

test("an invariant is the CLI's --invariant argument, its options checked at once", () => {
  const options = {
    proxy: { listen: '127.0.0.1:6543', upstream: '127.0.0.1:5432' },
    database: 'postgres://postgres@127.0.0.1:5432/postgres',
    sum: 'SELECT SUM(balance) FROM accounts',
    transfer: { method: 'POST', path: '/api/transfers', body: { from: '{from}', to: '{to}', amount: '{amount}' } },
    runs: 5,
  };
  const inv = StateInvariant.transactionAtomicity({ target: 'http://127.0.0.1:3000', ...options });
  assert.equal(inv.cliSpec, `transaction_atomicity=${JSON.stringify(options)}`);
  // The CLI reads the same argument into the same invariant.
  assert.equal(INVARIANTS.transaction_atomicity.make(inv.cliSpec!.split('=').slice(1).join('=')).name, 'transaction_atomicity');
  assert.equal(StateInvariant.latencyBounded({ target: 'http://127.0.0.1:3000', boundMs: 500 }).cliSpec, 'latency_bounded=500');
  assert.equal(StateInvariant.errorRateBelow({ target: 'http://127.0.0.1:3000' }).cliSpec, 'error_rate_below=0.01');
  const { sum: _sum, ...noSum } = options;
  assert.throws(() => StateInvariant.transactionAtomicity({ target: 'http://127.0.0.1:3000', ...noSum } as never), (e: unknown) => e instanceof ChaosError && e.code === 'CT_INPUT' && /transaction_atomicity options: 'sum' must be given/.test(e.message));
  assert.throws(() => StateInvariant.errorRateBelow({ target: 'http://127.0.0.1:3000', fraction: 2 }), /error_rate_below bound 2: it must be a fraction/);
  assert.throws(() => StateInvariant.custom({ target: 'http://127.0.0.1:3000', name: 'no spaces', check: () => true }), /custom invariant name 'no spaces'/);
});

test("the CLI's entry points: a spec file, its fields, a plan shown before the run, an experiment already parsed", async (t) => {
  const yaml = 'target: http://127.0.0.1:3000/api/health\nprofile: spike\nto: 8\nduration: 5s\nmix: target\nslo: "p99<200ms"\n';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-api-entry-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'spike.yaml');
  fs.writeFileSync(file, yaml);
  const fromFile = LoadTest.fromSpecFile(file);
  assert.deepEqual(fromFile.toSpec(), LoadTest.fromInput(parseLoadSpecText(yaml).input!).toSpec());
  assert.deepEqual(fromFile.toSpec(), planSpec(parseLoadSpecText(yaml).input!));
  const plan = await fromFile.plan();
  assert.deepEqual(plan.spec, fromFile.toSpec());
  assert.deepEqual(plan.mix.entries.map((e) => [e.method, e.pathAndQuery]), [['GET', '/api/health']]);
  fs.writeFileSync(file, yaml.replace('duration: 5s', 'duration: soon'));
  assert.throws(() => LoadTest.fromSpecFile(file), (e: unknown) => e instanceof ChaosError && e.code === 'CT_INPUT' && /spike\.yaml:4/.test(e.message));

  const experimentFile = path.join(ROOT, 'examples', 'experiments', 'backend-restart.yaml');
  const parsed = parseExperimentText(fs.readFileSync(experimentFile, 'utf8'), experimentFile).experiment!;
  const exp = ChaosExperiment.fromExperiment(parsed);
  assert.equal(exp.toExperiment(), parsed);
  assert.throws(() => exp.withTitle('x'), (e: unknown) => e instanceof UsageError && /came from fromExperiment/.test(e.message));
});
