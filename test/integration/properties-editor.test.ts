/**
 * The editor faces of property runs on the fake editor, against real parts: Run Properties runs the built CLI
 * (`node scripts/build.mjs` first) as a task against the example backend with a planted bug, on traffic captured
 * through the real capture proxy; the violation lands in the Problems view on the run's report, the properties
 * panel (its host class over a fake webview) receives the minimal sequence, and its Create Regression Test request
 * replays the case and writes the test. Cancel sends SIGINT; nothing runs in Restricted Mode.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { PropertiesResult } from '../../src/core/properties/types';
import { PropertiesPanel } from '../../src/extension/panels/propertiesPanel';
import { PROPERTIES_REPORT, PropertiesFeatures } from '../../src/extension/properties/propertiesFeatures';
import { PROPERTIES_TASK_TYPE } from '../../src/extension/properties/propertiesTask';
import { CLI, tmpDir, waitFor } from '../helpers';
import { fakeVscode, type FakeVscode } from '../helpers/fakeVscode';
import { fakeVscode as fakeWebviews, fake as fakePanel } from '../helpers/fakeWebview';
import { SECRET_ENV, capturePropertiesSession, startPropertiesBackend } from '../helpers/propertiesBackend';

const BUILT_CLI = { file: CLI, execArgv: [] };

/** The CLI child reads CHAOS_SECRET_AUTHORIZATION from the extension host's environment, as a user's would. */
function withSecret(t: TestContext): void {
  const before = process.env.CHAOS_SECRET_AUTHORIZATION;
  process.env.CHAOS_SECRET_AUTHORIZATION = SECRET_ENV.CHAOS_SECRET_AUTHORIZATION;
  t.after(() => (before === undefined ? delete process.env.CHAOS_SECRET_AUTHORIZATION : (process.env.CHAOS_SECRET_AUTHORIZATION = before)));
}

function features(t: TestContext, fake: FakeVscode, db: string, showResults: (r: PropertiesResult) => void = () => undefined): PropertiesFeatures {
  const f = new PropertiesFeatures(fake.api, { database: () => db, state: fake.context.workspaceState as never, showResults, cli: BUILT_CLI, graceMs: 20_000 }, (id, run) =>
    fake.api.commands.registerCommand(id, run as (...args: unknown[]) => unknown),
  );
  t.after(() => f.dispose());
  return f;
}

test('Run Properties: the task finds the planted bug, Problems points at it, the panel gets the minimal sequence and writes its regression test', { timeout: 180_000 }, async (t) => {
  withSecret(t);
  const db = await capturePropertiesSession(t);
  const backend = await startPropertiesBackend(t, ['use-after-free']);
  const folder = tmpDir(t);
  // A TypeScript project that tests with node:test: the regression test follows it without asking.
  fs.writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'shop', scripts: { test: 'node --test' } }));
  const fake = fakeVscode({ folder, settings: { 'chaosTesting.capture.target': backend.url } });
  const web = fakeWebviews(folder);
  let props: PropertiesFeatures | undefined = undefined;
  props = features(t, fake, db, (r) => void PropertiesPanel.show(web.vscode, web.extensionUri, r, { createRegressionTest: (res, i) => props!.createRegressionTest(res, i), copyText: async () => undefined }));
  t.after(() => PropertiesPanel.current?.dispose());

  fake.answers.input.push(backend.url, '300', '7');
  await fake.run('chaosTesting.runProperties');
  assert.equal(fake.inputBoxes[0].value, backend.url, 'the target defaults to chaosTesting.capture.target');
  assert.equal(fake.inputValidations[0]('ftp://x'), 'The target must be an http:// or https:// URL');
  assert.equal(fake.inputValidations[1]('0'), 'a whole number from 1 to 1000000');
  assert.equal(fake.inputValidations[2]('abc'), 'a whole number, or empty for a random seed');
  const terminal = fake.terminals[0];
  assert.equal((terminal.definition as { type: string }).type, PROPERTIES_TASK_TYPE);
  await waitFor(() => terminal.exitCode !== undefined, 150_000, 'the property run to end');
  assert.equal(terminal.exitCode, 1, 'a violation: the CLI exits 1');
  assert.match(terminal.output(), /^chaos-testing properties --input \S+ --target http:\/\/127\.0\.0\.1:\d+ --out \S+ --json --runs 300 --seed 7\r\n/);
  assert.match(terminal.output(), /Properties FAILED: \d+ runs, \d+ requests, 1 violation; seed 7\./);
  assert.ok(fake.progress[0].messages.some((m) => /^\d+\/300 runs, \d+ violations \((searching|shrinking)\)$/.test(m)), fake.progress[0].messages.join(' | '));
  await fake.waitForMessage(/properties found 1 violation in \d+ runs, \d+ requests: use_after_free/);

  // Problems: on the run's text report, at the violation's heading (a file a click opens).
  const report = path.join(folder, PROPERTIES_REPORT);
  const lines = fs.readFileSync(report, 'utf8').split('\n');
  const [d] = fake.diagnostics.get('chaos-properties')!.get(report)!;
  assert.equal(lines[d.range.start.line], lines.find((l) => l.startsWith('1) use_after_free')));
  assert.match(d.message, /^use_after_free: GET \/api\/items\/\{itemId\} .* \(minimal sequence: 3 steps\)\. Replay: chaos-testing properties .*--seed \d+ --path \S+/);
  assert.equal(lines[d.range.start.line + 2].trim().split(' ')[1], 'POST', 'the minimal sequence follows the heading');

  // The panel: after the page says ready it gets the result with the minimal sequence.
  const panel = fakePanel(PropertiesPanel.current!.panel);
  assert.equal(panel.title, '✗ Properties (1 violation)');
  panel.webview.receive({ kind: 'ready' });
  const event = panel.webview.posted.at(-1) as { name: string; result: PropertiesResult };
  assert.equal(event.name, 'properties');
  const v = event.result.violations[0];
  assert.deepEqual(v.minimalExample.map((s) => [s.method, s.endpoint.split(' ')[1], s.status]), [['POST', '/api/items', 201], ['DELETE', '/api/items/{itemId}', 204], ['GET', '/api/items/{itemId}', 200]]);
  assert.ok(v.minimalExample[0].body && typeof v.minimalExample[0].body === 'object', 'the POST carries its body');
  assert.ok(event.result.codePathsExercised.endpointStatusPairs.includes('DELETE /api/items/{itemId} 204'));

  // Create Regression Test from the page: the case is replayed by seed and path and written as a node:test file.
  panel.webview.receive({ kind: 'request', id: 1, method: 'createRegressionTest', params: { index: 0 } });
  await waitFor(() => panel.webview.posted.some((m) => (m as { kind: string; id?: number }).kind === 'reply'), 60_000, 'the reply');
  const reply = panel.webview.posted.find((m) => (m as { kind: string }).kind === 'reply') as { ok: boolean; result: { file: string }; error?: string };
  assert.equal(reply.ok, true, reply.error);
  const file = reply.result.file;
  assert.ok(file.startsWith(folder) && fs.existsSync(file), file);
  assert.match(fs.readFileSync(file, 'utf8'), /node:test/);
  assert.match(fs.readFileSync(file, 'utf8'), /\/api\/items/);
  assert.deepEqual(fake.opened, [file], 'the test is opened');
  assert.equal(fake.diagnostics.get('chaos-properties')!.get(file)!.length, 1, 'the violation is marked on its test too');
  await fake.waitForMessage(/regression test \(node:test\) written to .*; it fails until the bug is fixed/);
});

