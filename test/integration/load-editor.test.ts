/**
 * The editor faces of load testing on the fake editor, against real parts: Run Load Test's task runs a real child
 * process (a stand-in for `chaos-testing load --events` that sends real requests to a server this test starts on
 * 127.0.0.1), its ticks reach the panel, the terminal and the progress notification, Cancel sends SIGINT and the
 * partial result is shown; a remote target is confirmed first, an untrusted workspace runs nothing, and Compare
 * Load Runs reads a real traffic database's runs through the real engine child.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { EngineClient } from '../../src/core/engine/engineClient';
import type { LoadResult, LoadTick } from '../../src/core/load/types';
import { TrafficDb } from '../../src/core/store/database';
import { ChaosExtension } from '../../src/extension/chaosExtension';
import { LoadFeatures, type LoadFeaturesOptions } from '../../src/extension/load/loadFeatures';
import { LOAD_TASK_TYPE } from '../../src/extension/load/loadTask';
import type { LabeledLoadResult, LoadRunInfo, LoadView } from '../../src/extension/load/types';
import { CLI, listen, ROOT, tmpDir, waitFor } from '../helpers';
import { fakeVscode, type FakeVscode } from '../helpers/fakeVscode';
import { sampleLoadResult } from '../helpers/loadResult';

const FAKE_CLI = { file: path.join(ROOT, 'test', 'fixtures', 'fake-load-cli.js'), execArgv: [] };

/** What the panels were told, in order. */
class RecordedView implements LoadView {
  runs: LoadRunInfo[] = [];
  ticks: LoadTick[] = [];
  results: Array<{ result: LoadResult; source?: string }> = [];
  compared: Array<[LabeledLoadResult, LabeledLoadResult]> = [];
  start(run: LoadRunInfo): void {
    this.runs.push(run);
    this.ticks = [];
  }
  tick(tick: LoadTick): void {
    this.ticks.push(tick);
  }
  result(result: LoadResult, source?: string): void {
    this.results.push({ result, source });
  }
  compare(a: LabeledLoadResult, b: LabeledLoadResult): void {
    this.compared.push([a, b]);
  }
}

function features(t: TestContext, fake: FakeVscode, o: Partial<LoadFeaturesOptions> = {}): { load: LoadFeatures; view: RecordedView } {
  const view = new RecordedView();
  const load = new LoadFeatures(fake.api, { view, database: () => undefined, storedRuns: async () => [], state: fake.context.workspaceState as never, cli: FAKE_CLI, graceMs: 10_000, ...o }, (id, run) =>
    fake.api.commands.registerCommand(id, run as (...args: unknown[]) => unknown),
  );
  t.after(() => load.dispose());
  return { load, view };
}

/** A real HTTP server on 127.0.0.1 that answers `status` and counts the requests it got. */
async function target(t: TestContext, status = 200): Promise<{ url: string; hits(): number }> {
  let hits = 0;
  const server = await listen(t, http.createServer((_req, res) => {
    hits++;
    res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
  }));
  return { url: `${server.url}/`, hits: () => hits };
}

function workspace(t: TestContext, files: Record<string, string> = {}): string {
  const folder = tmpDir(t);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
    fs.writeFileSync(path.join(folder, name), text);
  }
  return folder;
}

const args = (folder: string): string[] => JSON.parse(fs.readFileSync(path.join(folder, 'load-cli-args.json'), 'utf8')) as string[];

