/**
 * The experiment results panel in a real Chromium, against the real host class (ExperimentResultsPanel, RpcHost)
 * on a fake `vscode`: under the CSP the host builds, the numbers of the result are on the page, uPlot draws its
 * canvas (with the failed probes' series), and nothing violates the CSP or logs an error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExperimentResultsPanel } from '../../src/extension/panels/experimentResultsPanel';
import { sampleResult } from '../helpers/experimentResult';
import { waitFor } from '../helpers';
import { webviewHarness } from '../helpers/webviewPage';

test('experiment results panel in Chromium: status, recovery, error rate, phase percentiles, timeline and the latency chart', { timeout: 120_000 }, async (t) => {
  const h = await webviewHarness(t);
  if (!h) return;
  t.after(() => ExperimentResultsPanel.current?.dispose());
  const result = sampleResult();
  ExperimentResultsPanel.show(h.vscode, h.extensionUri, result, '/w/.chaos/experiments/slow-redis.yaml');
  const panel = h.panels[0];
  assert.equal(panel.title, '✓ Redis slows down');
  assert.match(panel.webview.html, /experimentResults\.css/);
  const { page, problems, state } = await h.open(panel, { theme: { '--vscode-foreground': 'rgb(200, 201, 202)' } });

  await page.locator('[data-testid=result]').waitFor({ timeout: 15_000 });
  const text = async (sel: string): Promise<string> => (await page.locator(sel).first().innerText()).trim();
  assert.equal(await text('[data-testid=title]'), 'Redis slows down');
  assert.equal(await text('[data-testid=status]'), 'Hypothesis held');
  assert.equal(await text('[data-testid=recovery-value]'), '1.23 s (3 consecutive)');
  assert.equal(await text('[data-testid=error-rate-value]'), '25.0 %');
  assert.equal(await text('[data-testid=hypothesis-before-value]'), '1/1 probes passed');
  assert.equal(await text('[data-testid=phase-fault] [data-testid=p50]'), '213 ms');
  assert.equal(await text('[data-testid=phase-fault] [data-testid=p99]'), '321.5 ms');
  assert.equal(await text('[data-testid=phase-baseline] [data-testid=p95]'), '7 ms');
  assert.equal(await page.locator('[data-testid=timeline-row]').count(), 4);
  assert.match(await text('[data-testid=chart-note]'), /^80 probes, 8 failed/);

  // uPlot's canvas, sized to the panel, with a legend naming both series.
  const canvas = page.locator('[data-testid=chart] canvas');
  await canvas.waitFor({ timeout: 10_000 });
  const box = await canvas.boundingBox();
  assert.ok(box && box.width >= 300 && box.height >= 150, `canvas ${JSON.stringify(box)}`);
  assert.match(await text('[data-testid=chart] .u-legend'), /probe ok[\s\S]*probe failed/);
  // The canvas is drawn, not blank: a fault band and the line leave many distinct pixels.
  const colours = await page.evaluate(() => {
    const c = document.querySelector('[data-testid=chart] canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 16) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2] | (d[i + 3] << 24));
    return seen.size;
  });
  assert.ok(colours > 5, `the chart drew something (${colours} colours)`);

  // Another result replaces the one shown, in the same panel.
  ExperimentResultsPanel.show(h.vscode, h.extensionUri, sampleResult({ title: 'DB down', status: 'completed', hypothesisHeld: false, recoveryTimeMs: null, recoveredSuccessfully: false }));
  await waitFor(async () => (await text('[data-testid=title]')) === 'DB down', 10_000, 'the second result');
  assert.equal(h.panels.length, 1);
  assert.equal(panel.title, '✗ DB down');
  assert.equal(await text('[data-testid=status]'), 'Hypothesis failed after the method');
  assert.equal(await text('[data-testid=recovery-value]'), 'did not recover');
  assert.equal((await state() as { result: { title: string } }).result.title, 'DB down', 'kept in the webview state');
  assert.deepEqual(await problems(), []);
});
