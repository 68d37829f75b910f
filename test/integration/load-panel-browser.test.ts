/**
 * The load panels in a real Chromium, against the real host classes (LoadTestPanel, LoadComparePanel, RpcHost) on a
 * fake `vscode`: under the CSP the host builds, ticks pushed one by one redraw the three uPlot charts and the live
 * numbers; the result adds the SLO verdicts (with where each broke), percentiles, errors by kind, endpoints, the
 * breaking point and the drift; a page VS Code reloads gets the whole state back; the comparison shows deltas and
 * both timelines. Nothing violates the CSP or logs an error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { LoadComparePanel } from '../../src/extension/panels/loadComparePanel';
import { LoadTestPanel } from '../../src/extension/panels/loadTestPanel';
import { waitFor } from '../helpers';
import { sampleLoadResult, sampleTick } from '../helpers/loadResult';
import { webviewHarness } from '../helpers/webviewPage';

const text = async (page: Page, sel: string): Promise<string> => (await page.locator(sel).first().innerText()).trim();

/** Distinct colours on a chart's canvas: a drawn line leaves many, an empty plot a few. */
async function colours(page: Page, chart: string): Promise<number> {
  return page.evaluate((sel) => {
    const c = document.querySelector(`${sel} canvas`) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  }, chart);
}

test('load test panel in Chromium: live charts from ticks, then the summary tables; state survives a reload', { timeout: 120_000 }, async (t) => {
  const h = await webviewHarness(t);
  if (!h) return;
  t.after(() => LoadTestPanel.current?.dispose());
  const host = LoadTestPanel.start(h.vscode, h.extensionUri, { name: 'checkout ramp-up', target: 'http://127.0.0.1:3000', durationMs: 5000 });
  const panel = h.panels[0];
  assert.equal(panel.title, 'Load: checkout ramp-up');
  assert.match(panel.webview.html, /loadTest\.js/);
  assert.match(panel.webview.html, /loadTest\.css/);
  host.tick(sampleTick(1)); // before the page listens: kept by the host, sent with the state on ready
  const { page, problems, state } = await h.open(panel);
  await page.locator('[data-testid=load]').waitFor({ timeout: 15_000 });
  await waitFor(async () => (await text(page, '[data-testid=verdict]')) === 'Running: 1 s of 5 s', 10_000, 'the first tick');
  for (const id of ['rps', 'p99', 'errors']) await page.locator(`[data-testid=chart-${id}] canvas`).waitFor({ timeout: 10_000 });
  const box = await page.locator('[data-testid=chart-rps] canvas').boundingBox();
  assert.ok(box && box.width >= 300 && box.height >= 100, `canvas ${JSON.stringify(box)}`);
  const before = await colours(page, '[data-testid=chart-p99]');

  for (const s of [2, 3, 4]) host.tick(sampleTick(s));
  await waitFor(async () => (await text(page, '[data-testid=verdict]')) === 'Running: 4 s of 5 s', 10_000, 'ticks 2–4');
  assert.equal(await text(page, '[data-testid=rps-value]'), '400');
  assert.equal(await text(page, '[data-testid=p99-value]'), '162.0 ms');
  assert.equal(await text(page, '[data-testid=sent-value]'), '1,000');
  assert.equal(((await state()) as { ticks: unknown[] }).ticks.length, 4, 'every tick is in the page state');
  assert.ok((await colours(page, '[data-testid=chart-p99]')) > before, 'the p99 line was drawn as ticks came');
  assert.equal(await page.locator('[data-testid=chart-rps] .u-legend').count(), 0, 'one run: no legend');

  host.tick(sampleTick(5));
  host.showResult(sampleLoadResult(), 'stored as run 3 in .chaos/traffic.db');
  await page.locator('[data-testid=summary]').waitFor({ timeout: 10_000 });
  assert.equal(panel.title, '✗ Load: checkout ramp-up');
  assert.equal(await text(page, '[data-testid=verdict]'), 'SLO failed: p99<200ms');
  assert.equal(await page.locator('[data-testid=verdict]').getAttribute('data-verdict'), 'failed');
  assert.match(await text(page, '[data-testid=meta]'), /ramp-up, 50 connections .* stored as run 3 in \.chaos\/traffic\.db$/);
  const slo = page.locator('[data-testid=slo-row]');
  assert.equal(await slo.count(), 2);
  assert.equal(await slo.nth(0).getAttribute('data-passed'), 'false');
  assert.equal((await slo.nth(0).locator('[data-testid=slo-broke]').innerText()).trim(), '4–5 s (202.0 ms)');
  assert.match(await slo.nth(1).innerText(), /errors<1%\s+met\s+0\.20 %/);
  assert.equal(await text(page, '[data-testid=lat-p50]'), '1.80 ms');
  assert.equal(await text(page, '[data-testid=lat-min]'), '300 µs');
  assert.equal(await text(page, '[data-testid=lat-p99\\.9]'), '187.0 ms');
  assert.match(await text(page, '[data-testid=error-5xx]'), /5xx\s+2\s+0\.13 %/);
  assert.match(await text(page, '[data-testid=error-timeout]'), /timeout\s+1/);
  assert.equal(await page.locator('[data-testid=endpoint-row]').count(), 2);
  assert.match(await text(page, '[data-testid=breaking-point]'), /Last good level 30 \(300 req\/s\); broke at level 40: p99<200ms broke/);
  assert.match(await text(page, '[data-testid=drift]'), /p99\s+42\.0 ms\s+202\.0 ms[\s\S]*target RSS\s+50\.0 MB\s+80\.0 MB/);
  assert.equal(await text(page, '[data-testid=errors-value]'), '3 (0.20 %)');

  // VS Code discards a hidden page and reloads it: the host sends the whole state again.
  panel.setVisible(false);
  panel.setVisible(true);
  const again = await h.open(panel);
  await again.page.locator('[data-testid=summary]').waitFor({ timeout: 15_000 });
  assert.equal(await text(again.page, '[data-testid=verdict]'), 'SLO failed: p99<200ms');
  assert.equal(((await again.state()) as { ticks: unknown[] }).ticks.length, 5);

  // A new run clears the panel.
  LoadTestPanel.start(h.vscode, h.extensionUri, { name: 'second', target: 'http://127.0.0.1:3000' });
  await waitFor(async () => (await text(again.page, '[data-testid=title]')) === 'second', 10_000, 'the new run');
  assert.equal(await text(again.page, '[data-testid=verdict]'), 'Running: 0 s');
  assert.equal(await again.page.locator('[data-testid=summary]').count(), 0);
  assert.equal(h.panels.length, 1);
  assert.deepEqual([...(await problems()), ...(await again.problems())], []);
});

