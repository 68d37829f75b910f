// `chaos export --to chaos-mesh`: every action kind becomes resources that validate against the real Chaos Mesh CRDs
// (../shared/data/chaos-mesh-crds, with ajv), and the validator itself rejects broken resources, so a pass means
// something.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { InputError, UsageError } from '../../src/core/errors';
import { exportToChaosMesh, runChaosExport, type KubeResource } from '../../src/core/chaos/chaosMesh';
import { dns1123, goDuration, isDns1123Label } from '../../src/core/chaos/chaosMeshFormat';
import { ChaosMeshValidator, findCrdDir } from '../../src/core/chaos/chaosMeshValidate';
import { ACTION_KINDS, type Action, type ActionArguments, type ActionKind, type Experiment } from '../../src/core/chaos/types';

const crdDir = findCrdDir();
let validator: ChaosMeshValidator;
let tmp: string;
before(() => {
  assert.ok(crdDir, 'the Chaos Mesh CRDs must be at ../shared/data/chaos-mesh-crds beside the repo');
  validator = ChaosMeshValidator.fromDirectory(crdDir);
  tmp = mkdtempSync(path.join(tmpdir(), 'chaos-mesh-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const ARGS: { [K in ActionKind]: ActionArguments[K] } = {
  'process-kill': { signal: 'SIGKILL', restart: true, restartAfterMs: 1000 },
  'network-partition': {},
  latency: { latencyMs: 200, jitterMs: 50, stream: 'downstream' },
  loss: { percent: 20, stream: 'upstream' },
  bandwidth: { rateKBps: 10, stream: 'downstream' },
  'cpu-throttle': { percent: 20, periodMs: 100 },
  'memory-pressure': { mib: 512 },
  'disk-exhaustion': { percent: 95, floorMiB: 256 },
  'clock-skew': { offsetSeconds: -3600 },
  'cascading-failure': { order: ['db', 'backend'], delayMs: 500 },
};
const TARGET: Record<ActionKind, string> = {
  'process-kill': 'backend',
  'network-partition': 'redis',
  latency: 'redis',
  loss: 'redis',
  bandwidth: 'redis',
  'cpu-throttle': 'backend',
  'memory-pressure': 'backend',
  'disk-exhaustion': 'data',
  'clock-skew': 'backend',
  'cascading-failure': 'db',
};
/** The chaos kind each action kind must produce, and a part of its spec that carries the action's arguments. */
const EXPECT: Record<ActionKind, { kind: string; spec: Record<string, unknown> }> = {
  'process-kill': { kind: 'PodChaos', spec: { action: 'pod-kill', gracePeriod: 0 } },
  'network-partition': { kind: 'NetworkChaos', spec: { action: 'partition', direction: 'both' } },
  latency: { kind: 'NetworkChaos', spec: { action: 'delay', direction: 'from', delay: { latency: '200ms', jitter: '50ms', correlation: '0' } } },
  loss: { kind: 'NetworkChaos', spec: { action: 'loss', direction: 'to', loss: { loss: '20', correlation: '0' } } },
  bandwidth: { kind: 'NetworkChaos', spec: { action: 'bandwidth', bandwidth: { rate: '10kbps', limit: 20 * 1024 * 1024, buffer: 1600 } } },
  'cpu-throttle': { kind: 'StressChaos', spec: { stressors: { cpu: { workers: 1, load: 80 } } } },
  'memory-pressure': { kind: 'StressChaos', spec: { stressors: { memory: { workers: 1, size: '512MiB' } } } },
  'disk-exhaustion': { kind: 'IOChaos', spec: { action: 'fault', errno: 28, volumePath: '/var/lib/app', path: '/var/lib/app/**/*' } },
  'clock-skew': { kind: 'TimeChaos', spec: { timeOffset: '-1h' } },
  'cascading-failure': { kind: 'Workflow', spec: {} },
};

function action<K extends ActionKind>(kind: K, over: Partial<Action<K>> = {}): Action<K> {
  return { name: `do ${kind}`, kind, target: TARGET[kind], arguments: ARGS[kind], durationMs: 30_000, pauseBeforeMs: 0, pauseAfterMs: 0, at: [], ...over };
}

function experiment(actions: Action[], change: (e: Experiment) => void = () => {}): Experiment {
  const e: Experiment = {
    version: '1.0.0',
    title: 'The API comes back after its process is killed',
    tags: [],
    targets: {
      api: { kind: 'url', name: 'api', url: 'http://127.0.0.1:3000' },
      backend: { kind: 'process', name: 'backend', dependsOn: ['db'], kubernetes: { namespace: 'shop', labels: { app: 'backend' } } },
      db: { kind: 'process', name: 'db', dependsOn: [], kubernetes: { namespace: 'shop', labels: { app: 'db' } } },
      redis: { kind: 'proxy', name: 'redis', listen: '127.0.0.1:6380', upstream: '127.0.0.1:6379', kubernetes: { namespace: 'shop', labels: { app: 'redis' } } },
      data: { kind: 'directory', name: 'data', path: '/var/lib/app/', kubernetes: { namespace: 'shop', labels: { app: 'backend' } } },
    },
    hypothesis: {
      title: 'The API answers',
      probes: [{ name: 'health', url: 'api/health', method: 'GET', headers: {}, timeoutMs: 2000, tolerance: { status: [200] }, at: [] }],
    },
    method: actions,
    rollbacks: [],
    measure: { probe: 'health', intervalMs: 50, baselineMs: 2000, faultMs: 3000, consecutiveSuccesses: 3, recoveryTimeoutMs: 30_000 },
  };
  change(e);
  return e;
}

/** Every template of a Workflow by name. */
function templates(workflow: KubeResource): Map<string, Record<string, unknown>> {
  return new Map((workflow.spec.templates as Record<string, unknown>[]).map((t) => [String(t.name), t]));
}

const clone = <T>(v: T): T => structuredClone(v);

describe('every action kind exports to resources that validate against the Chaos Mesh CRDs', () => {
  for (const kind of ACTION_KINDS) {
    test(kind, () => {
      const { resources } = exportToChaosMesh(experiment([action(kind)]), { form: 'resources', probeOrigin: 'http://api.shop.svc:3000' });
      assert.deepEqual(validator.validateAll(resources), []);
      const expected = EXPECT[kind];
      // A proxy fault is one NetworkChaos per client of the proxy (backend and db here); every other kind is one resource.
      assert.equal(resources.length, expected.kind === 'NetworkChaos' ? 2 : 1);
      for (const resource of resources) {
        assert.equal(resource.kind, expected.kind);
        assert.equal(resource.metadata.namespace, 'shop');
        if (resource.kind === 'Workflow') continue;
        assert.equal(resource.spec.duration, '30s');
        assert.equal(resource.spec.mode, 'all');
        for (const [key, value] of Object.entries(expected.spec)) assert.deepEqual(resource.spec[key], value, `${kind}: spec.${key}`);
      }

      // And the validator fails it once broken: a selector mode Chaos Mesh does not have.
      const broken = clone(resources[0]);
      const chaosSpec = broken.kind === 'Workflow' ? ([...templates(broken).values()].find((t) => t.podChaos)!.podChaos as Record<string, unknown>) : broken.spec;
      chaosSpec.mode = 'most';
      assert.match(validator.validate(broken).join('\n'), /mode must be one of one, all, fixed/);

      // The same action inside the experiment's Workflow, with the steady state around it.
      const { resources: [workflow] } = exportToChaosMesh(experiment([action(kind)]), { probeOrigin: 'http://api.shop.svc:3000' });
      assert.equal(workflow.kind, 'Workflow');
      assert.deepEqual(validator.validate(workflow), []);
      const types = [...templates(workflow).values()].map((t) => t.templateType);
      assert.ok(types.includes(kind === 'cascading-failure' ? 'PodChaos' : expected.kind), `${kind}: ${types.join(', ')}`);
      assert.equal(types.filter((t) => t === 'StatusCheck').length, 3, 'checked before, watched during, checked after');
    });
  }
});

describe('the validator rejects broken resources, so a pass means something', () => {
  const breakers: Record<string, { kind: ActionKind; change: (spec: Record<string, unknown>) => void; expect: RegExp }> = {
    'a PodChaos action that does not exist': { kind: 'process-kill', change: (s) => void (s.action = 'pod-explode'), expect: /\/spec\/action must be one of pod-kill/ },
    'a NetworkChaos delay without its latency': { kind: 'latency', change: (s) => void delete (s.delay as Record<string, unknown>).latency, expect: /\/spec\/delay must have required property 'latency'/ },
    'a NetworkChaos latency that is not a duration': { kind: 'latency', change: (s) => void ((s.delay as Record<string, unknown>).latency = '200 millis'), expect: /\/spec\/delay\/latency must match pattern/ },
    'a bandwidth without its buffer': { kind: 'bandwidth', change: (s) => void delete (s.bandwidth as Record<string, unknown>).buffer, expect: /must have required property 'buffer'/ },
    'a misspelt NetworkChaos field': { kind: 'loss', change: (s) => void (s.directon = 'to'), expect: /\/spec has an unknown field 'directon'/ },
    'a StressChaos load over 100': { kind: 'cpu-throttle', change: (s) => void ((s.stressors as { cpu: { load: number } }).cpu.load = 150), expect: /\/spec\/stressors\/cpu\/load must be <= 100/ },
    'an IOChaos without its volume': { kind: 'disk-exhaustion', change: (s) => void delete s.volumePath, expect: /must have required property 'volumePath'/ },
    'a TimeChaos offset that is not a duration': { kind: 'clock-skew', change: (s) => void (s.timeOffset = 'an hour ago'), expect: /\/spec\/timeOffset 'an hour ago' is not a Go duration/ },
    'a selector mode that does not exist': { kind: 'memory-pressure', change: (s) => void (s.mode = 'most'), expect: /\/spec\/mode must be one of one, all/ },
  };
  for (const [what, { kind, change, expect }] of Object.entries(breakers)) {
    test(what, () => {
      const [resource] = exportToChaosMesh(experiment([action(kind)]), { form: 'resources' }).resources;
      assert.deepEqual(validator.validate(resource), []);
      const broken = clone(resource);
      change(broken.spec);
      const problems = validator.validate(broken);
      assert.ok(problems.some((p) => expect.test(p)), problems.join('\n'));
      assert.ok(problems.every((p) => p.startsWith(`${resource.kind}/${resource.metadata.name}: `)));
    });
  }

  test('a bad name, apiVersion or kind', () => {
    const [resource] = exportToChaosMesh(experiment([action('process-kill')]), { form: 'resources' }).resources;
    assert.match(validator.validate({ ...resource, metadata: { ...resource.metadata, name: 'Kill_Backend' } }).join('\n'), /metadata.name 'Kill_Backend' is not a DNS-1123 label/);
    assert.match(validator.validate({ ...resource, apiVersion: 'chaos-mesh.org/v1' }).join('\n'), /apiVersion must be chaos-mesh.org\/v1alpha1/);
    assert.match(validator.validate({ ...resource, kind: 'KernelChaos' }).join('\n'), /unknown kind/);
  });

  test("a Workflow's embedded chaos specs and template graph are checked too", () => {
    const [workflow] = exportToChaosMesh(experiment([action('cascading-failure'), action('latency')])).resources;
    assert.deepEqual(validator.validate(workflow), []);
    const broken = clone(workflow);
    const list = broken.spec.templates as Record<string, unknown>[];
    const kill = list.find((t) => t.templateType === 'PodChaos')!;
    (kill.podChaos as Record<string, unknown>).action = 'pod-explode';
    (list.find((t) => t.templateType === 'NetworkChaos')!.networkChaos as Record<string, unknown>).containerName = ['x'];
    (list.find((t) => t.templateType === 'Serial' && t.name === 'method')!.children as string[]).push('nowhere');
    list.find((t) => t.templateType === 'Suspend')!.deadline = 'half a second';
    const problems = validator.validate(broken).join('\n');
    assert.match(problems, /\/spec\/templates\/\d+\/podChaos\/action must be one of pod-kill/);
    assert.match(problems, /networkChaos has an unknown field 'containerName'/);
    assert.match(problems, /template 'method' has a child 'nowhere' that names no template/);
    assert.match(problems, /deadline 'half a second' is not a Go duration/);
    assert.match(validator.validate({ ...workflow, spec: { ...workflow.spec, entry: 'missing' } }).join('\n'), /\/spec\/entry 'missing' names no template/);
  });
});

describe('the experiment Workflow', () => {
  test('orders the method, keeps its pauses, and checks the steady state before, during and after', () => {
    const e = experiment([action('process-kill', { pauseAfterMs: 2000, durationMs: undefined }), action('clock-skew', { pauseBeforeMs: 1500 })]);
    const { resources, warnings } = exportToChaosMesh(e, { name: 'restart-drill', namespace: 'chaos' });
    assert.equal(resources.length, 1);
    const [workflow] = resources;
    assert.deepEqual(validator.validate(workflow), []);
    assert.deepEqual(workflow.metadata, { name: 'restart-drill', namespace: 'chaos', labels: { 'app.kubernetes.io/managed-by': 'chaos-testing' } });
    const byName = templates(workflow);
    const entry = byName.get(String(workflow.spec.entry))!;
    assert.equal(entry.templateType, 'Serial');
    const [beforeCheck, during, afterCheck] = (entry.children as string[]).map((n) => byName.get(n)!);
    assert.deepEqual([beforeCheck.templateType, during.templateType, afterCheck.templateType], ['StatusCheck', 'Parallel', 'StatusCheck']);
    assert.deepEqual(beforeCheck.statusCheck, {
      mode: 'Synchronous', type: 'HTTP', intervalSeconds: 1, timeoutSeconds: 2, successThreshold: 1, failureThreshold: 1,
      http: { url: 'http://127.0.0.1:3000/health', method: 'GET', criteria: { statusCode: '200' } },
    });
    assert.equal(beforeCheck.abortWithStatusCheck, true);
    assert.equal((afterCheck.statusCheck as { successThreshold: number }).successThreshold, 3, 'measure.consecutive');
    const [watch, method] = (during.children as string[]).map((n) => byName.get(n)!);
    assert.equal((watch.statusCheck as { mode: string }).mode, 'Continuous');
    assert.equal(watch.abortWithStatusCheck, false, 'the faults are expected to hurt; the watch records, never aborts');
    const steps = (method.children as string[]).map((n) => `${byName.get(n)!.templateType} ${byName.get(n)!.deadline}`);
    // process-kill holds measure.fault (3s) without its own duration; clock-skew holds its 30s.
    assert.deepEqual(steps, ['PodChaos 3s', 'Suspend 2s', 'Suspend 1500ms', 'TimeChaos 30s']);
    assert.equal(watch.deadline, '36500ms', 'the watch lasts as long as the method');
    assert.ok(warnings.some((w) => /--probe-origin/.test(w)), 'a loopback probe URL is flagged');
  });

  test('cascading-failure is a Serial of pod kills in order with Suspends between', () => {
    const { resources: [workflow] } = exportToChaosMesh(experiment([action('cascading-failure')]), { form: 'resources' });
    assert.deepEqual(validator.validate(workflow), []);
    const byName = templates(workflow);
    const entry = byName.get(String(workflow.spec.entry))!;
    const chain = (entry.children as string[]).map((n) => byName.get(n)!);
    assert.deepEqual(chain.map((t) => t.templateType), ['PodChaos', 'Suspend', 'PodChaos']);
    assert.equal(chain[1].deadline, '500ms');
    const apps = chain.filter((t) => t.podChaos).map((t) => (t.podChaos as { selector: { labelSelectors: { app: string } } }).selector.labelSelectors.app);
    assert.deepEqual(apps, ['db', 'backend']);
  });

  test('a proxy fault goes between each client and the upstream, a partition both ways', () => {
    const { resources } = exportToChaosMesh(experiment([action('network-partition')]), { form: 'resources' });
    assert.deepEqual(validator.validateAll(resources), []);
    // backend and db are clients of redis (data shares backend's pods and is not a client).
    assert.deepEqual(resources.map((r) => (r.spec.selector as { labelSelectors: { app: string } }).labelSelectors.app), ['backend', 'db']);
    for (const r of resources) assert.deepEqual(r.spec.target, { mode: 'all', selector: { namespaces: ['shop'], labelSelectors: { app: 'redis' } } });
    const { resources: [workflow] } = exportToChaosMesh(experiment([action('network-partition')]));
    assert.deepEqual(validator.validate(workflow), []);
    assert.equal([...templates(workflow).values()].filter((t) => t.templateType === 'NetworkChaos').length, 2);
  });

  test('latency on a url target that names its port becomes HTTPChaos', () => {
    const e = experiment([action('latency', { target: 'api', arguments: { latencyMs: 300, jitterMs: 0, stream: 'upstream' } })], (x) => {
      x.targets.api.kubernetes = { namespace: 'shop', labels: { app: 'api' }, port: 3000 };
    });
    const { resources } = exportToChaosMesh(e, { form: 'resources' });
    assert.deepEqual(validator.validateAll(resources), []);
    assert.equal(resources[0].kind, 'HTTPChaos');
    assert.deepEqual([resources[0].spec.target, resources[0].spec.port, resources[0].spec.delay], ['Request', 3000, '300ms']);
  });

  test('container-kill when the target names containers; StressChaos and TimeChaos keep the containers', () => {
    const e = experiment([action('process-kill'), action('clock-skew')], (x) => void (x.targets.backend.kubernetes!.containers = ['backend']));
    const { resources } = exportToChaosMesh(e, { form: 'resources' });
    assert.deepEqual(validator.validateAll(resources), []);
    assert.deepEqual([resources[0].spec.action, resources[0].spec.containerNames], ['container-kill', ['backend']]);
    assert.deepEqual(resources[1].spec.containerNames, ['backend']);
  });
});

describe('bad input is one line naming the fix', () => {
  test('a target without a kubernetes block', () => {
    const e = experiment([action('process-kill')], (x) => void delete x.targets.backend.kubernetes);
    e.file = '/work/exp.yaml';
    assert.throws(() => exportToChaosMesh(e, {}), (err: Error) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.message.split('\n').length, 1);
      assert.match(err.message, /^target 'backend' has no kubernetes block.*add kubernetes: \{namespace: NS, labels: \{app: NAME\}\} to it in \/work\/exp\.yaml$/);
      return true;
    });
  });

  test('labels that would select a whole namespace', () => {
    const e = experiment([action('memory-pressure')], (x) => void (x.targets.backend.kubernetes!.labels = {}));
    assert.throws(() => exportToChaosMesh(e, {}), /kubernetes.labels is empty, which would select every pod in namespace 'shop'/);
  });

  test('an unknown export target, a bad namespace, a bad --probe-origin', () => {
    const e = experiment([action('process-kill')]);
    assert.throws(() => runChaosExport({ experiment: e, to: 'litmus' }), (err: Error) => err instanceof UsageError && /use --to chaos-mesh/.test(err.message));
    assert.throws(() => exportToChaosMesh(e, { namespace: 'Shop_NS' }), /namespace 'Shop_NS' is not a Kubernetes namespace name/);
    assert.throws(() => exportToChaosMesh(e, { probeOrigin: 'api.shop.svc:3000' }), (err: Error) => err instanceof UsageError && /--probe-origin 'api.shop.svc:3000' is not an http\(s\) URL/.test(err.message));
    assert.throws(() => runChaosExport({ experiment: e, to: 'chaos-mesh', validate: true, crdDir: path.join(tmp, 'none') }), /cannot read the Chaos Mesh CRDs/);
  });
});

test('names are DNS-1123 labels, unique, from the title and action names', () => {
  const long = 'Ünïcode & CAPS: a very long action name that goes on and on past sixty-three characters';
  const e = experiment([action('clock-skew', { name: long }), action('clock-skew', { name: long }), action('cpu-throttle', { name: '!!!' })], (x) => {
    x.title = `${long} — the title`;
  });
  for (const form of ['workflow', 'resources'] as const) {
    const { resources } = exportToChaosMesh(e, { form });
    assert.deepEqual(validator.validateAll(resources), []);
    const names = resources.flatMap((r) => [r.metadata.name, ...(r.kind === 'Workflow' ? templates(r).keys() : [])]);
    for (const n of names) assert.ok(isDns1123Label(n), `${n} is a DNS-1123 label`);
    assert.equal(new Set(resources.map((r) => r.metadata.name)).size, resources.length, 'resource names are unique');
  }
  assert.equal(dns1123('The API comes back!'), 'the-api-comes-back');
  assert.equal(dns1123('---'), 'chaos');
  assert.ok(dns1123('a'.repeat(100)).length <= 63);
});

test('durations are Go durations in one unit', () => {
  assert.deepEqual([30_000, 1500, -3_600_000, 90_000, 120_000, 0].map(goDuration), ['30s', '1500ms', '-1h', '90s', '2m', '0ms']);
});

test('runChaosExport prints multi-document YAML (warnings as comments) or writes it with --out', () => {
  const e = experiment(ACTION_KINDS.map((k) => action(k)));
  const text = runChaosExport({ experiment: e, to: 'chaos-mesh', form: 'resources', validate: true, crdDir });
  assert.match(text, /^# warning: /m);
  const docs = YAML.parseAllDocuments(text).map((d) => d.toJS() as KubeResource);
  assert.deepEqual(docs, exportToChaosMesh(e, { form: 'resources' }).resources);
  assert.deepEqual(validator.validateAll(docs), [], 'what is printed is what validates');
  const kinds = new Set(docs.map((d) => d.kind));
  for (const k of ['PodChaos', 'NetworkChaos', 'StressChaos', 'IOChaos', 'TimeChaos', 'Workflow']) assert.ok(kinds.has(k), k);

  const out = path.join(tmp, 'experiment.yaml');
  const summary = runChaosExport({ experiment: e, to: 'chaos-mesh', out, validate: true, crdDir, probeOrigin: 'http://api.shop.svc:3000' });
  assert.match(summary, new RegExp(`^wrote 1 Chaos Mesh resource \\(Workflow\\) to ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, validated against the CRDs$`, 'm'));
  const [written] = YAML.parseAllDocuments(readFileSync(out, 'utf8')).map((d) => d.toJS() as KubeResource);
  assert.deepEqual(validator.validate(written), []);
  assert.match(JSON.stringify(written), /http:\/\/api\.shop\.svc:3000\/health/);
});
