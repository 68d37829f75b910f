import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { findingLabel } from '../../src/core/compliance/corpus';
import { runAudit } from '../../src/core/compliance/engine';
import { importHar } from '../../src/core/har/import';
import { CLI, ROOT, tmpDir } from '../helpers';

// The rules added for matrix checks #12, #13, #17, #23, #26, #27, #29 and #30, beyond the labelled corpus.
const CORPUS = path.join(ROOT, 'test', 'fixtures', 'compliance');
const NOW = Date.UTC(2025, 0, 31);

async function corpusDb(dir: string): Promise<string> {
  const db = path.join(dir, 'traffic.db');
  await importHar(path.join(CORPUS, 'traffic.har'), db, { enabled: false, extraFields: [] });
  return db;
}

const labels = (r: Awaited<ReturnType<typeof runAudit>>, rule: string): string[] => r.findings.filter((f) => f.ruleId === rule).map(findingLabel).sort();

test('slo-breach: the bounds are options; the 20-request minimum keeps 1 × 500 in 3 requests quiet until lowered', async (t) => {
  const db = await corpusDb(tmpDir(t));
  const byDefault = await runAudit({ frameworks: ['soc2'], traffic: db });
  assert.deepEqual(labels(byDefault, 'slo-breach'), ['slo-breach @ #40', 'slo-breach @ #75']);
  const p99 = byDefault.findings.find((f) => findingLabel(f) === 'slo-breach @ #75')!;
  assert.match(p99.evidence, /^p99 4200 ms > 2000 ms; slowest 4200 ms \(exchange #75\) of 20 timed requests$/);
  const lowMinimum = await runAudit({ frameworks: ['soc2'], traffic: db, slo: { minRequests: 3 } });
  assert.ok(labels(lowMinimum, 'slo-breach').includes('slo-breach @ #62'), 'GET /catalog: 1 of 3 is 33 %');
  const looser = await runAudit({ frameworks: ['soc2'], traffic: db, slo: { maxP99Ms: 5000, max5xxShare: 0.2 } });
  assert.deepEqual(labels(looser, 'slo-breach'), []);
});

test('CLI: --slo-5xx and --slo-p99 set the bounds; a bad number is a usage error', async (t) => {
  if (!fs.existsSync(CLI)) return t.skip('run npm run build first');
  const db = await corpusDb(tmpDir(t));
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'audit', '-i', db, '-w', '', '-f', 'soc2', '--format', 'json', '--fail-on', 'none', ...args], { encoding: 'utf8', timeout: 60_000 });
  const loose = cli('--slo-5xx', '20', '--slo-p99', '5000');
  assert.equal(loose.status, 0, loose.stderr);
  assert.equal(JSON.parse(loose.stdout).findings.filter((f: { ruleId: string }) => f.ruleId === 'slo-breach').length, 0);
  const strict = cli('--slo-p99', '20'); // /search answers in 30 ms: now over the bound too
  const found = JSON.parse(strict.stdout).findings.filter((f: { ruleId: string }) => f.ruleId === 'slo-breach').map((f: { message: string }) => f.message);
  assert.equal(found.length, 3);
  assert.ok(found.some((m: string) => m.includes('/search')));
  const bad = cli('--slo-p99', 'fast');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--slo-p99 'fast' is not a number/);
});

test('log-retention: logrotate globals are each stanza\'s defaults, maxage caps rotate, unknown periods are no finding', async () => {
  const { logRetention } = await import('../../src/core/compliance/rules/log-retention');
  const text = ['weekly', 'rotate 4', '/var/log/a.log {', '}', '/var/log/b.log {', '    rotate 52', '}', '/var/log/c.log {', '    daily', '    rotate 365', '    maxage 30', '}', '/var/log/d.log {', '    size 10M', '}'].join('\n');
  const hits = logRetention.files!.scan({ path: 'logrotate.conf', kind: 'logrotate', text }, NOW, { digestOf: () => undefined });
  assert.deepEqual(hits.map((h) => [h.evidence, h.at?.line]), [['/var/log/a.log: rotate 4 × weekly', 2], ['/var/log/c.log: maxage 30', 11]]);
  const quiet = logRetention.files!.scan({ path: 'logrotate.d/x', kind: 'logrotate', text: '/var/log/x.log {\n  rotate 3\n}\n' }, NOW, { digestOf: () => undefined });
  assert.deepEqual(quiet, [], 'rotate without a period says nothing about days');
});

