import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { EngineClient } from '../../src/core/engine/engineClient';
import { ChaosExtension, type PanelOpeners } from '../../src/extension/chaosExtension';
import { validateTarget } from '../../src/extension/settings';
import { TrafficTreeProvider, worstClass, type TrafficNode } from '../../src/extension/trafficTree';
import { fakeVscode, type FakeVscode } from '../helpers/fakeVscode';
import { ROOT, request, runCli, startSampleBackend, tmpDir, waitFor } from '../helpers';

/** The extension's root object over a fake editor API and the real engine child (the bundle the .vsix ships). */
function start(t: TestContext, fake: FakeVscode): { ext: ChaosExtension; opened: Array<{ panel: string; id?: number }> } {
  const opened: Array<{ panel: string; id?: number }> = [];
  const panels: PanelOpeners = { showExchange: (_b, id) => void opened.push({ panel: 'exchange', id }), showBrowser: () => void opened.push({ panel: 'browser' }) };
  const ext = new ChaosExtension(fake.api, fake.context as never, panels, new EngineClient({ entry: path.join(ROOT, 'dist', 'engine.js') }));
  t.after(async () => {
    const engine = ext.engine;
    ext.dispose();
    await engine.dispose();
  });
  return { ext, opened };
}

function labels(fake: FakeVscode, ext: ChaosExtension, nodes: TrafficNode[]): string[] {
  void fake;
  return nodes.map((n) => {
    const item = ext.tree.getTreeItem(n);
    return `${String(item.label)}${item.description ? ` | ${String(item.description)}` : ''}`;
  });
}