test('compare panel in Chromium: both runs, deltas coloured by better or worse, timelines overlaid', { timeout: 120_000 }, async (t) => {
  const h = await webviewHarness(t);
  if (!h) return;
  t.after(() => LoadComparePanel.current?.dispose());
  const a = sampleLoadResult({ spec: { ...sampleLoadResult().spec, name: 'before' } });
  const b = sampleLoadResult({
    spec: { ...sampleLoadResult().spec, name: 'after' },
    rps: 449.1,
    latency: { ...a.latency, p99: 91_000 },
    totals: { ...a.totals, errors: 15 },
    timeline: [1, 2, 3, 4, 5, 6, 7].map((s) => sampleTick(s, { rps: s * 150 })),
    passed: true,
    slo: [{ clause: 'p99<200ms', passed: true, actual: 91_000 }],
  });
  LoadComparePanel.show(h.vscode, h.extensionUri, { label: 'Run 1 in traffic.db', result: a }, { label: 'load-b.json', result: b });
  const panel = h.panels[0];
  assert.equal(panel.title, 'Compare: before ↔ after');
  const { page, problems } = await h.open(panel);
  await page.locator('[data-testid=compare]').waitFor({ timeout: 15_000 });
  assert.match(await text(page, '[data-testid=label-a]'), /^Run 1 in traffic\.db · http:\/\/127\.0\.0\.1:3000/);
  const row = (name: string) => page.locator(`[data-testid="cmp-${name}"]`);
  const cell = async (name: string, id: string): Promise<string> => (await row(name).locator(`[data-testid=${id}]`).innerText()).trim();
  assert.deepEqual(await page.locator('[data-testid^=cmp-]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid'))),
    ['cmp-rps', 'cmp-p50', 'cmp-p90', 'cmp-p99', 'cmp-p99.9', 'cmp-max', 'cmp-errors', 'cmp-verdict'], 'the rows of chaos-testing load compare, and the SLO verdicts');
  assert.equal(await cell('rps', 'a'), '299.4 req/s');
  assert.equal(await cell('rps', 'b'), '449.1 req/s');
  assert.equal(await cell('rps', 'delta'), '+149.7 req/s (+50.0 %)');
  assert.equal(await row('rps').getAttribute('data-trend'), 'better');
  assert.match((await row('rps').locator('[data-testid=delta]').getAttribute('class')) ?? '', /ct-good/);
  assert.equal(await cell('p99', 'delta'), '−91.0 ms (−50.0 %)');
  assert.equal(await row('p99').getAttribute('data-trend'), 'better');
  assert.equal(await cell('errors', 'delta'), '+0.80 pt');
  assert.equal(await row('errors').getAttribute('data-trend'), 'worse');
  assert.match((await row('errors').locator('[data-testid=delta]').getAttribute('class')) ?? '', /ct-bad/);
  assert.equal(await cell('p50', 'delta'), '=');
  assert.equal(await row('p50').getAttribute('data-trend'), 'same');
  assert.match(await row('verdict').innerText(), /SLO failed: p99<200ms\s+SLOs met/);
  assert.equal(await page.locator('[data-testid=compare-verdict]').getAttribute('data-verdict'), 'regressed');
  assert.match(await text(page, '[data-testid=compare-verdict]'), /^B vs A: regressed: errors \+0\.80 points$/);
  for (const id of ['rps', 'p99', 'errors']) await page.locator(`[data-testid=chart-${id}] canvas`).waitFor({ timeout: 10_000 });
  assert.match(await text(page, '[data-testid=chart-rps] .u-legend'), /A: before[\s\S]*B: after/);
  assert.ok((await colours(page, '[data-testid=chart-rps]')) > 5);
  assert.deepEqual(await problems(), []);
});
