/**
 * Run Readiness Suite in a real VS Code (code-server in Chromium): the palette command runs the packaged CLI as a task
 * over the workspace's .chaos/suite.yaml against the property-testing example backend (its traffic captured through
 * the real capture proxy first); the Readiness panel (a webview) lists a row per check, and its "Open HTML report"
 * link opens the report in a webview of its own where uPlot draws the latency and recovery charts under the page's
 * nonce CSP.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { readinessWorkspace } from '../helpers/readinessWorkspace';
import { EDITOR_TEST_TIMEOUT, requireEditor, withEditor } from './harness';

test('Run Readiness Suite: the Readiness panel lists every check, the HTML report opens with its charts drawn', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  const ws = await readinessWorkspace(t);
  ws.writeSuite(`name: items API
target: "{target}"
tests:
  - name: health answers
    command: node -e "process.exit(0)"
experiments:
  - file: .chaos/experiments/partition.yaml
    max-recovery-time: 5s
load:
  requests: [{path: /api/health}]
  connections: 2
  duration: 2s
  slo: "p99<2000ms"
audit:
  frameworks: [soc2, pci-dss]
  workspace: ''
`);
  await withEditor({ name: 'run-readiness', folder: ws.dir }, async (ed) => {
    await ed.runCommand('Chaos Testing: Run Readiness Suite');
    const panel = await ed.webviewFrame((f) => f.locator('table.checks tr.check').count().then((n) => n === 4));
    assert.deepEqual(await panel.locator('tr.check').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-kind'), r.classList.contains('passed')])), [
      ['tests', true], ['chaos', true], ['load', true], ['audit', true],
    ]);
    assert.match(await panel.locator('h1').innerText(), /items API: ready/);
    await ed.screenshot('readiness-panel');

    await panel.locator('#open-report').click();
    const report = await ed.webviewFrame((f) => f.locator('body[data-charts-drawn="2"]').count().then((n) => n === 1));
    assert.equal(await report.locator('.chart canvas').count(), 2);
    assert.ok((await report.locator('svg.coverage rect').count()) > 2, 'the coverage bars');
    assert.match(await report.locator('h1').innerText(), /Production readiness: items API — ready/);
    await ed.screenshot('readiness-report');
  });
});
