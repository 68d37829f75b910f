/**
 * The editor faces of chaos on the fake editor, against real parts: the Run Experiment task's pseudoterminal over
 * a real child process (a stand-in CLI that traps SIGTERM), diagnostics from injected problems and from a run's
 * failed probes, and the Faults view over a real FaultApi with a real TcpProxy on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { ExperimentProblem, ExperimentResult } from '../../src/core/chaos/types';
import { FaultApi } from '../../src/core/faults/api';
import { callFaultApi } from '../../src/core/faults/client';
import { ChaosFeatures, type ChaosFeaturesOptions } from '../../src/extension/chaos/chaosFeatures';
import { EXPERIMENT_TASK_TYPE } from '../../src/extension/chaos/experimentTask';
import type { FaultNode } from '../../src/extension/chaos/faultsTree';
import { experimentValidator } from '../../src/extension/chaos/validator';
import { closedPort, echoServer, ROOT, tmpDir, waitFor } from '../helpers';
import { sampleResult } from '../helpers/experimentResult';
import { fakeVscode, type FakeVscode } from '../helpers/fakeVscode';

const FAKE_CLI = { file: path.join(ROOT, 'test', 'fixtures', 'fake-chaos-cli.js'), execArgv: [] };
const EXPERIMENT = `version: 1.0.0
title: quick check
targets:
  {api: {url: http://127.0.0.1:9}, cache: {proxy: {listen: 127.0.0.1:0, upstream: 127.0.0.1:9}}}
steady-state-hypothesis:
  title: it answers
  probes:
    - type: probe
      name: health
      provider: {type: http, url: api/health}
      tolerance: 200
    - type: probe
      name: orders
      provider: {type: http, url: api/orders}
      tolerance: 200
method:
  - {type: action, name: slow the cache, provider: {type: latency, target: cache, arguments: {latency: 100ms}}}
`;

function features(t: TestContext, fake: FakeVscode, options: Partial<ChaosFeaturesOptions> = {}): { chaos: ChaosFeatures; shown: Array<{ result: ExperimentResult; file?: string }> } {
  const shown: Array<{ result: ExperimentResult; file?: string }> = [];
  const chaos = new ChaosFeatures(fake.api, { showResults: (result, file) => shown.push({ result, file }), validate: experimentValidator, cli: FAKE_CLI, pollMs: 100, rollbackGraceMs: 10_000, ...options }, (id, run) =>
    fake.api.commands.registerCommand(id, run as (...args: unknown[]) => unknown),
  );
  t.after(() => chaos.dispose());
  return { chaos, shown };
}

function workspace(t: TestContext, files: Record<string, string>): string {
  const folder = tmpDir(t);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
    fs.writeFileSync(path.join(folder, name), text);
  }
  return folder;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('the task provider offers one Run Experiment task per .chaos/experiments/*.yaml|yml, none when untrusted', async (t) => {
  const folder = workspace(t, { '.chaos/experiments/a.yaml': EXPERIMENT, '.chaos/experiments/b.yml': EXPERIMENT, '.chaos/experiments/notes.json': '{}', 'other/c.yaml': EXPERIMENT });
  const fake = fakeVscode({ folder });
  features(t, fake);
  const provider = fake.taskProviders.get(EXPERIMENT_TASK_TYPE)!;
  const tasks = (await provider.provideTasks(undefined as never))!;
  assert.deepEqual(tasks.map((x) => [x.name, x.definition]), [
    ['Run experiment a.yaml', { type: EXPERIMENT_TASK_TYPE, file: path.join('.chaos', 'experiments', 'a.yaml') }],
    ['Run experiment b.yml', { type: EXPERIMENT_TASK_TYPE, file: path.join('.chaos', 'experiments', 'b.yml') }],
  ]);
  // A tasks.json entry of this type is resolved with its definition unchanged.
  const fromJson = { definition: { type: EXPERIMENT_TASK_TYPE, file: 'other/c.yaml' }, scope: fake.api.workspace.workspaceFolders![0] };
  const resolved = provider.resolveTask(fromJson as never, undefined as never) as { definition: unknown; name: string };
  assert.equal(resolved.definition, fromJson.definition);
  assert.equal(resolved.name, 'Run experiment c.yaml');

  fake.trusted = false;
  assert.deepEqual(await provider.provideTasks(undefined as never), []);
  assert.equal(provider.resolveTask(fromJson as never, undefined as never), undefined);
  await fake.run('chaosTesting.runExperiment', fake.api.Uri.file(path.join(folder, '.chaos/experiments/a.yaml')));
  assert.equal(fake.terminals.length, 0);
  assert.match((await fake.waitForMessage(/Restricted Mode/)).message, /cannot run an experiment/);
});

test('Cancel on the progress notification sends SIGTERM; the CLI rolls back, and the run ends as aborted', { timeout: 30_000 }, async (t) => {
  const folder = workspace(t, { '.chaos/experiments/slow.yaml': EXPERIMENT });
  const fake = fakeVscode({ folder });
  const { shown } = features(t, fake);
  const file = path.join(folder, '.chaos', 'experiments', 'slow.yaml');
  // From the palette: no file given, none active → picked from the workspace's experiments.
  fake.answers.pick.push({ label: 'slow.yaml', file });
  await fake.run('chaosTesting.runExperiment');
  const terminal = fake.terminals[0];
  assert.equal(terminal.name, 'Run experiment slow.yaml');
  await waitFor(() => terminal.output().includes('fault: latency on redis'), 10_000, 'progress lines in the terminal');
  const progress = fake.progress[0];
  assert.equal(progress.cancellable, true);
  assert.match(progress.title, /running slow\.yaml/);
  assert.ok(progress.messages.includes('fault: latency on redis'), 'progress lines reach the notification');
  assert.equal(fs.existsSync(path.join(folder, 'rolled-back.txt')), false);

  progress.cancel();
  await waitFor(() => terminal.exitCode !== undefined, 10_000, 'the task to end');
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(folder, 'cli-args.json'), 'utf8')), ['chaos', 'run', file, '--json']);
  const childPid = Number(fs.readFileSync(path.join(folder, 'rolled-back.txt'), 'utf8'));
  assert.ok(childPid > 0, 'the CLI ran its SIGTERM handler (rollbacks) before exiting');
  assert.equal(alive(childPid), false);
  assert.equal(terminal.exitCode, 130);
  assert.match(terminal.output(), /SIGTERM: rolling back latency on redis\r\n/);
  assert.match(terminal.output(), /slow\.yaml: aborted; hypothesis held/);
  assert.equal(progress.done, true);
  assert.equal(shown.length, 1);
  assert.equal(shown[0].result.status, 'aborted');
  assert.match((await fake.waitForMessage(/aborted; rollbacks ran/)).message, /slow\.yaml/);
});

test('closing the terminal (or Terminate Task) also sends SIGTERM and waits for the rollbacks', { timeout: 30_000 }, async (t) => {
  const folder = workspace(t, { '.chaos/experiments/slow.yaml': EXPERIMENT });
  const fake = fakeVscode({ folder });
  features(t, fake);
  await fake.run('chaosTesting.runExperiment', fake.api.Uri.file(path.join(folder, '.chaos/experiments/slow.yaml')));
  const terminal = fake.terminals[0];
  await waitFor(() => terminal.output().includes('fault:'), 10_000, 'the run to start');
  terminal.pty.close();
  await waitFor(() => terminal.exitCode !== undefined, 10_000, 'the task to end');
  assert.ok(fs.existsSync(path.join(folder, 'rolled-back.txt')));
  assert.match(terminal.output(), /rolling back/);
});

test('a finished run opens its result, says its status, and marks each failed hypothesis probe on its line', { timeout: 30_000 }, async (t) => {
  const folder = workspace(t, { '.chaos/experiments/quick.yaml': EXPERIMENT });
  const fake = fakeVscode({ folder });
  const { chaos, shown } = features(t, fake);
  const file = path.join(folder, '.chaos', 'experiments', 'quick.yaml');
  fake.documents$.open(file);
  fake.activeFile = file;
  await fake.run('chaosTesting.runExperiment');
  const terminal = fake.terminals[0];
  await waitFor(() => terminal.exitCode !== undefined, 10_000, 'the run to end');
  assert.equal(terminal.exitCode, 1);
  assert.equal(shown[0].file, file);
  assert.match((await fake.waitForMessage(/hypothesis failed after the method/)).message, /quick\.yaml/);
  const list = fake.diagnostics.get('chaos-experiments')!.get(file)!;
  assert.equal(list.length, 1);
  const d = list[0];
  // `name: orders` is on line 13 (0-based 12), its value from column 13 (0-based 12).
  assert.equal(EXPERIMENT.split('\n')[12], '      name: orders');
  assert.deepEqual([d.range.start.line, d.range.start.character, d.range.end.line], [12, 12, 12]);
  assert.match(d.message, /probe 'orders' failed after the method \(status 503, 4 ms\): status 503 not in \[200\]/);
  // An edit moves lines: the run's marks go, the parser's stay.
  fake.documents$.change(fake.documents$.list[0], EXPERIMENT + '\n');
  assert.deepEqual(fake.diagnostics.get('chaos-experiments')!.get(file), []);
  chaos.dispose();
});

test('diagnostics: parser problems at their line and column or at the node of their YAML path; debounced on change', { timeout: 20_000 }, async (t) => {
  const folder = workspace(t, { '.chaos/experiments/x.yaml': EXPERIMENT, 'plain.yaml': 'a: 1\n', 'elsewhere/exp.yaml': EXPERIMENT });
  const fake = fakeVscode({ folder });
  const calls: string[] = [];
  const validate = (text: string, file: string): ExperimentProblem[] => {
    calls.push(file);
    return [
      { message: 'tolerance must be a status, a list of statuses or an object', path: ['steady-state-hypothesis', 'probes', 0, 'tolerance'], line: 11, column: 7 },
      { message: "target 'api' is not a process target", path: ['steady-state-hypothesis', 'probes', 1, 'provider'] },
      ...(text.includes('extra') ? [{ message: 'unknown key extra', path: ['extra'] }] : []),
    ];
  };
  const { chaos } = features(t, fake, { validate });
  const file = path.join(folder, '.chaos', 'experiments', 'x.yaml');
  const doc = fake.documents$.open(file);
  fake.documents$.open(path.join(folder, 'plain.yaml'));
  fake.documents$.open(path.join(folder, 'elsewhere', 'exp.yaml'));
  assert.deepEqual(calls.map((f) => path.relative(folder, f)), [path.join('.chaos', 'experiments', 'x.yaml'), path.join('elsewhere', 'exp.yaml')], 'a YAML with steady-state-hypothesis counts; plain YAML does not');
  const list = fake.diagnostics.get('chaos-experiments')!.get(file)!;
  assert.equal(list.length, 2);
  assert.deepEqual([list[0].range.start.line, list[0].range.start.character, list[0].range.end.character], [10, 6, 16], 'line 11, column 7, to the end of the word');
  assert.match(list[0].message, /^tolerance must be .* \(steady-state-hypothesis\.probes\.0\.tolerance\)$/);
  assert.equal(EXPERIMENT.split('\n')[13], '      provider: {type: http, url: api/orders}');
  assert.deepEqual([list[1].range.start.line, list[1].range.start.character], [13, 16], 'the node at the YAML path: the second probe\'s provider map');
  assert.equal(list[1].source, 'chaos validate');

  fake.documents$.change(doc, EXPERIMENT + 'extra: 1\n');
  fake.documents$.change(doc, EXPERIMENT + 'extra: 2\n');
  assert.equal(calls.length, 2, 'not re-checked at once');
  await waitFor(() => calls.length === 3, 5_000, 'one debounced check after the edits');
  const after = fake.diagnostics.get('chaos-experiments')!.get(file)!;
  assert.equal(after.length, 3);
  assert.equal(after[2].range.start.line, EXPERIMENT.split('\n').length - 1, 'extra: on its own line');
  chaos.dispose();
});

test('the default validator puts a YAML syntax error on its line', (t) => {
  const folder = workspace(t, { '.chaos/experiments/broken.yaml': 'title: x\nsteady-state-hypothesis:\n  probes: [a, b\nmethod: []\n' });
  const fake = fakeVscode({ folder });
  features(t, fake);
  const file = path.join(folder, '.chaos', 'experiments', 'broken.yaml');
  fake.documents$.open(file);
  const list = fake.diagnostics.get('chaos-experiments')!.get(file)!;
  assert.ok(list.length >= 1);
  assert.ok(list[0].range.start.line >= 2, `the error is at or after the unclosed flow sequence (line ${list[0].range.start.line + 1})`);
});

async function faultApi(t: TestContext): Promise<{ api: FaultApi; address: string }> {
  const api = new FaultApi();
  const { port } = await api.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => api.close());
  return { api, address: `127.0.0.1:${port}` };
}

test('the Faults view lists a real API\'s proxies and toxics; remove and down/up act on the API', { timeout: 20_000 }, async (t) => {
  const { address } = await faultApi(t);
  const upstream = await echoServer(t);
  await callFaultApi(address, 'POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` });
  await callFaultApi(address, 'POST', '/proxies/redis/toxics', { name: 'slow', type: 'latency', attributes: { latency: 200, jitter: 50 } });
  await callFaultApi(address, 'POST', '/proxies/redis/toxics', { name: 'cut', type: 'reset_peer', stream: 'upstream', toxicity: 0.3 });
  const fake = fakeVscode({ settings: { 'chaosTesting.faults.api': address } });
  const { chaos } = features(t, fake);
  const tree = chaos.faultsTree;

  const roots = await tree.getChildren();
  assert.equal(roots.length, 1);
  const proxyItem = tree.getTreeItem(roots[0]);
  assert.equal(proxyItem.label, 'redis');
  assert.match(String(proxyItem.description), new RegExp(`^127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${upstream} · 2 toxics$`));
  assert.equal(proxyItem.contextValue, 'proxy-up');
  const toxics = await tree.getChildren(roots[0]);
  assert.deepEqual(toxics.map((n) => [tree.getTreeItem(n).label, tree.getTreeItem(n).description, tree.getTreeItem(n).contextValue]), [
    ['slow', 'latency · downstream · 100% · latency=200 ms · jitter=50 ms', 'toxic'],
    ['cut', 'reset_peer · upstream · 30%', 'toxic'],
  ]);
  assert.equal(fake.contextKeys.get('chaosTesting.faultsState'), 'ok');

  // Change Toxic…: prefilled with what it has; a bad value is refused as typed; what is left out stays.
  fake.answers.input.push('latency=500 toxicity=0.5');
  await fake.run('chaosTesting.faults.changeToxic', toxics[0]);
  assert.equal(fake.inputBoxes.at(-1)?.value, 'latency=200 jitter=50 toxicity=1');
  const validate = fake.inputValidations.at(-1)!;
  assert.equal(validate('latency=-1'), "toxic 'slow': latency must be a number of milliseconds ≥ 0");
  assert.equal(validate('rate=5'), "toxic 'slow': latency has no attribute 'rate'; it takes: latency, jitter");
  assert.equal(validate('toxicity='), "toxic 'slow': toxicity must be a number from 0 to 1");
  assert.equal(validate('jitter=0'), undefined);
  const changed = ((await callFaultApi(address, 'GET', '/proxies/redis/toxics/slow')) as { attributes: unknown; toxicity: number });
  assert.deepEqual([changed.attributes, changed.toxicity], [{ latency: 500, jitter: 50 }, 0.5]);
  assert.match(String(tree.getTreeItem((await tree.getChildren((await tree.getChildren())[0]))[0]).description), /50% · latency=500 ms · jitter=50 ms/);
  fake.answers.input.push(undefined); // dismissed: nothing changes
  await fake.run('chaosTesting.faults.changeToxic', toxics[0]);
  assert.equal(((await callFaultApi(address, 'GET', '/proxies/redis/toxics/slow')) as { toxicity: number }).toxicity, 0.5);

  let fired = 0;
  tree.onDidChangeTreeData(() => fired++);
  await fake.run('chaosTesting.faults.removeToxic', toxics[0]);
  const proxies = (await callFaultApi(address, 'GET', '/proxies')) as Record<string, { toxics: Array<{ name: string }>; enabled: boolean }>;
  assert.deepEqual(proxies.redis.toxics.map((x) => x.name), ['cut'], 'the toxic is gone from the API');
  assert.ok(fired >= 1, 'the view redraws');
  assert.deepEqual((await tree.getChildren((await tree.getChildren())[0])).map((n) => (n as Extract<FaultNode, { kind: 'toxic' }>).toxic.name), ['cut']);

  await fake.run('chaosTesting.faults.proxyDown', (await tree.getChildren())[0]);
  assert.equal(((await callFaultApi(address, 'GET', '/proxies/redis')) as { enabled: boolean }).enabled, false);
  const down = (await tree.getChildren())[0];
  assert.equal(tree.getTreeItem(down).contextValue, 'proxy-down');
  assert.match(String(tree.getTreeItem(down).description), / · down/);
  await fake.run('chaosTesting.faults.proxyUp', down);
  assert.equal(((await callFaultApi(address, 'GET', '/proxies/redis')) as { enabled: boolean }).enabled, true);
});

test('the Faults view polls only while visible, never when untrusted, and says when no API answers', { timeout: 20_000 }, async (t) => {
  const { address } = await faultApi(t);
  const upstream = await echoServer(t);
  await callFaultApi(address, 'POST', '/proxies', { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` });
  const calls: string[] = [];
  const callApi = (api: string, method: string, p: string, body?: unknown): Promise<unknown> => {
    calls.push(`${method} ${p}`);
    return callFaultApi(api, method, p, body);
  };
  const fake = fakeVscode({ settings: { 'chaosTesting.faults.api': address } });
  const { chaos } = features(t, fake, { callApi });
  const view = fake.treeViews.get('chaosTesting.faults')!;
  assert.equal(chaos.faults.polling, false, 'hidden at start: no polling');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(calls.length, 0);

  view.setVisible(true);
  assert.equal(chaos.faults.polling, true);
  await callFaultApi(address, 'POST', '/proxies/db/toxics', { name: 'lag', type: 'latency', attributes: { latency: 10 } });
  await waitFor(async () => (await chaos.faultsTree.getChildren((await chaos.faultsTree.getChildren())[0] ?? undefined)).length === 1, 5_000, 'a toxic added elsewhere to show up by polling');
  view.setVisible(false);
  assert.equal(chaos.faults.polling, false);
  const seen = calls.length;
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(calls.length, seen, 'no calls while hidden');

  // Untrusted: the view stays empty, and the API is never called, even when visible.
  const untrusted = fakeVscode({ settings: { 'chaosTesting.faults.api': address }, trusted: false });
  const calls2: string[] = [];
  const u = features(t, untrusted, { callApi: async (...a) => (calls2.push(a[2]), callFaultApi(...a)) }).chaos;
  untrusted.treeViews.get('chaosTesting.faults')!.setVisible(true);
  assert.equal(u.faults.polling, false);
  assert.deepEqual(await u.faultsTree.getChildren(), []);
  assert.equal(untrusted.contextKeys.get('chaosTesting.faultsState'), 'untrusted');
  await assert.rejects(() => u.faults.removeToxic('db', 'lag'), /Restricted Mode/);
  assert.deepEqual(calls2, []);
  // Trust granted: polling starts (the view is visible).
  untrusted.grantTrust();
  assert.equal(u.faults.polling, true);

  const none = fakeVscode({ settings: { 'chaosTesting.faults.api': `127.0.0.1:${await closedPort()}` } });
  const n = features(t, none).chaos;
  assert.deepEqual(await n.faultsTree.getChildren(), []);
  assert.equal(n.faults.state?.kind, 'unreachable');
  assert.equal(none.contextKeys.get('chaosTesting.faultsState'), 'unreachable');
});

test('Show Experiment Results lists .chaos/results/*.json newest first; a file that is not a result is a one-line error', async (t) => {
  const folder = workspace(t, { '.chaos/results/old.json': JSON.stringify(sampleResult({ title: 'old' })), '.chaos/results/new.json': JSON.stringify(sampleResult({ title: 'new' })), '.chaos/results/junk.json': '{"a": 1}' });
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(folder, '.chaos/results/old.json'), past, past);
  fs.utimesSync(path.join(folder, '.chaos/results/junk.json'), past, past);
  const fake = fakeVscode({ folder });
  let offered: string[] = [];
  fake.api.window.showQuickPick = (async (items: Array<{ label: string; file: string }>) => {
    offered = items.map((i) => i.label);
    return items[0];
  }) as never;
  const { chaos, shown } = features(t, fake);
  await fake.run('chaosTesting.showExperimentResults');
  assert.equal(offered[0], 'new.json');
  assert.deepEqual([...offered].sort(), ['junk.json', 'new.json', 'old.json']);
  assert.equal(shown[0].result.title, 'new');
  await assert.rejects(() => chaos.showResultsFile(fake.api.Uri.file(path.join(folder, '.chaos/results/junk.json'))), /^Error: junk\.json is not an experiment result \(written by chaos-testing chaos run\)$/);
});