test('outdated-component: the dated end-of-life table judges official images only, and server versions without CVE claims', async () => {
  const { imageEndOfLife, outdatedProducts } = await import('../../src/core/compliance/detect/endOfLife');
  const ended = ['node:14', 'node:21-slim', 'python:2.7', 'python:3.8-slim', 'debian:buster-slim', 'debian:10', 'ubuntu:18.04', 'ubuntu:bionic', 'alpine:3.16', 'openjdk:17', 'centos:7', 'php:7.4-fpm', 'python:3.12-buster', 'node:20-alpine3.16', 'docker.io/library/node:16'];
  for (const image of ended) assert.ok(imageEndOfLife(image), `${image} is end of life`);
  const maintained = ['node:18', 'node:20-alpine', 'node:latest', 'python:3.9', 'python:3.12-bookworm', 'debian:bookworm', 'debian:12', 'ubuntu:22.04', 'alpine:3.20', 'nginx:1.25', 'myorg/node:14', 'ghcr.io/acme/python:2.7', 'eclipse-temurin:8-jre'];
  for (const image of maintained) assert.equal(imageEndOfLife(image), null, image);
  assert.deepEqual(outdatedProducts('Apache/2.4.41 (Ubuntu) OpenSSL/1.1.1f'), [{ product: 'Apache httpd', version: '2.4.41', minimum: '2.4.58' }, { product: 'OpenSSL', version: '1.1.1', minimum: '3.0' }]);
  assert.deepEqual(outdatedProducts('nginx/1.24.0'), []);
  assert.deepEqual(outdatedProducts('Express'), [], 'a name without a version is disclosure, not outdatedness');
  assert.deepEqual(outdatedProducts('PHP/8.0.30').map((p) => p.product), ['PHP']);
});

test('auth-not-enforced: an ignored_auth violation stored by a properties run is reported with the run as evidence', async (t) => {
  const db = await corpusDb(tmpDir(t));
  const { TrafficDb } = await import('../../src/core/store/database');
  const store = await TrafficDb.open(db);
  const violation = { check: 'ignored_auth', kind: 'check', endpoint: 'GET /api/items/{itemId}', message: 'GET /api/items/{itemId} returned 200 without credentials (expected 401 or 403)', minimalExample: [{ path: '/api/items/3' }] };
  store.addRun({ kind: 'properties', spec: {}, result: { target: 'http://127.0.0.1:9000', violations: [violation, { ...violation, check: 'not_a_server_error' }] }, startedAt: NOW, finishedAt: NOW });
  store.addRun({ kind: 'load', spec: {}, result: { violations: [violation] }, startedAt: NOW, finishedAt: NOW }); // another kind: not read
  store.save();
  store.close();
  const r = await runAudit({ frameworks: ['pci-dss'], traffic: db });
  const fromRun = r.findings.filter((f) => f.ruleId === 'auth-not-enforced' && 'exchangeId' in f.location && f.location.exchangeId === 0);
  assert.equal(fromRun.length, 1);
  assert.match(fromRun[0].message, /^properties run 1: GET \/api\/items\/\{itemId\} returned 200 without credentials/);
  assert.deepEqual(fromRun[0].location, { exchangeId: 0, url: 'http://127.0.0.1:9000/api/items/3' });
  assert.deepEqual(fromRun[0].frameworks['pci-dss'], ['7.2.1', '7.3.1']);
});

test('waf-missing: a Cloud Armor BackendConfig next to a GCE Ingress is a WAF; without it the Ingress is reported', async () => {
  const { wafMissing } = await import('../../src/core/compliance/rules/waf-missing');
  const ingress = 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  annotations:\n    kubernetes.io/ingress.class: gce\nspec:\n  rules:\n    - host: www.example.com\n';
  const armor = '---\napiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata:\n  name: web\nspec:\n  securityPolicy:\n    name: edge-policy\n';
  const scan = (text: string) => wafMissing.files!.scan({ path: 'web.yaml', kind: 'kubernetes', text }, NOW, { digestOf: () => undefined });
  assert.deepEqual(scan(ingress).map((h) => h.at?.line), [4]);
  assert.deepEqual(scan(ingress + armor), []);
});

test('cross-tenant-access: credentials redacted at import are still told apart (HMAC markers are stable per value)', async (t) => {
  const db = path.join(tmpDir(t), 'redacted.db');
  await importHar(path.join(CORPUS, 'traffic.har'), db, { enabled: true, extraFields: [] });
  const r = await runAudit({ frameworks: ['pci-dss'], traffic: db });
  assert.deepEqual(labels(r, 'cross-tenant-access'), ['cross-tenant-access @ #197']);
  assert.deepEqual(labels(r, 'auth-not-enforced'), ['auth-not-enforced @ #187']);
  assert.ok(!JSON.stringify(r).includes('tok-bob'), 'credentials are compared, never shown');
});
