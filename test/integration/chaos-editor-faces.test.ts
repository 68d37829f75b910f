/**
 * Two editor faces of chaos on the fake editor, against real parts: Replay Traffic… runs the built CLI
 * (`node scripts/build.mjs` first) as a child process against a real loopback backend, through a real fault proxy;
 * Export Experiment to Chaos Mesh turns a real experiment file into YAML in the extension host.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import YAML from 'yaml';
import { EngineClient } from '../../src/core/engine/engineClient';
import { ReplayTraffic } from '../../src/extension/chaos/replayTraffic';
import { ChaosExtension } from '../../src/extension/chaosExtension';
import { CLI, ROOT, tmpDir, trackConnections, waitFor } from '../helpers';
import { fakeVscode, type FakeVscode } from '../helpers/fakeVscode';
import { ITEMS_PASSWORD, captureItemsSession, startItemsBackend } from '../helpers/replayBackend';

const BUILT_CLI = { file: CLI, execArgv: [] };

function workspace(t: TestContext, files: Record<string, string>): string {
  const folder = tmpDir(t);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
    fs.writeFileSync(path.join(folder, name), text);
  }
  return folder;
}

/** The replay child reads CHAOS_SECRET_PASSWORD from the extension host's environment, as a user's would. */
function withSecret(t: TestContext): void {
  const before = process.env.CHAOS_SECRET_PASSWORD;
  process.env.CHAOS_SECRET_PASSWORD = ITEMS_PASSWORD;
  t.after(() => (before === undefined ? delete process.env.CHAOS_SECRET_PASSWORD : (process.env.CHAOS_SECRET_PASSWORD = before)));
}

function replayer(fake: FakeVscode, db: string): { replay: ReplayTraffic; reports: Array<{ name: string; text: string }> } {
  const reports: Array<{ name: string; text: string }> = [];
  const replay = new ReplayTraffic(fake.api, {
    database: () => db,
    state: fake.context.workspaceState as never,
    showReport: async (name, text) => void reports.push({ name, text }),
    cli: BUILT_CLI,
  });
  return { replay, reports };
}

