/**
 * The editor faces of the compliance audit on the fake editor, against real parts: Run Compliance Audit runs the
 * built CLI (`node scripts/build.mjs` first) as a task over a copy of the labelled corpus (test/fixtures/compliance:
 * its workspace files, and its HAR imported as the workspace's traffic database). File findings land in Problems at
 * their line and column with their control ids; the quick fixes (USER, securityContext, an image digest the workspace
 * pins in its ImagesLock) edit the files (checked by their text); the audit
 * panel's host gets the traffic findings and opens exchanges and places. Restricted Mode audits, but never probes TLS.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { AuditResult } from '../../src/core/compliance/types';
import { importHar } from '../../src/core/har/import';
import { AuditFeatures } from '../../src/extension/compliance/auditFeatures';
import { AUDIT_TASK_TYPE, auditArgs } from '../../src/extension/compliance/auditTask';
import { controlTag } from '../../src/extension/compliance/auditDiagnostics';
import { AuditPanel } from '../../src/extension/panels/auditPanel';
import type { vscodeTypes } from '../../src/extension/types';
import { CLI, ROOT, tmpDir, waitFor } from '../helpers';
import { fakeVscode, type FakeVscode } from '../helpers/fakeVscode';
import { fakeVscode as fakeWebviews, fake as fakePanel } from '../helpers/fakeWebview';

const BUILT_CLI = { file: CLI, execArgv: [] };
const CORPUS = path.join(ROOT, 'test', 'fixtures', 'compliance');
const CORPUS_EXCHANGES = (JSON.parse(fs.readFileSync(path.join(CORPUS, 'traffic.har'), 'utf8')) as { log: { entries: unknown[] } }).log.entries.length;

/** A copy of the corpus workspace with the corpus traffic as its .chaos/traffic.db. */
async function corpusWorkspace(t: TestContext): Promise<{ folder: string; db: string }> {
  const folder = tmpDir(t);
  fs.cpSync(path.join(CORPUS, 'workspace'), folder, { recursive: true });
  const db = path.join(folder, '.chaos', 'traffic.db');
  fs.mkdirSync(path.dirname(db), { recursive: true });
  await importHar(path.join(CORPUS, 'traffic.har'), db, { enabled: false, extraFields: [] });
  return { folder, db };
}

function features(t: TestContext, fake: FakeVscode, db: string, showResults: (r: AuditResult, ws: string) => void = () => undefined): AuditFeatures {
  const f = new AuditFeatures(fake.api, { database: () => db, showResults, cli: BUILT_CLI }, (id, run) => fake.api.commands.registerCommand(id, run as (...args: unknown[]) => unknown));
  t.after(() => f.dispose());
  return f;
}

async function runAudit(fake: FakeVscode, framework: string): Promise<string> {
  fake.answers.pick.push({ label: framework, framework });
  await fake.run('chaosTesting.runAudit');
  const terminal = fake.terminals.at(-1)!;
  await waitFor(() => terminal.exitCode !== undefined, 60_000, 'the audit to end');
  return terminal.output();
}