test('a quick run: its questions become the CLI flags; ticks reach the panel, the terminal and the progress; the result is shown', { timeout: 30_000 }, async (t) => {
  const folder = workspace(t);
  const server = await target(t);
  const fake = fakeVscode({ folder });
  const { view } = features(t, fake);
  // No spec in .chaos/load/: straight to the quick run's questions.
  fake.answers.input.push(server.url, '3s', '10..40');
  fake.answers.pick.push({ profile: 'ramp-up' }, { slo: 'p99<10000ms,errors<1%' });
  await fake.run('chaosTesting.runLoadTest');
  const terminal = fake.terminals[0];
  assert.equal(terminal.name, `Load test ${server.url} (ramp-up)`);
  assert.deepEqual(terminal.definition, { type: LOAD_TASK_TYPE, target: server.url, profile: 'ramp-up', duration: '3s', level: '10..40', slo: 'p99<10000ms,errors<1%' });
  await waitFor(() => terminal.exitCode !== undefined, 20_000, 'the run to end');

  assert.deepEqual(args(folder), ['load', '--target', server.url, '--profile', 'ramp-up', '--duration', '3s', '--connections', '40', '--from', '10', '--to', '40', '--slo', 'p99<10000ms,errors<1%', '--events']);
  assert.equal(terminal.exitCode, 0);
  assert.deepEqual(view.runs.at(-1), { name: `load ${server.url}`, target: server.url, durationMs: 3000 }, 'the run as the CLI planned it (its start event)');
  assert.deepEqual(view.ticks.map((x) => x.second), [1, 2, 3], 'every tick reached the panel, in order');
  assert.equal(server.hits(), 15, 'the stand-in CLI sent its 5 requests a tick to the real server');
  const progress = fake.progress[0];
  assert.equal(progress.cancellable, true);
  assert.match(progress.title, /^Chaos Testing: load http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.match(progress.messages[0], /^1 s \/ 3 s \(33 %\) · \d+ req\/s · p99 [\d.]+ (µs|ms) · 0 errors$/);
  assert.match(progress.messages[2], /^3 s \/ 3 s \(100 %\)/);
  assert.equal(progress.done, true);
  assert.match(terminal.output(), /\r\n2 s \/ 3 s \(67 %\) · \d+ req\/s/);
  assert.match(terminal.output(), /SLOs met; \d+ req\/s, p99 .*, 0 errors of 15 requests\./);
  assert.equal(view.results.length, 1);
  assert.equal(view.results[0].result.passed, true);
  assert.equal(view.results[0].result.timeline.length, 3);
  assert.match((await fake.waitForMessage(/SLOs met/)).message, /^Chaos Testing: load http:.*: SLOs met; \d+ req\/s/);

  // The answers are remembered for the next quick run.
  fake.answers.input.push(undefined);
  await fake.run('chaosTesting.runLoadTest');
  assert.equal(fake.inputBoxes.at(-1)!.value, server.url);
});

test('Cancel on the progress notification sends SIGINT; the partial result is shown and the task fails', { timeout: 30_000 }, async (t) => {
  const server = await target(t);
  const folder = workspace(t, { '.chaos/load/long.yaml': `name: long soak\ntarget: ${server.url}\nprofile: soak\nduration: 10m\nconnections: 5\n` });
  const fake = fakeVscode({ folder });
  const { view } = features(t, fake);
  const spec = path.join(folder, '.chaos', 'load', 'long.yaml');
  fake.answers.pick.push({ label: 'long.yaml', file: spec });
  await fake.run('chaosTesting.runLoadTest');
  const terminal = fake.terminals[0];
  assert.equal(terminal.name, 'Load test long.yaml');
  await waitFor(() => view.ticks.length >= 2, 15_000, 'two ticks');
  const progress = fake.progress[0];
  assert.match(progress.messages[0], /^1 s \/ 600 s \(0 %\)/, 'the duration comes from the spec file');
  assert.equal(fs.existsSync(path.join(folder, 'sigint.txt')), false);

  progress.cancel();
  await waitFor(() => terminal.exitCode !== undefined, 15_000, 'the task to end');
  assert.deepEqual(args(folder), ['load', '--spec', spec, '--events']);
  assert.match(fs.readFileSync(path.join(folder, 'sigint.txt'), 'utf8'), /^SIGINT \d+$/, 'the CLI got SIGINT, not SIGTERM or SIGKILL');
  assert.equal(terminal.exitCode, 1);
  assert.match(terminal.output(), /Cancelled: stopping the load…/);
  const shown = view.results[0].result;
  assert.equal(shown.stopped, 'cancelled');
  assert.ok(shown.timeline.length >= 2 && shown.timeline.length < 600, `partial timeline of ${shown.timeline.length} s`);
  assert.equal(view.runs[0].name, 'long soak');
  assert.match((await fake.waitForMessage(/partial result/)).message, /^Chaos Testing: load test long soak cancelled after \d+ s: the partial result is shown/);
  assert.equal(fake.shown.find((s) => /partial result/.test(s.message))!.level, 'warning');
});

test('an SLO that breaks: the error notification says which clause and where it first broke', { timeout: 30_000 }, async (t) => {
  const folder = workspace(t);
  const server = await target(t, 503);
  const fake = fakeVscode({ folder });
  const { view } = features(t, fake);
  fake.answers.input.push(server.url, '2s', '200/s');
  fake.answers.pick.push({ profile: 'constant' }, { slo: 'errors<1%' });
  await fake.run('chaosTesting.runLoadTest');
  const terminal = fake.terminals[0];
  await waitFor(() => terminal.exitCode !== undefined, 20_000, 'the run to end');
  assert.ok(args(folder).includes('--rate') && args(folder)[args(folder).indexOf('--rate') + 1] === '200');
  assert.equal(terminal.exitCode, 1);
  const r = view.results[0].result;
  assert.equal(r.passed, false);
  assert.deepEqual(r.totals.errorsByKind, { '5xx': 10 });
  const m = await fake.waitForMessage(/SLO failed/);
  assert.equal(m.level, 'error');
  assert.match(m.message, /SLO failed: errors<1% \(first broke at 1–1 s\); 0 req\/s, p99 0 µs, 10 errors\.$/);
});

test('a remote target is confirmed in a modal first; only then is --allow-remote passed', { timeout: 30_000 }, async (t) => {
  const remote = 'http://192.0.2.10:8080/'; // TEST-NET-1: the stand-in CLI never sends to a non-loopback host
  const folder = workspace(t, { '.chaos/load/remote.yaml': `name: remote\ntarget: ${remote}\nduration: 2s\n` });
  const fake = fakeVscode({ folder });
  const { view } = features(t, fake);

  // Declined: nothing runs.
  fake.answers.pick.push({ label: '$(edit) Quick run…' }, { profile: 'constant' }, { slo: '' });
  fake.answers.input.push(remote, '2s', '10');
  fake.answers.button.push(undefined);
  await fake.run('chaosTesting.runLoadTest');
  const asked = fake.shown.find((s) => /^Send load to 192\.0\.2\.10:8080\?$/.test(s.message));
  assert.ok(asked, 'a confirmation was asked');
  assert.deepEqual(asked.items, ['Send Load']);
  assert.equal(fake.terminals.length, 0);
  assert.equal(fs.existsSync(path.join(folder, 'load-cli-args.json')), false);

  // Confirmed (a spec whose target is remote): the run gets --allow-remote.
  fake.answers.button.push('Send Load');
  await fake.run('chaosTesting.runLoadTest', fake.api.Uri.file(path.join(folder, '.chaos/load/remote.yaml')));
  await waitFor(() => fake.terminals[0]?.exitCode !== undefined, 20_000, 'the run to end');
  assert.deepEqual(args(folder), ['load', '--spec', path.join(folder, '.chaos/load/remote.yaml'), '--allow-remote', '--events']);
  assert.equal(view.results[0].result.spec.allowRemote, true);
  fs.rmSync(path.join(folder, 'load-cli-args.json'));

  // A tasks.json entry (Run Task) is asked too, when its terminal opens; declined, the CLI never starts.
  const provider = fake.taskProviders.get(LOAD_TASK_TYPE)!;
  const fromJson = { definition: { type: LOAD_TASK_TYPE, target: remote, duration: '2s' }, scope: fake.api.workspace.workspaceFolders![0] };
  const task = provider.resolveTask(fromJson as never, undefined as never) as { definition: unknown; name: string };
  assert.equal(task.definition, fromJson.definition);
  fake.answers.button.push(undefined);
  await fake.api.tasks.executeTask(task as never);
  const terminal = fake.terminals[1];
  await waitFor(() => terminal.exitCode !== undefined, 10_000, 'the task to end');
  assert.equal(terminal.exitCode, 1);
  assert.match(terminal.output(), /Not started: http:\/\/192\.0\.2\.10:8080\/ is not on this machine/);
  assert.equal(fs.existsSync(path.join(folder, 'load-cli-args.json')), false);
  assert.equal(fake.shown.filter((s) => /^Send load to/.test(s.message)).length, 3);

  // A tasks.json level the CLI would refuse: the terminal says so in one line.
  const bad = provider.resolveTask({ definition: { type: LOAD_TASK_TYPE, target: 'http://127.0.0.1:9/', level: 'lots' }, scope: fromJson.scope } as never, undefined as never);
  await fake.api.tasks.executeTask(bad as never);
  await waitFor(() => fake.terminals[2]?.exitCode !== undefined, 10_000, 'the refused task to end');
  assert.equal(fake.terminals[2].exitCode, 2);
  assert.match(fake.terminals[2].output(), /^Not started: load level 'lots': Enter connections \(10\), a rate \(200\/s\), or a range/);
});

test('Restricted Mode: Run Load Test refuses with a notification, and no task is offered or resolved', async (t) => {
  const folder = workspace(t, { '.chaos/load/a.yaml': 'target: http://127.0.0.1:9/\n', '.chaos/load/b.yml': 'target: http://127.0.0.1:9/\n' });
  const fake = fakeVscode({ folder, trusted: false });
  features(t, fake);
  await fake.run('chaosTesting.runLoadTest');
  await fake.run('chaosTesting.runLoadTest', fake.api.Uri.file(path.join(folder, '.chaos/load/a.yaml')));
  assert.equal(fake.terminals.length, 0);
  const refusals = fake.shown.filter((s) => /Restricted Mode/.test(s.message));
  assert.equal(refusals.length, 2);
  assert.equal(refusals[0].level, 'warning');
  assert.match(refusals[0].message, /cannot run a load test in Restricted Mode: a load test sends traffic/);
  const provider = fake.taskProviders.get(LOAD_TASK_TYPE)!;
  assert.deepEqual(await provider.provideTasks(undefined as never), []);
  const fromJson = { definition: { type: LOAD_TASK_TYPE, spec: '.chaos/load/a.yaml' }, scope: fake.api.workspace.workspaceFolders![0] };
  assert.equal(provider.resolveTask(fromJson as never, undefined as never), undefined);

  fake.grantTrust();
  const tasks = (await provider.provideTasks(undefined as never))!;
  assert.deepEqual(tasks.map((x) => [x.name, x.definition]), [
    ['Load test a.yaml', { type: LOAD_TASK_TYPE, spec: path.join('.chaos', 'load', 'a.yaml') }],
    ['Load test b.yml', { type: LOAD_TASK_TYPE, spec: path.join('.chaos', 'load', 'b.yml') }],
  ]);
});

test('the extension registers every command package.json contributes; Compare Load Runs reads the runs table through the engine and load-*.json files', { timeout: 30_000 }, async (t) => {
  const folder = workspace(t);
  const db = path.join(folder, '.chaos', 'traffic.db');
  fs.mkdirSync(path.dirname(db), { recursive: true });
  const older = sampleLoadResult({ spec: { ...sampleLoadResult().spec, name: 'before the fix' }, startedAt: 1_000, finishedAt: 6_000, rps: 250 });
  const newer = sampleLoadResult({ spec: { ...sampleLoadResult().spec, name: 'after the fix' }, startedAt: 10_000, finishedAt: 15_000, rps: 400 });
  const store = await TrafficDb.open(db, { create: true });
  store.addRun({ kind: 'load', spec: older.spec, result: older, startedAt: older.startedAt, finishedAt: older.finishedAt });
  store.addRun({ kind: 'chaos', spec: {}, result: { status: 'completed' }, startedAt: 2_000, finishedAt: 3_000 });
  store.addRun({ kind: 'load', spec: newer.spec, result: newer, startedAt: newer.startedAt, finishedAt: newer.finishedAt });
  store.save();
  store.close();
  const fileRun = sampleLoadResult({ spec: { ...sampleLoadResult().spec, name: 'from a file' }, startedAt: 20_000, finishedAt: 25_000 });
  fs.mkdirSync(path.join(folder, '.chaos', 'results'), { recursive: true });
  fs.writeFileSync(path.join(folder, '.chaos', 'results', 'load-20261129T210000.json'), JSON.stringify(fileRun));
  // The same run as the database's newest: listed once.
  fs.writeFileSync(path.join(folder, '.chaos', 'results', 'load-20261129T200000.json'), JSON.stringify(newer));
  fs.writeFileSync(path.join(folder, '.chaos', 'results', 'load-junk.json'), '{"kind":"chaos"}');

  const fake = fakeVscode({ folder });
  const registered = new Set<string>();
  const register = fake.api.commands.registerCommand;
  fake.api.commands.registerCommand = ((id: string, fn: (...a: unknown[]) => unknown) => (registered.add(id), register(id, fn))) as never;
  const view = new RecordedView();
  const ext = new ChaosExtension(fake.api, fake.context as never, { showExchange: () => undefined, showBrowser: () => undefined, load: view }, new EngineClient({ entry: path.join(ROOT, 'dist', 'engine.js') }));
  t.after(async () => {
    const engine = ext.engine;
    ext.dispose();
    await engine.dispose();
  });
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { commands: Array<{ command: string; category?: string }> } };
  const ids = pkg.contributes.commands.map((c) => c.command);
  assert.ok(ids.includes('chaosTesting.runLoadTest') && ids.includes('chaosTesting.compareLoadRuns'));
  for (const c of pkg.contributes.commands) assert.equal(c.category, 'Chaos Testing', `${c.command} has the category`);
  assert.deepEqual(ids.filter((id) => !registered.has(id)), [], 'every contributed command is registered');

  let offered: Array<{ label: string }> = [];
  let offeredB: Array<{ label: string }> = [];
  fake.api.window.showQuickPick = (async (items: Array<{ label: string }>) => {
    if (!offered.length) {
      offered = items;
      return items.find((i) => i.label.includes('before the fix'));
    }
    offeredB = items;
    return items[0];
  }) as never;
  await fake.run('chaosTesting.compareLoadRuns');
  assert.deepEqual(offered.map((i) => i.label), ['load-20261129T210000.json', 'Run 3 in traffic.db: after the fix', 'Run 1 in traffic.db: before the fix'], 'newest first, chaos runs, junk and duplicates left out');
  assert.equal(offeredB.length, 2, 'B is picked among the others');
  assert.equal(view.compared.length, 1);
  const [a, b] = view.compared[0];
  assert.equal(a.label, 'Run 1 in traffic.db: before the fix');
  assert.equal(a.result.rps, 250);
  assert.equal(b.label, 'load-20261129T210000.json');
  assert.equal(b.result.spec.name, 'from a file');

  // Show Load Result: one of them in the load panel, its timeline as the charts.
  fake.api.window.showQuickPick = (async (items: Array<{ label: string }>) => items.find((i) => i.label.includes('after the fix'))) as never;
  await fake.run('chaosTesting.showLoadResult');
  assert.deepEqual(view.runs.at(-1), { name: 'after the fix', target: newer.spec.target, durationMs: newer.spec.durationMs });
  assert.deepEqual(view.results.map((r) => [r.result.rps, r.source]), [[400, 'Run 3 in traffic.db: after the fix']]);
  assert.deepEqual(fake.shown.filter((s) => s.level === 'error'), []);
});

