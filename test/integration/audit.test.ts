import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as tls from 'node:tls';
import AjvDraft04 from 'ajv-draft-04';
import { findingLabel } from '../../src/core/compliance/corpus';
import { runAudit } from '../../src/core/compliance/engine';
import { toSarif } from '../../src/core/compliance/sarif';
import { FRAMEWORKS } from '../../src/core/compliance/types';
import { importHar } from '../../src/core/har/import';
import { openForReading } from '../../src/core/store/reader';
import { CLI, ROOT, tmpDir } from '../helpers';
import { makeTestCa } from '../helpers/testCa';

const CORPUS = path.join(ROOT, 'test', 'fixtures', 'compliance');
const WORKSPACE = path.join(CORPUS, 'workspace');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(CORPUS, 'expected.json'), 'utf8')) as { findings: string[]; fixes: Record<string, string> };
const EXPECTED = MANIFEST.findings;
const NOW = Date.UTC(2025, 0, 31);

async function corpusDb(dir: string): Promise<string> {
  const db = path.join(dir, 'traffic.db');
  await importHar(path.join(CORPUS, 'traffic.har'), db, { enabled: false, extraFields: [] });
  return db;
}

test('the audit of the labelled corpus reports exactly the expected findings, no more, no fewer', async (t) => {
  const db = await corpusDb(tmpDir(t));
  const r = await runAudit({ frameworks: [...FRAMEWORKS], traffic: db, workspace: WORKSPACE, now: NOW });
  assert.deepEqual(r.findings.map(findingLabel).sort(), [...EXPECTED].sort());
  assert.deepEqual(r.inputs.skipped.map((s) => s.input), ['k8s/broken.yaml']);
  assert.match(r.inputs.skipped[0].reason, /YAML does not parse \(line \d+/);
  const json = JSON.stringify(r);
  for (const raw of ['4111 1111 1111 1111', '5555555555554444', '512-44-1234', 'Zx9fK2pQ7vL3mN8rT4wY', 'AKIAZ3MSJV2QXHK7PL4N', 'Tr0ub4dor', 's3cr3t-Pa55w0rd', 'Xk29!vQe']) {
    assert.ok(!json.includes(raw), `the result leaks ${raw.slice(0, 4)}…`);
  }
  assert.ok(r.findings.some((f) => f.evidence === 'Visa 411111******1111 (next to a card field)'));
  assert.ok(r.findings.some((f) => f.evidence === 'SSN ***-**-1234 in the URL'));
  const pci = r.summaries.find((s) => s.framework === 'pci-dss')!;
  assert.ok(pci.failing.includes('3.4.1') && pci.failing.includes('7.2.1'));
  const filesOnly = await runAudit({ frameworks: ['pci-dss'], workspace: WORKSPACE, now: NOW, imageTool: null });
  assert.ok(filesOnly.summaries[0].notAssessed.includes('7.3.1'), 'controls only traffic shows are not assessed without traffic');
  assert.deepEqual([...pci.compliant, ...pci.failing].sort(), [...pci.assessed].sort());
  assert.equal(r.summaries.find((s) => s.framework === 'fedramp')!.assessed.includes('SC-6'), false);
});

test('mechanical fixes: USER before CMD, a securityContext at the container indentation, a digest the workspace pins', async () => {
  // imageTool null: a docker on the machine running the tests must not add pins the manifest does not list.
  const r = await runAudit({ frameworks: ['fisma'], workspace: WORKSPACE, now: NOW, imageTool: null });
  const fixes = Object.fromEntries(r.findings.filter((f) => f.fix).map((f) => [findingLabel(f), f.fix!.replace ?? f.fix!.insert]));
  assert.deepEqual(fixes, MANIFEST.fixes);
  const pin = r.findings.find((f) => f.ruleId === 'unpinned-image' && f.fix)!;
  assert.deepEqual(pin.fix, { file: 'k8s/deploy.yaml', line: 11, replace: MANIFEST.fixes['unpinned-image @ k8s/deploy.yaml:11:18'], description: 'pin nginx:1.25 to sha256:f7988fb6c02e… (pinned at .imgpkg/images.yml:5)' });
  const docker = r.findings.find((f) => f.ruleId === 'container-root' && 'file' in f.location && f.location.file === 'Dockerfile')!;
  assert.deepEqual(docker.fix, { file: 'Dockerfile', line: 5, insert: 'USER 10001\n', description: 'add USER 10001 before the command runs' });
  const k8s = r.findings.find((f) => f.ruleId === 'container-root' && 'file' in f.location && f.location.file === 'k8s/deploy.yaml')!;
  assert.deepEqual(k8s.fix, { file: 'k8s/deploy.yaml', line: 13, insert: '            runAsNonRoot: true\n', description: 'add runAsNonRoot: true to the securityContext' });
});

test('SARIF 2.1.0: rules with help and control tags, file regions and traffic artifacts; valid against the SARIF 2.1.0 JSON Schema', async (t) => {
  const db = await corpusDb(tmpDir(t));
  const r = await runAudit({ frameworks: [...FRAMEWORKS], traffic: db, workspace: WORKSPACE, now: NOW });
  const sarif = toSarif(r) as { runs: Array<{ tool: { driver: { rules: Array<{ id: string; help: { text: string }; properties: { tags: string[] } }> } }; results: Array<{ ruleId: string; level: string; locations: Array<{ physicalLocation: { region?: unknown; artifactLocation: { uri: string } } }> }> }> };
  const run = sarif.runs[0];
  assert.equal(run.results.length, EXPECTED.length);
  const pan = run.tool.driver.rules.find((x) => x.id === 'pan-exposed')!;
  assert.ok(pan.properties.tags.includes('PCI-DSS:3.4.1') && pan.help.text.length > 20);
  const file = run.results.find((x) => x.ruleId === 'tls-weak')!;
  assert.deepEqual(file.locations[0].physicalLocation.region, { startLine: 3, startColumn: 1, endLine: 3, endColumn: 32 });
  assert.equal(file.level, 'error');
  const traffic = run.results.find((x) => x.ruleId === 'ssn-in-url')!;
  assert.match(traffic.locations[0].physicalLocation.artifactLocation.uri, /traffic\.db#exchange\/4$/);
  // The OASIS schema as @microsoft/jest-sarif ships it (a devDependency): the output must be what code-scanning accepts.
  const schemaFile = path.join(ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
  // The published schema is draft-04.
  const ajv = new AjvDraft04({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
  const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
  const validate = ajv.compile(schema);
  assert.ok(validate(JSON.parse(JSON.stringify(sarif))), JSON.stringify(validate.errors?.slice(0, 3)));
  // The schema check can fail: a result without its required message is refused.
  const broken = JSON.parse(JSON.stringify(sarif));
  delete broken.runs[0].results[0].message;
  assert.equal(validate(broken), false);
});

test('TLS probe of a loopback HTTPS server: an untrusted certificate, then an expired one (clock moved)', async (t) => {
  const ca = await makeTestCa(t, 'audit');
  const leaf = await ca.leaf('127.0.0.1');
  const server = tls.createServer({ cert: leaf.cert, key: leaf.key, minVersion: 'TLSv1.2' }, (s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const { probeTls } = await import('../../src/core/compliance/tlsProbe');
  const probe = await probeTls('127.0.0.1', port);
  assert.equal(probe.error, null);
  assert.match(probe.protocol ?? '', /^TLSv1\.[23]$/);
  assert.equal(probe.authorized, false);
  const { certExpiry } = await import('../../src/core/compliance/rules/cert-expiry');
  const { tlsWeak } = await import('../../src/core/compliance/rules/tls-weak');
  assert.deepEqual(tlsWeak.tls!(probe, Date.now()), []);
  assert.match(certExpiry.tls!(probe, Date.now())[0].message, /not trusted/);
  assert.match(certExpiry.tls!(probe, probe.validTo! + 86_400_000 * 3)[0].message, /expired 3 day/);
});

test('CLI: exit 1 on a high violation, 0 with --fail-on none; text report, SARIF file, run and findings stored', async (t) => {
  if (!fs.existsSync(CLI)) return t.skip('run npm run build first');
  const dir = tmpDir(t);
  const db = await corpusDb(dir);
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'audit', '-i', db, '-w', WORKSPACE, ...args], { encoding: 'utf8', timeout: 60_000 });
  const text = cli('--framework', 'pci-dss');
  assert.equal(text.status, 1, text.stderr);
  assert.match(text.stdout, /PCI-DSS v4\.0: \d+ of \d+ controls assessed compliant/);
  assert.match(text.stdout, /\[HIGH\] pan-exposed: Visa card number 411111\*\*\*\*\*\*1111/);
  assert.match(text.stdout, /at k8s\/deploy\.yaml:8:7/);
  assert.match(text.stdout, /covers only the controls it can observe/);
  assert.match(text.stdout, /#4 cert-expiry: /, 'a TLS-only rule without --probe-tls is listed as not run');
  const sarifFile = path.join(dir, 'audit.sarif');
  const ok = cli('--format', 'sarif', '--output', sarifFile, '--fail-on', 'none');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(fs.readFileSync(sarifFile, 'utf8')).version, '2.1.0');
  const json = JSON.parse(cli('--format', 'json', '--framework', 'hipaa,soc2', '--fail-on', 'low').stdout);
  assert.deepEqual(json.summaries.map((x: { framework: string }) => x.framework), ['hipaa', 'soc2']);
  assert.equal(json.findings.every((f: { frameworks: object }) => Object.keys(f.frameworks).every((k) => k === 'hipaa' || k === 'soc2')), true);
  const bad = cli('--framework', 'iso27001');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--framework 'iso27001' is not one of/);
  const store = await openForReading(db);
  try {
    const runs = store.query("SELECT id FROM runs WHERE kind = 'audit'");
    assert.equal(runs.length, 3);
    const rows = store.query('SELECT rule, severity, exchange_id FROM findings WHERE run_id = ?', [runs[1].id]); // the all-frameworks SARIF run
    assert.equal(rows.length, EXPECTED.length);
    assert.ok(rows.some((r) => r.rule === 'ssn-in-url' && r.exchange_id === 4 && r.severity === 'high'));
  } finally {
    store.close();
  }
});

test('--probe-tls end to end: a loopback server that still speaks TLS 1.1 is reported at the exchange that reached it', async (t) => {
  const dir = tmpDir(t);
  const ca = await makeTestCa(t, 'audit-old');
  const leaf = await ca.leaf('127.0.0.1');
  const server = tls.createServer({ cert: leaf.cert, key: leaf.key, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'ALL:@SECLEVEL=0' }, (s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `https://127.0.0.1:${(server.address() as { port: number }).port}/api`;
  const entry = (u: string) => ({
    startedDateTime: '2025-01-31T12:00:00.000Z', time: 1, cache: {}, timings: { send: 0, wait: 1, receive: 0 },
    request: { method: 'GET', url: u, httpVersion: 'HTTP/1.1', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
    response: { status: 200, statusText: '', httpVersion: 'HTTP/1.1', headers: [{ name: 'strict-transport-security', value: 'max-age=31536000' }, { name: 'x-content-type-options', value: 'nosniff' }], cookies: [], content: { size: 0, mimeType: 'application/json' }, redirectURL: '', headersSize: -1, bodySize: 0 },
  });
  const har = path.join(dir, 'tls.har');
  fs.writeFileSync(har, JSON.stringify({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: [entry('http://127.0.0.1:1/plain'), entry(url)] } }));
  const db = path.join(dir, 'traffic.db');
  await importHar(har, db, { enabled: false, extraFields: [] });
  const withoutProbe = await runAudit({ frameworks: ['pci-dss'], traffic: db });
  assert.equal(withoutProbe.summaries[0].assessed.includes('4.2.1.1'), false, 'TLS controls are not assessed without --probe-tls');
  const r = await runAudit({ frameworks: ['pci-dss'], traffic: db, probeTls: true });
  assert.deepEqual(r.inputs.tlsTargets, [new URL(url).host]);
  const weak = r.findings.find((f) => f.ruleId === 'tls-weak')!;
  assert.match(weak.message, /accepted TLSv1\.1 \(deprecated\)/);
  assert.deepEqual(weak.location, { exchangeId: 2, url });
  assert.ok(r.findings.some((f) => f.ruleId === 'cert-expiry' && /not trusted/.test(f.message)));
  assert.ok(r.summaries[0].failing.includes('4.2.1.1'));
});