test('Run Compliance Audit: findings at their line and column with control ids, severity mapped; quick fixes edit the files; the panel opens exchanges', { timeout: 120_000 }, async (t) => {
  const { folder, db } = await corpusWorkspace(t);
  const fake = fakeVscode({ folder });
  const web = fakeWebviews(folder);
  const exchanges: number[] = [];
  let audit: AuditFeatures | undefined = undefined;
  audit = features(t, fake, db, (r) => void AuditPanel.show(web.vscode, web.extensionUri, r, { openExchange: (id) => void exchanges.push(id), openLocation: (file, line, column) => audit!.openLocation(file, line, column) }));
  t.after(() => AuditPanel.current?.dispose());

  const output = await runAudit(fake, 'all');
  assert.match(output, /^chaos-testing audit --framework all --input \S+traffic\.db --workspace \S+ --format json --fail-on none\r\n/);
  assert.match(output, new RegExp(`Audit: \\d+ findings over ${CORPUS_EXCHANGES} exchanges and \\d+ files; controls: fisma \\d+/\\d+ failing`));
  assert.equal(fake.terminals[0].exitCode, 0, '--fail-on none: findings are not a failed task');
  await fake.waitForMessage(/audit found \d+ findings \(\d+ high; \d+ in workspace files, in Problems\)/);

  const problems = fake.diagnostics.get('chaos-compliance')!;
  const dockerfile = path.join(folder, 'Dockerfile');
  const root = problems.get(dockerfile)!.find((d) => d.code === 'container-root')!;
  assert.deepEqual([root.range.start.line, root.range.start.character, root.range.end.line, root.range.end.character], [0, 0, 0, 16], 'line 1, column 1: the final stage FROM node:latest');
  assert.equal(root.message, '[PCI-DSS 7.2.1, 7.2.2, NIST AC-6, SOC 2 CC6.3, HIPAA 164.312(a)(1)] Container runs as root — add USER 10001 before the command runs');
  assert.equal(root.severity, fake.api.DiagnosticSeverity.Error, 'high → error');
  assert.equal(root.source, 'chaos audit');
  const secret = problems.get(path.join(folder, '.env'))!.find((d) => d.code === 'secrets-in-config')!;
  assert.deepEqual([secret.range.start.line, secret.range.start.character], [0, 0]);
  assert.match(secret.message, /^\[PCI-DSS 3\.5\.1, 8\.2\.2, 8\.3\.2, NIST IA-5\] Secret in environment or config — /);
  assert.doesNotMatch(JSON.stringify([...problems.values()]), /Zx9fK2pQ7vL3mN8rT4wY/, 'no secret in a message');
  const deploy = path.join(folder, 'k8s', 'deploy.yaml');
  const k8sRoot = problems.get(deploy)!.find((d) => d.code === 'container-root')!;
  assert.deepEqual([k8sRoot.range.start.line, k8sRoot.range.start.character], [9, 10], 'k8s/deploy.yaml:10:11');
  const severities = new Set([...problems.values()].flat().map((d) => d.severity));
  assert.ok(severities.has(fake.api.DiagnosticSeverity.Warning), 'medium findings are warnings');

  // Quick fix on the Dockerfile: USER 10001 inserted before CMD; the file is edited, its marks go until the next audit.
  const provider = fake.codeActionProviders[0];
  const doc = fake.documents$.open(dockerfile);
  const [action, ...more] = (await provider.provideCodeActions(doc as never, root.range as never, { diagnostics: problems.get(dockerfile)!, triggerKind: 1, only: undefined } as never, undefined as never)) as vscodeTypes.CodeAction[];
  assert.equal(more.length, 0, 'only the finding with a mechanical fix has one');
  assert.equal(action.title, 'Fix: add USER 10001 before the command runs');
  assert.equal(action.isPreferred, true);
  await fake.api.workspace.applyEdit(action.edit!);
  assert.equal(fs.readFileSync(dockerfile, 'utf8'), fs.readFileSync(path.join(CORPUS, 'workspace', 'Dockerfile'), 'utf8').replace('CMD [', 'USER 10001\nCMD ['));
  assert.equal(problems.get(dockerfile), undefined, 'an edited file loses its (now drifting) marks');

  // Quick fix on the Kubernetes container: runAsNonRoot under its securityContext, at the right indentation.
  const k8sDoc = fake.documents$.open(deploy);
  const [k8sAction] = (await provider.provideCodeActions(k8sDoc as never, k8sRoot.range as never, { diagnostics: [k8sRoot], triggerKind: 1, only: undefined } as never, undefined as never)) as vscodeTypes.CodeAction[];
  assert.equal(k8sAction.title, 'Fix: add runAsNonRoot: true to the securityContext');
  await fake.api.workspace.applyEdit(k8sAction.edit!);
  const k8sLines = fs.readFileSync(deploy, 'utf8').split('\n');
  assert.deepEqual(k8sLines.slice(11, 14), ['          securityContext:', '            runAsNonRoot: true', '            privileged: true']);

  // The rerun puts the marks back, minus the fixed ones.
  await runAudit(fake, 'all');
  assert.equal(problems.get(dockerfile)!.some((d) => d.code === 'container-root'), false, 'the fixed Dockerfile runs as USER 10001');
  assert.equal(problems.get(deploy)!.some((d) => d.code === 'container-root'), false);

  // Quick fix on the unpinned image: the digest .imgpkg/images.yml (a Carvel ImagesLock) pins nginx:1.25 at.
  const unpinned = problems.get(deploy)!.find((d) => d.code === 'unpinned-image')!;
  const [pinAction] = (await provider.provideCodeActions(fake.documents$.open(deploy) as never, unpinned.range as never, { diagnostics: [unpinned], triggerKind: 1, only: undefined } as never, undefined as never)) as vscodeTypes.CodeAction[];
  assert.equal(pinAction.title, 'Fix: pin nginx:1.25 to sha256:f7988fb6c02e… (pinned at .imgpkg/images.yml:5)');
  await fake.api.workspace.applyEdit(pinAction.edit!);
  assert.equal(fs.readFileSync(deploy, 'utf8').split('\n')[10], '          image: nginx:1.25@sha256:f7988fb6c02e0ce69257d9bd9cf37ae20a60f1df7563c3a2a6abe24160306b8d');
  await runAudit(fake, 'all');
  assert.equal(problems.get(deploy)!.some((d) => d.code === 'unpinned-image'), false, 'the pinned image is no longer reported');
  const latest = problems.get(dockerfile)!.find((d) => d.code === 'unpinned-image')!;
  const latestActions = await provider.provideCodeActions(fake.documents$.open(dockerfile) as never, latest.range as never, { diagnostics: [latest], triggerKind: 1, only: undefined } as never, undefined as never);
  assert.deepEqual(latestActions, [], 'node:latest is pinned nowhere: no fix (the digest is not guessed)');

  // The panel: traffic findings with masked evidence, per-framework summaries; a click opens the exchange or the place.
  const panel = fakePanel(AuditPanel.current!.panel);
  panel.webview.receive({ kind: 'ready' });
  const event = panel.webview.posted.at(-1) as { name: string; result: AuditResult };
  assert.equal(event.name, 'audit');
  const pan = event.result.findings.find((f) => f.ruleId === 'pan-exposed' && 'exchangeId' in f.location)!;
  assert.deepEqual([(pan.location as { exchangeId: number }).exchangeId, pan.evidence], [2, 'Visa 411111******1111 (next to a card field)']);
  assert.deepEqual(event.result.summaries.map((s) => s.framework), ['fisma', 'fedramp', 'soc2', 'hipaa', 'pci-dss']);
  const pci = event.result.summaries.find((s) => s.framework === 'pci-dss')!;
  assert.ok(pci.failing.includes('3.4.1'));
  assert.deepEqual(pci.notAssessed, [], 'every PCI control of the matrix has a rule that read the corpus');
  panel.webview.receive({ kind: 'request', id: 7, method: 'openExchange', params: { id: 2 } });
  panel.webview.receive({ kind: 'request', id: 8, method: 'openLocation', params: { file: 'nginx/nginx.conf', line: 3, column: 1 } });
  panel.webview.receive({ kind: 'request', id: 9, method: 'openLocation', params: { file: '../outside', line: 1, column: 1 } });
  await waitFor(() => panel.webview.posted.filter((m) => (m as { kind: string }).kind === 'reply').length === 3, 5_000, 'three replies');
  assert.deepEqual(exchanges, [2]);
  assert.deepEqual(fake.opened, [path.join(folder, 'nginx', 'nginx.conf')]);
  const outside = panel.webview.posted.find((m) => (m as { id?: number }).id === 9) as { ok: boolean; error: string };
  assert.deepEqual([outside.ok, outside.error], [false, '../outside is outside the workspace']);
});