test('Compare Load Runs with fewer than two runs, and Show Load Result with none, say what is missing', async (t) => {
  const folder = workspace(t, { '.chaos/results/load-one.json': JSON.stringify(sampleLoadResult()), '.chaos/results/load-junk.json': '[]' });
  const fake = fakeVscode({ folder });
  const { load } = features(t, fake);
  await assert.rejects(() => load.compareRuns(), /^Error: comparing needs two stored load runs, and there is one \(1 stored item is not a load result\): run a load test/);
  const empty = fakeVscode({ folder: workspace(t) });
  await assert.rejects(() => features(t, empty).load.showRun(), /^Error: there are no stored load runs: run a load test/);
});

test('the real CLI: a quick run and a cancelled spec run are stored in the database and .chaos/results; Compare Load Runs offers both', { timeout: 90_000 }, async (t) => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const server = await target(t);
  const folder = workspace(t, { '.chaos/load/soak.yaml': `name: long soak\ntarget: ${server.url}\nprofile: soak\nduration: 5m\nconnections: 2\nmix: target\n` });
  const db = path.join(folder, '.chaos', 'traffic.db');
  const empty = await TrafficDb.open(db, { create: true });
  empty.save();
  empty.close();
  const fake = fakeVscode({ folder });
  const view = new RecordedView();
  const ext = new ChaosExtension(fake.api, fake.context as never, { showExchange: () => undefined, showBrowser: () => undefined, load: view }, new EngineClient({ entry: path.join(ROOT, 'dist', 'engine.js') }), { cli: { file: CLI, execArgv: [] } });
  t.after(async () => {
    const engine = ext.engine;
    ext.dispose();
    await engine.dispose();
  });

  fake.answers.pick.push({ label: '$(edit) Quick run…' }, { profile: 'constant' }, { slo: 'errors<1%' }, { mix: 'target' });
  fake.answers.input.push(server.url, '2s', '2');
  await fake.run('chaosTesting.runLoadTest');
  const quick = fake.terminals[0];
  await waitFor(() => quick.exitCode !== undefined, 30_000, 'the quick run to end');
  assert.equal(quick.exitCode, 0, quick.output());
  const first = view.results[0];
  assert.ok(view.ticks.length >= 2, `${view.ticks.length} ticks`);
  assert.deepEqual(view.ticks.map((x) => x.second), first.result.timeline.map((x) => x.second), 'every tick of the run reached the panel');
  assert.ok(view.ticks.every((x) => x.errors === 0) && view.ticks[0].completed > 0, 'answered without errors');
  assert.equal(first.result.passed, true);
  assert.equal(first.result.totals.completed, server.hits(), 'every request the server got is counted once');
  assert.match(first.source ?? '', /^stored as run 1 in .*traffic\.db; saved to \.chaos\/results\/load-.*\.json$/);
  assert.match(quick.output(), /\r\nRequests: GET \/\r\n/, 'the mix, from the start event');
  assert.match(quick.output(), /requests\. Stored as run 1 in .*; saved to \.chaos\/results\/load-.*\.json\.\r\n$/);

  // A spec run, cancelled from the notification: SIGINT, and the real CLI still prints and stores its partial result.
  fake.answers.pick.push({ label: 'soak.yaml', file: path.join(folder, '.chaos', 'load', 'soak.yaml') });
  await fake.run('chaosTesting.runLoadTest');
  const soak = fake.terminals[1];
  await waitFor(() => view.ticks.length >= 1 && view.runs.at(-1)?.name === 'long soak', 30_000, 'the soak run to tick');
  assert.equal(view.runs.at(-1)!.durationMs, 300_000);
  fake.progress[1].cancel();
  await waitFor(() => soak.exitCode !== undefined, 30_000, 'the cancelled run to end');
  assert.equal(soak.exitCode, 1);
  const partial = view.results[1].result;
  assert.equal(partial.stopped, 'cancelled');
  assert.ok(partial.timeline.length >= 1 && partial.timeline.length < 60, `partial: ${partial.timeline.length} s`);
  assert.match(view.results[1].source ?? '', /^stored as run 2 in/);
  await fake.waitForMessage(/long soak cancelled after \d+ s: the partial result is shown/);

  let offered: string[] = [];
  fake.api.window.showQuickPick = (async (items: Array<{ label: string }>) => {
    if (!offered.length) offered = items.map((i) => i.label);
    return items[0];
  }) as never;
  await fake.run('chaosTesting.compareLoadRuns');
  assert.deepEqual(offered, ['Run 2 in traffic.db: long soak', `Run 1 in traffic.db: load ${server.url}`], 'each run once: the result files repeat the database');
  assert.equal(view.compared[0][0].result.stopped, 'cancelled');
  assert.equal(view.compared[0][1].result.passed, true);
});