test('Start Capture from the command: asks for the target, remembers it, status bar counts, tree shows endpoints, stop summarises', async (t) => {
  const backend = await startSampleBackend(t);
  const folder = tmpDir(t);
  const fake = fakeVscode({ folder, settings: { 'chaosTesting.capture.port': 0 } });
  const { ext, opened } = start(t, fake);

  fake.answers.input.push(backend.url);
  await fake.run('chaosTesting.startCapture');
  const info = ext.capture.info;
  assert.ok(info, 'capturing');
  assert.equal(fake.contextKeys.get('chaosTesting.capturing'), true);
  assert.equal(fake.context.workspaceState.get('chaosTesting.lastTarget'), backend.url, 'the target is remembered');
  assert.equal(fake.inputValidations[0]('ftp://x'), 'The target must be an http:// or https:// URL');
  await fake.waitForMessage(/capturing http:\/\/127\.0\.0\.1:\d+ →/);
  assert.ok(fake.statusBar.visible);

  const proxy = `http://${info.listen}`;
  for (const p of ['/api/users', '/api/users/1', '/api/users/2', '/api/users/3', '/api/error']) await request(proxy + p);
  await waitFor(() => fake.statusBar.text.endsWith('· 5'), 10_000, `status bar count (${fake.statusBar.text})`);
  assert.match(fake.statusBar.text, new RegExp(`:${info.listen.split(':')[1]} → 127\\.0\\.0\\.1:${backend.port} · 5$`));

  const root = await ext.tree.getChildren();
  assert.deepEqual(labels(fake, ext, root).sort(), ['GET /api/error | 1 · 500', 'GET /api/users | 1 · 200', 'GET /api/users/{userId} | 3 · 200']);
  const byId = root.find((n) => n.kind === 'endpoint' && n.endpoint.template === '/api/users/{userId}')!;
  const exchanges = await ext.tree.getChildren(byId);
  assert.equal(exchanges.length, 3);
  const item = ext.tree.getTreeItem(exchanges[0]);
  assert.match(String(item.label), /^\d\d:\d\d:\d\d\.\d{3} {2}200$/);
  assert.equal(item.contextValue, 'exchange');
  assert.equal(item.command?.command, 'chaosTesting.showExchange');

  // Context menu actions on a tree node.
  await fake.run('chaosTesting.showExchange', exchanges[0]);
  assert.equal(opened[0].panel, 'exchange');
  const shownId = opened[0].id!;
  await fake.run('chaosTesting.copyAsCurl', exchanges[0]);
  assert.match(fake.clipboard, /^curl 'http:\/\/127\.0\.0\.1:\d+\/api\/users\/3'/);

  // Filter by status: only the 500 remains.
  fake.answers.pick.push([{ label: '5xx' }]);
  await fake.run('chaosTesting.filterStatus');
  assert.deepEqual(labels(fake, ext, await ext.tree.getChildren()), ['GET /api/error | 1 · 500']);
  assert.equal(fake.contextKeys.get('chaosTesting.filtered'), true);
  fake.answers.input.push('nothing-like-this');
  await fake.run('chaosTesting.filterTraffic');
  assert.deepEqual(labels(fake, ext, await ext.tree.getChildren()), ['No exchanges match the filter']);
  await fake.run('chaosTesting.clearFilter');
  assert.equal((await ext.tree.getChildren()).length, 3);

  await fake.run('chaosTesting.deleteExchange', exchanges[0], [exchanges[0]]);
  assert.equal((await ext.exchange(shownId)), null, 'deleted');

  // A click on the status bar item offers the traffic views and Stop Capture.
  fake.answers.pick.push('Show Traffic');
  await fake.run('chaosTesting.captureMenu');
  assert.ok(fake.executed.some((e) => e.command === 'chaosTesting.traffic.focus'));
  fake.answers.pick.push('Stop Capture');
  await fake.run('chaosTesting.captureMenu');
  await fake.waitForMessage(/captured 5 exchanges \(0 errors\) into traffic\.db/);
  assert.equal(fake.statusBar.visible, false);
  assert.equal(fake.contextKeys.get('chaosTesting.capturing'), false);
  // After the capture the tree reads the file.
  assert.deepEqual(labels(fake, ext, await ext.tree.getChildren()).sort(), ['GET /api/error | 1 · 500', 'GET /api/users | 1 · 200', 'GET /api/users/{userId} | 2 · 200']);
  assert.ok(fs.existsSync(path.join(folder, '.chaos', 'traffic.db')));

  // The learned behaviour opens as a document; OpenAPI is written where the user says.
  await fake.run('chaosTesting.learn');
  assert.match(fake.documents.at(-1) ?? '', /GET \/api\/users\/\{userId\} +200×2/);
  const openapi = path.join(folder, 'api.json');
  fake.answers.save.push(openapi);
  await fake.run('chaosTesting.exportOpenApi');
  assert.equal((JSON.parse(fs.readFileSync(openapi, 'utf8')) as { openapi: string }).openapi, '3.1.0');
  await fake.waitForMessage(/wrote OpenAPI 3\.1 with 3 paths/);

  // Generate Tests…: the workspace's language first; an edited file is not replaced without asking.
  fs.writeFileSync(path.join(folder, 'requirements.txt'), 'requests\n');
  fake.answers.pick.push({ label: 'python · pytest', id: 'python-pytest' });
  await fake.run('chaosTesting.generateTests');
  const suite = path.join(folder, 'tests', 'test_generated.py');
  assert.match(fs.readFileSync(suite, 'utf8'), /^# chaos-testing:generated sha256=/);
  assert.equal(fake.opened.at(-1), suite);
  await fake.waitForMessage(/tests written to tests\/test_generated\.py/);
  fs.appendFileSync(suite, '# my own note\n');
  fake.answers.pick.push({ label: 'python · pytest', id: 'python-pytest' });
  fake.answers.button.push('Write Beside');
  await fake.run('chaosTesting.generateTests');
  assert.match(fs.readFileSync(suite, 'utf8'), /# my own note\n$/, 'the edited file is kept');
  assert.ok(fs.existsSync(`${suite}.new`));
  await fake.run('chaosTesting.runGeneratedTests');
  assert.equal(fake.tasks.length, 1);
  assert.match(fake.tasks[0].command, /^python3 -m pytest --tb=line -q tests\/test_generated\.py$/);
  assert.equal(fake.tasks[0].env.BASE_URL, backend.url);
  assert.equal(fake.tasks[0].matcher, '$chaos-pytest');

  // Resend compares in a diff of two documents.
  const [rest] = (await ext.tree.getChildren(byId)) as Array<Extract<TrafficNode, { kind: 'exchange' }>>;
  await fake.run('chaosTesting.resend', rest);
  const diff = fake.executed.find((e) => e.command === 'vscode.diff');
  assert.ok(diff, 'a diff was opened');
  assert.match(String(diff.args[2]), /recorded ↔ now \(200, \d+ ms\)/);
});

test('untrusted workspace: capture and resend are refused with the reason; browsing still works', async (t) => {
  const backend = await startSampleBackend(t);
  const folder = tmpDir(t);
  const db = path.join(folder, '.chaos', 'traffic.db');
  // Traffic captured earlier by the CLI.
  const har = path.join(ROOT, 'test', 'fixtures', 'sample.har');
  assert.equal(runCli(['import', har, '--db', db]).code, 0);
  void backend;

  const fake = fakeVscode({ folder, trusted: false, settings: { 'chaosTesting.capture.port': 0 } });
  const { ext } = start(t, fake);
  await fake.run('chaosTesting.startCapture');
  const refused = await fake.waitForMessage(/Restricted Mode/);
  assert.equal(refused.level, 'warning');
  assert.equal(ext.capture.info, undefined);
  assert.equal(fake.answers.input.length, 0);

  const root = await ext.tree.getChildren();
  assert.ok(root.length > 0, 'the tree reads the existing database');
  const endpoint = root.find((n) => n.kind === 'endpoint' || n.kind === 'host')!;
  const children = await ext.tree.getChildren(endpoint);
  assert.ok(children.length > 0);
  const page = await ext.page({ offset: 0, limit: 5 });
  assert.ok(page.total > 0);
  await fake.run('chaosTesting.resend', page.rows[0].id);
  assert.equal(fake.shown.filter((s) => /Restricted Mode/.test(s.message)).length, 2);
  assert.equal(fake.executed.some((e) => e.command === 'vscode.diff'), false);
});

test('a port in use and a foreign database are one-line error notifications; nothing is lost or changed', async (t) => {
  const folder = tmpDir(t);
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  const fake = fakeVscode({ folder, settings: { 'chaosTesting.capture.port': port } });
  const { ext } = start(t, fake);
  fake.answers.input.push('http://127.0.0.1:9');
  await fake.run('chaosTesting.startCapture');
  const err = await fake.waitForMessage(/in use|EADDRINUSE/);
  assert.equal(err.level, 'error');
  assert.doesNotMatch(err.message, /\n|at .*\.js:\d+/);
  assert.equal(ext.capture.info, undefined);

  const foreign = path.join(folder, 'notes.db');
  fs.writeFileSync(foreign, 'SQLite? no: plain text '.repeat(20));
  const before = fs.readFileSync(foreign);
  fake.answers.open.push([foreign]);
  await fake.run('chaosTesting.openDatabase');
  const refused = await fake.waitForMessage(/notes\.db/);
  assert.equal(refused.level, 'error');
  assert.deepEqual(fs.readFileSync(foreign), before);
  assert.equal(fake.context.workspaceState.get('chaosTesting.database'), undefined, 'a refused file does not become the database');
});

test('tree refreshes are throttled while traffic flows', async () => {
  const fake = fakeVscode();
  const source = { overview: async () => ({ total: 0, sessions: 0, hosts: [] }), endpoint: async () => ({ total: 0, rows: [] }) };
  const tree = new TrafficTreeProvider(fake.api, source, 100);
  let fired = 0;
  tree.onDidChangeTreeData(() => fired++);
  for (let i = 0; i < 500; i++) tree.refresh();
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(fired, 1, 'a burst of change notices is one refresh');
  tree.refresh(true);
  assert.equal(fired, 2, 'a user action refreshes at once');
  tree.dispose();
});

test('status class icons and target validation', () => {
  assert.equal(worstClass([200, 404], 0), '4xx');
  assert.equal(worstClass([200], 1), 'error');
  assert.equal(worstClass([301, 200], 0), '3xx');
  assert.equal(validateTarget('localhost:9000'), 'The target must be an http:// or https:// URL');
  assert.equal(validateTarget('not a url'), 'Enter the backend URL, e.g. http://localhost:9000');
  assert.equal(validateTarget('https://api.internal:8443/base'), undefined);
});
