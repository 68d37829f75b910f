/**
 * The editor faces of the readiness suite on the fake editor, against real parts: Run Readiness Suite runs the built
 * CLI (`node scripts/build.mjs` first) as a task against the property-testing example backend with a planted bug;
 * the Readiness panel (its host class over a fake webview) has a row per check with the failure named, its links
 * open the check's run and the HTML report, whose webview has no local resources and a CSP with a fresh nonce.
 * Nothing runs in Restricted Mode.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { ReadinessPanel } from '../../src/extension/panels/readinessPanel';
import { ReadinessReportPanel } from '../../src/extension/panels/readinessReportPanel';
import { ReadinessFeatures } from '../../src/extension/readiness/readinessFeatures';
import { READINESS_TASK_TYPE } from '../../src/extension/readiness/readinessTask';
import { CLI, tmpDir, waitFor } from '../helpers';
import { fakeVscode, type FakeVscode } from '../helpers/fakeVscode';
import { fakeVscode as fakeWebviews, fake as fakePanel } from '../helpers/fakeWebview';
import { SECRET_ENV } from '../helpers/propertiesBackend';
import { readinessWorkspace } from '../helpers/readinessWorkspace';

const BUILT_CLI = { file: CLI, execArgv: [] };

function withSecret(t: TestContext): void {
  const before = process.env.CHAOS_SECRET_AUTHORIZATION;
  process.env.CHAOS_SECRET_AUTHORIZATION = SECRET_ENV.CHAOS_SECRET_AUTHORIZATION;
  t.after(() => (before === undefined ? delete process.env.CHAOS_SECRET_AUTHORIZATION : (process.env.CHAOS_SECRET_AUTHORIZATION = before)));
}

function features(t: TestContext, fake: FakeVscode, folder: string): ReadinessFeatures {
  const web = fakeWebviews(folder);
  const f = new ReadinessFeatures(fake.api, {
    cli: BUILT_CLI, graceMs: 20_000,
    showResults: (r, actions) => void ReadinessPanel.show(web.vscode, web.extensionUri, r, actions),
    showReport: (r) => void ReadinessReportPanel.show(web.vscode, r),
  }, (id, run) => fake.api.commands.registerCommand(id, run as (...args: unknown[]) => unknown));
  t.after(() => {
    f.dispose();
    ReadinessPanel.current?.dispose();
    ReadinessReportPanel.current?.dispose();
  });
  return f;
}

test('Run Readiness Suite: the task runs ci, the panel has a row per check naming what broke, its links open the run and the report', { timeout: 180_000 }, async (t) => {
  withSecret(t);
  const ws = await readinessWorkspace(t, { bugs: ['use-after-free'] });
  ws.writeSuite(`name: items API
target: "{target}"
tests:
  - name: health answers
    command: node -e "process.exit(0)"
properties:
  runs: 200
  seed: 1
  max-steps: 8
  checks: [use_after_free]
load:
  requests: [{path: /api/health}]
  connections: 1
  duration: 1s
audit:
  frameworks: [soc2]
  workspace: ''
`);
  const fake = fakeVscode({ folder: ws.dir });
  features(t, fake, ws.dir);
  fake.answers.button.push('Open Report');
  await fake.run('chaosTesting.runReadiness');
  const terminal = fake.terminals[0];
  assert.equal((terminal.definition as { type: string }).type, READINESS_TASK_TYPE);
  await waitFor(() => terminal.exitCode !== undefined, 150_000, 'the suite to end');
  assert.equal(terminal.exitCode, 1, terminal.output());
  assert.match(terminal.output(), /^chaos-testing ci --suite \.chaos\/suite\.yaml --out \.chaos\/reports --json\r\n/);
  assert.match(terminal.output(), /Readiness: NOT ready: 3 of 4 checks passed; failed: properties and invariants\./);
  assert.ok(fake.progress[0].messages.includes('2/4 properties: properties and invariants'), fake.progress[0].messages.join(' | '));
  await fake.waitForMessage(/not ready: 1 of 4 checks failed: properties and invariants/);

  const panel = fakePanel(ReadinessPanel.current!.panel);
  assert.equal(panel.title, '✗ Readiness (1 failed)');
  const html = panel.webview.html;
  assert.equal((html.match(/<tr class="check /g) ?? []).length, 4);
  assert.match(html, /<tr class="check failed" data-kind="properties">.*use_after_free: GET \/api\/items\/\{itemId\} returned 200/);
  assert.match(html, /<tr class="check passed" data-kind="load">/);
  const nonce = /script-src 'nonce-([^']+)'/.exec(html)![1];
  assert.match(html, new RegExp(`<script nonce="${nonce.replace(/[+/]/g, '\\$&')}">`));

  // The load row's link opens its result file.
  const loadIndex = ReadinessPanel.current!.result.checks.findIndex((c) => c.kind === 'load');
  panel.webview.receive({ command: 'openRun', index: loadIndex });
  await waitFor(() => fake.opened.length === 1, 10_000, 'the run to open');
  assert.match(fake.opened[0], /\.chaos\/results\/load-.*\.json$/);
  assert.equal(JSON.parse(fs.readFileSync(fake.opened[0], 'utf8')).kind, 'load');

  // "Open Report" on the notification (answered above) opened the report webview: the ci's page, its own nonce, no local resources.
  const report = fakePanel(ReadinessReportPanel.current!.panel);
  assert.deepEqual(report.webview.options.localResourceRoots, []);
  assert.equal(report.webview.options.enableScripts, true);
  const page = report.webview.html;
  const reportNonce = /script-src 'nonce-([^']+)'/.exec(page)![1];
  assert.equal((page.match(new RegExp(`<script nonce="${reportNonce.replace(/[+/]/g, '\\$&')}">`, 'g')) ?? []).length, 2, 'uPlot and the charts, both with the nonce');
  assert.match(page, /data-chart="latency"/);
  assert.notEqual(reportNonce, nonce);
  const written = fs.readFileSync(path.join(ws.reports, 'report.html'), 'utf8');
  assert.notEqual(/nonce-([^']+)/.exec(written)![1], reportNonce, 'a fresh nonce per page');

  // The palette's Open Readiness Report reads .chaos/reports/readiness.json when this window has no run.
  ReadinessReportPanel.current!.dispose();
  const other = fakeVscode({ folder: ws.dir });
  features(t, other, ws.dir);
  await other.run('chaosTesting.openReadinessReport');
  assert.match(fakePanel(ReadinessReportPanel.current!.panel).title, /^Readiness report: items API$/);
});

test('Restricted Mode: Run Readiness Suite refuses, the task provider offers and resolves nothing', async (t) => {
  const folder = tmpDir(t);
  fs.mkdirSync(path.join(folder, '.chaos'));
  fs.writeFileSync(path.join(folder, '.chaos', 'suite.yaml'), 'target: http://127.0.0.1:9\naudit: {}\n');
  const fake = fakeVscode({ folder, trusted: false });
  features(t, fake, folder);
  await fake.run('chaosTesting.runReadiness');
  assert.equal(fake.terminals.length, 0);
  assert.match((await fake.waitForMessage(/Restricted Mode/)).message, /cannot run the readiness suite/);
  const provider = fake.taskProviders.get(READINESS_TASK_TYPE)!;
  assert.deepEqual(provider.provideTasks(undefined as never), []);
  const fromJson = { definition: { type: READINESS_TASK_TYPE }, scope: fake.api.workspace.workspaceFolders![0] };
  assert.equal(provider.resolveTask(fromJson as never, undefined as never), undefined);
  fake.grantTrust();
  assert.equal((provider.provideTasks(undefined as never) as unknown[]).length, 1, 'the workspace suite is offered as a task');
  assert.equal((provider.resolveTask(fromJson as never, undefined as never) as { definition: unknown }).definition, fromJson.definition);
});

test('without a suite, Run Readiness Suite says where it goes', async (t) => {
  const folder = tmpDir(t);
  const fake = fakeVscode({ folder });
  features(t, fake, folder);
  await assert.rejects(fake.run('chaosTesting.runReadiness'), /no suite at \.chaos\/suite\.yaml: write one/);
  assert.equal(fake.terminals.length, 0);
});

