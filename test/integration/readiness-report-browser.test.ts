/**
 * The readiness HTML report of a real `chaos-testing ci` run (built CLI, the property-testing example backend on
 * 127.0.0.1) rendered by Chromium from its file: the latency and recovery charts drew on their canvases, the
 * coverage bars are in the SVG, nothing was fetched but the file, and there was no console error or CSP
 * violation. The screenshot goes to test-results/readiness-report.png (and to docs/readiness-report.png, the one
 * the README shows, with UPDATE_DOCS_SCREENSHOTS=1).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { ROOT, requireTool, runCliAsync } from '../helpers';
import { READINESS_ENV, readinessWorkspace } from '../helpers/readinessWorkspace';
import { API_TOKEN } from '../helpers/propertiesBackend';
import { CHROMIUM } from '../helpers/webviewPage';

const SUITE = `name: items API
target: "{target}"
properties:
  runs: 20
  seed: 3
  max-steps: 5
  invariants:
    - latency_bounded: 2000
experiments:
  - file: .chaos/experiments/partition.yaml
    max-recovery-time: 5s
load:
  profile: ramp-up
  from: 1
  to: 4
  requests: [{path: /api/health}, {path: /api/items, headers: {authorization: "Bearer ${API_TOKEN}"}}]
  duration: 4s
  slo: "p99<2000ms,errors<1%"
audit:
  frameworks: [fisma, fedramp, soc2, hipaa, pci-dss]
  workspace: ''
`;

test('the HTML report renders in Chromium: charts drawn, no network, no console error', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'chromium', 'chromium')) return;
  const ws = await readinessWorkspace(t);
  ws.writeSuite(SUITE);
  const r = await runCliAsync(['ci'], { cwd: ws.dir, env: READINESS_ENV, timeoutMs: 100_000 });
  assert.equal(r.code, 0, r.stderr);
  const report = path.join(ws.reports, 'report.html');

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'], headless: true });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (req) => requests.push(req.url()));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
  });
  await page.goto(pathToFileURL(report).href);
  await page.waitForFunction(() => document.body.getAttribute('data-charts-drawn') !== null, undefined, { timeout: 10_000 });

  assert.equal(await page.getAttribute('body', 'data-charts-drawn'), '2');
  // A canvas that uPlot drew has coloured pixels: count the non-transparent ones of each.
  const painted = await page.$$eval('.chart canvas', (canvases) => canvases.map((c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return { width: canvas.width, n };
  }));
  assert.equal(painted.length, 2);
  for (const c of painted) assert.ok(c.width > 300 && c.n > 500, `a chart drew: ${JSON.stringify(c)}`);
  assert.equal(await page.locator('svg.coverage rect.bar-compliant').count() >= 5, true, 'a compliant bar per framework');
  assert.equal(await page.locator('table.checks tbody tr.passed').count(), 4);
  assert.deepEqual(requests, [pathToFileURL(report).href], 'nothing fetched but the file itself');
  assert.deepEqual(problems, []);

  const shot = path.join(ROOT, 'test-results', 'readiness-report.png');
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(fs.statSync(shot).size > 20_000);
  if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') fs.copyFileSync(shot, path.join(ROOT, 'docs', 'readiness-report.png'));
});