test('Cancel on the notification sends SIGINT: the CLI stops searching and the run ends interrupted with what it found', { timeout: 120_000 }, async (t) => {
  withSecret(t);
  const db = await capturePropertiesSession(t);
  const backend = await startPropertiesBackend(t);
  const folder = tmpDir(t);
  const fake = fakeVscode({ folder });
  const shown: PropertiesResult[] = [];
  features(t, fake, db, (r) => void shown.push(r));
  fake.answers.input.push(backend.url, '1000000', '');
  await fake.run('chaosTesting.runProperties');
  const terminal = fake.terminals[0];
  assert.doesNotMatch(terminal.output(), /--seed/, 'an empty seed is a random one');
  await waitFor(() => /properties: \d+\/1000000 runs/.test(terminal.output()), 60_000, 'the search to report progress');
  fake.progress[0].cancel();
  await waitFor(() => terminal.exitCode !== undefined, 60_000, 'the task to end');
  assert.match(terminal.output(), /Cancelled: stopping the search…/);
  const made = Number(/Properties interrupted: (\d+) of 1000000 runs/.exec(terminal.output())?.[1]);
  assert.ok(made < 1_000_000, `${made} runs made: ${terminal.output()}`);
  assert.equal(shown.length, 1);
  assert.equal(shown[0].aborted, true);
  await waitFor(() => fake.progress[0].done, 5_000, 'the notification to close');
  await fake.waitForMessage(/property run interrupted after \d+ of 1000000 runs/);
});

test('Restricted Mode: Run Properties and Create Regression Test refuse, tasks.json entries do not resolve', async (t) => {
  const folder = tmpDir(t);
  const fake = fakeVscode({ folder, trusted: false });
  features(t, fake, path.join(folder, 'traffic.db'));
  await fake.run('chaosTesting.runProperties');
  assert.equal(fake.inputBoxes.length, 0);
  assert.equal(fake.terminals.length, 0);
  assert.match((await fake.waitForMessage(/Restricted Mode/)).message, /cannot run property tests/);
  const provider = fake.taskProviders.get(PROPERTIES_TASK_TYPE)!;
  const fromJson = { definition: { type: PROPERTIES_TASK_TYPE, target: 'http://127.0.0.1:9' }, scope: fake.api.workspace.workspaceFolders![0] };
  assert.equal(provider.resolveTask(fromJson as never, undefined as never), undefined);
  fake.grantTrust();
  assert.equal((provider.resolveTask(fromJson as never, undefined as never) as { definition: unknown }).definition, fromJson.definition);
});