test('Replay Traffic…: against the captured backend all match; with an http_abort faults file that route diverges, and Show Report opens the text report', { timeout: 60_000 }, async (t) => {
  withSecret(t);
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const folder = workspace(t, {
    '.chaos/abort-delete.yaml': 'toxics:\n  - {name: busy, type: http_abort, attributes: {status: 503}, match: {method: DELETE, path: /api/items/*}}\n',
  });
  const fake = fakeVscode({ folder });
  await fake.context.workspaceState.update('chaosTesting.lastTarget', backend.url);
  const { replay, reports } = replayer(fake, db);

  // No faults: every exchange matches; an information message, no report asked for.
  fake.answers.input.push(backend.url);
  fake.answers.pick.push({ label: 'No faults', file: undefined });
  const clean = await replay.run();
  assert.equal(fake.inputBoxes[0].value, backend.url, 'the captured target is the default');
  assert.equal(fake.inputValidations[0]('ftp://x'), 'The target must be an http:// or https:// URL');
  assert.equal(clean?.result?.summary.matched, 7, JSON.stringify(clean?.result?.exchanges.filter((e) => e.verdict !== 'matched')));
  assert.deepEqual(clean?.result?.faults, []);
  const ok = fake.shown.at(-1)!;
  assert.equal(ok.level, 'info');
  assert.match(ok.message, /replay against http:\/\/127\.0\.0\.1:\d+: 7 matched, 0 diverged, 0 errors\.$/);
  assert.deepEqual(ok.items, ['Show Report']);
  assert.equal(reports.length, 0);
  const progress = fake.progress[0];
  assert.equal(progress.cancellable, true);
  assert.ok(progress.messages.includes('7/7 · 7 matched, 0 diverged, 0 errors'), progress.messages.join(' | '));

  // With the faults file: the DELETE is aborted by the fault proxy (503) and diverges; the report says why.
  fake.answers.input.push(backend.url);
  fake.answers.pick.push({ label: 'abort-delete.yaml', file: path.join(folder, '.chaos', 'abort-delete.yaml') });
  fake.answers.button.push('Show Report');
  const faulty = await replay.run();
  assert.equal(fake.inputBoxes[1].value, backend.url, 'the last replay target is remembered');
  const bad = fake.shown.at(-1)!;
  assert.equal(bad.level, 'warning');
  assert.match(bad.message, /: 6 matched, 1 diverged, 0 errors; worst: DELETE \/api\/items\/\{itemId\} \(1\/1 failed\)\.$/);
  assert.equal(faulty?.result?.faults[0].type, 'http_abort');
  assert.equal(reports.length, 1);
  assert.match(reports[0].name, /^replay-\d+\.txt$/);
  assert.match(reports[0].text, /with faults: busy \(http_abort/);
  assert.match(reports[0].text, /DELETE\s+\/api\/items\/\d+\s+503 \(was 204\)\s+DIVERGED/);
  assert.match(reports[0].text, /7 replayed: 6 matched, 1 diverged, 0 errors/);
});

test('Replay Traffic…: Cancel stops the CLI (SIGTERM) mid-run; the partial result says it was cancelled', { timeout: 60_000 }, async (t) => {
  withSecret(t);
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  // Each answer held 1.5 s by a latency fault: the run is slow enough to cancel after its first exchange.
  const folder = workspace(t, { '.chaos/slow.yaml': 'toxics:\n  - {name: slow, type: latency, stream: downstream, attributes: {latency: 1500}}\n' });
  const fake = fakeVscode({ folder });
  const { replay } = replayer(fake, db);
  const seen = trackConnections(backend.server);
  const before = seen.requests();
  fake.answers.input.push(backend.url);
  fake.answers.pick.push({ label: 'slow.yaml', file: path.join(folder, '.chaos', 'slow.yaml') });
  const running = replay.run();
  await waitFor(() => (fake.progress[0]?.messages.length ?? 0) >= 1, 30_000, 'the first replayed exchange');
  fake.progress[0].cancel();
  const outcome = await running;
  assert.equal(outcome?.cancelled, true);
  assert.equal(outcome?.result?.aborted, true);
  const replayed = outcome!.result!.exchanges.length;
  assert.ok(replayed >= 1 && replayed < 7, `${replayed} exchanges replayed before the cancel`);
  assert.ok(seen.requests() - before < 7, 'the backend did not get the whole session');
  assert.equal(fake.progress[0].done, true);
  const shown = fake.shown.at(-1)!;
  assert.equal(shown.level, 'warning');
  assert.match(shown.message, new RegExp(`Cancelled after ${replayed} exchange`));
});

test('Replay Traffic…: not in Restricted Mode; without a database, a one-line error and no child', async (t) => {
  const folder = workspace(t, {});
  const fake = fakeVscode({ folder, trusted: false });
  extension(t, fake);
  await fake.run('chaosTesting.replayTraffic');
  assert.match((await fake.waitForMessage(/Restricted Mode/)).message, /cannot replay traffic/);
  assert.equal(fake.inputBoxes.length, 0);
  fake.grantTrust();
  await fake.run('chaosTesting.replayTraffic');
  const error = await fake.waitForMessage(/no traffic database/);
  assert.equal(error.level, 'error');
  assert.match(error.message, /^Chaos Testing: no traffic database at .*traffic\.db: capture some traffic first \(Start Capture\)$/);
  assert.equal(fake.inputBoxes.length, 0);
  assert.equal(fake.progress.length, 0);
});

const EXPERIMENT = (kubernetes: boolean): string => `title: The API answers again after a partition
targets:
  api: {url: "http://127.0.0.1:9"${kubernetes ? ', kubernetes: {namespace: shop, labels: {app: api}}' : ''}}
  edge: {proxy: {listen: "127.0.0.1:0", upstream: "127.0.0.1:9"}${kubernetes ? ', kubernetes: {namespace: shop, labels: {app: backend}}' : ''}}
steady-state-hypothesis:
  probes:
    - {name: health, provider: {type: http, url: api/health}, tolerance: 200}
method:
  - {name: cut the network, provider: {type: network-partition, target: edge}, duration: 1s}
`;

/** The whole extension on the fake editor: its commands as registered, errors shown as notifications. */
function extension(t: TestContext, fake: FakeVscode): ChaosExtension {
  const ext = new ChaosExtension(fake.api, fake.context as never, { showExchange: () => undefined, showBrowser: () => undefined }, new EngineClient({ entry: path.join(ROOT, 'dist', 'engine.js') }), { cli: BUILT_CLI, pollMs: 60_000 });
  t.after(async () => {
    const engine = ext.engine;
    ext.dispose();
    await engine.dispose();
  });
  return ext;
}

test('Export Experiment to Chaos Mesh: Open gives an untitled YAML editor with a Workflow; Save writes <name>.chaos-mesh.yaml and never replaces one silently', async (t) => {
  const folder = workspace(t, { '.chaos/experiments/partition.yaml': EXPERIMENT(true) });
  const file = path.join(folder, '.chaos', 'experiments', 'partition.yaml');
  const fake = fakeVscode({ folder, trusted: false });
  extension(t, fake);

  // From the palette with the experiment active; works in Restricted Mode (nothing runs).
  fake.documents$.open(file);
  fake.activeFile = file;
  fake.answers.pick.push({ label: 'Open', action: 'open' });
  await fake.run('chaosTesting.exportChaosMesh');
  assert.deepEqual(fake.shown.filter((s) => s.level === 'error'), []);
  assert.equal(fake.documents.length, 1);
  assert.equal(fake.documentLanguages[0], 'yaml');
  const docs = YAML.parseAllDocuments(fake.documents[0]).map((d) => d.toJS() as { kind: string; metadata: { namespace: string }; spec: { templates: Array<{ templateType: string; networkChaos?: { action: string } }> } });
  assert.deepEqual(docs.map((d) => d.kind), ['Workflow']);
  assert.equal(docs[0].metadata.namespace, 'shop');
  const partition = docs[0].spec.templates.find((x) => x.templateType === 'NetworkChaos');
  assert.equal(partition?.networkChaos?.action, 'partition');
  assert.ok(docs[0].spec.templates.some((x) => x.templateType === 'StatusCheck'), 'the steady state becomes StatusChecks');

  // Save (from the explorer: the file given): beside the experiment, opened.
  const beside = path.join(folder, '.chaos', 'experiments', 'partition.chaos-mesh.yaml');
  fake.answers.pick.push({ label: 'Save', action: 'save' });
  await fake.run('chaosTesting.exportChaosMesh', fake.api.Uri.file(file));
  assert.equal(fs.readFileSync(beside, 'utf8'), fake.documents[0]);
  assert.deepEqual(fake.opened, [beside]);
  assert.match((await fake.waitForMessage(/wrote Workflow to partition\.chaos-mesh\.yaml/)).message, /kubectl apply -f/);

  // Saved again over an edited file: asked, and left alone when not confirmed.
  fs.writeFileSync(beside, '# my edits\n');
  fake.answers.pick.push({ label: 'Save', action: 'save' });
  fake.answers.button.push(undefined);
  await fake.run('chaosTesting.exportChaosMesh', fake.api.Uri.file(file));
  assert.match(fake.shown.at(-1)!.message, /partition\.chaos-mesh\.yaml exists\. Replace it\?/);
  assert.equal(fs.readFileSync(beside, 'utf8'), '# my edits\n');
});

test('Export Experiment to Chaos Mesh: a target without a kubernetes block is a one-line error, and nothing is opened', async (t) => {
  const folder = workspace(t, { '.chaos/experiments/local.yaml': EXPERIMENT(false) });
  const fake = fakeVscode({ folder });
  extension(t, fake);
  // From the palette, nothing active: picked from the workspace's experiments.
  fake.answers.pick.push({ label: 'local.yaml', file: path.join(folder, '.chaos', 'experiments', 'local.yaml') });
  await fake.run('chaosTesting.exportChaosMesh');
  const error = await fake.waitForMessage(/kubernetes/);
  assert.equal(error.level, 'error');
  assert.match(error.message, /^Chaos Testing: target '\w+' has no kubernetes block, so the Chaos Mesh export cannot select its pods; add kubernetes: \{namespace: NS, labels: \{app: NAME\}\} to it/);
  assert.ok(!error.message.includes('\n'), 'one line');
  assert.equal(fake.documents.length, 0);
  assert.equal(fake.answers.pick.length, 0, 'the experiment was picked, and no Open/Save was asked');
});