test('one framework: only its control ids in the messages', { timeout: 60_000 }, async (t) => {
  const { folder, db } = await corpusWorkspace(t);
  const fake = fakeVscode({ folder });
  features(t, fake, db);
  await runAudit(fake, 'pci-dss');
  const root = fake.diagnostics.get('chaos-compliance')!.get(path.join(folder, 'Dockerfile'))!.find((d) => d.code === 'container-root')!;
  assert.match(root.message, /^\[PCI-DSS 7\.2\.1, 7\.2\.2\] Container runs as root/);
});

test('Restricted Mode: the audit runs (it only reads) but never probes TLS, whatever the setting says', { timeout: 60_000 }, async (t) => {
  const { folder, db } = await corpusWorkspace(t);
  const fake = fakeVscode({ folder, trusted: false, settings: { 'chaosTesting.audit.probeTls': true } });
  features(t, fake, db);
  const output = await runAudit(fake, 'all');
  assert.doesNotMatch(output, /--probe-tls/);
  assert.match(output, /--image-tool none/, 'no local container tool is run for an untrusted workspace');
  assert.ok(fake.diagnostics.get('chaos-compliance')!.get(path.join(folder, 'Dockerfile'))!.length > 0);
  // A tasks.json entry asking for the probe does not get it either.
  assert.equal(auditArgs(db, folder, { framework: 'all', probeTls: true }, false).includes('--probe-tls'), false);
  assert.equal(auditArgs(db, folder, { framework: 'all', probeTls: true }, true).includes('--probe-tls'), true);
  const provider = fake.taskProviders.get(AUDIT_TASK_TYPE)!;
  const offered = (await provider.provideTasks(undefined as never))!;
  assert.deepEqual(offered.map((x) => x.definition), [{ type: AUDIT_TASK_TYPE, framework: 'all' }]);
});

test('control ids: NIST once for FISMA and FedRAMP, frameworks in a fixed order', () => {
  assert.equal(controlTag({ frameworks: { hipaa: ['164.312(b)'], fedramp: ['AU-2(b)', 'AU-12'], fisma: ['AU-2(b)'], 'pci-dss': ['10.2.1'] } }), '[PCI-DSS 10.2.1, NIST AU-2(b), AU-12, HIPAA 164.312(b)]');
  assert.equal(controlTag({ frameworks: {} }), '');
});
