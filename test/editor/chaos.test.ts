/**
 * The chaos faces of the extension in a real VS Code (code-server in Chromium): the Faults view over a fault API
 * this test starts (a real FaultApi with a real TcpProxy on 127.0.0.1) lists its toxic, and the view's remove
 * action removes it from the API; in Restricted Mode the view says why it is empty. Show Experiment Results opens
 * a saved run in the results panel (its webview, with the uPlot chart).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { FaultApi } from '../../src/core/faults/api';
import { callFaultApi } from '../../src/core/faults/client';
import { closedPort, echoServer, tmpDir } from '../helpers';
import { startBackend, writeExperiment } from '../helpers/chaos';
import { sampleResult } from '../helpers/experimentResult';
import { EDITOR_TEST_TIMEOUT, requireEditor, withEditor } from './harness';
import { until } from './ui';

test('the Faults view lists a toxic added through the fault API; its change and remove actions act on the API', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  const api = new FaultApi();
  const { port } = await api.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => api.close());
  const address = `127.0.0.1:${port}`;
  const upstream = await echoServer(t);
  await callFaultApi(address, 'POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream}` });
  await callFaultApi(address, 'POST', '/proxies/redis/toxics', { name: 'slow', type: 'latency', attributes: { latency: 250 } });

  await withEditor({ name: 'faults-view', folder: tmpDir(t), settings: { 'chaosTesting.faults.api': address } }, async (ed) => {
    await ed.openView('Chaos Testing');
    const proxy = await ed.treeItem('redis');
    assert.match(await proxy.innerText(), /→ 127\.0\.0\.1:\d+ · 1 toxic/);
    const toxic = await ed.treeItem('slow');
    assert.match(await toxic.innerText(), /latency · downstream · 100% · latency=250 ms/);

    // A toxic added elsewhere shows up while the view is visible (it polls every 2 s).
    await callFaultApi(address, 'POST', '/proxies/redis/toxics', { name: 'cut', type: 'reset_peer', stream: 'upstream', toxicity: 0.5 });
    await ed.treeItem(/cut\s*reset_peer/);
    await ed.screenshot('faults-view');

    // Change Toxic…: the input box holds what the toxic has; the new latency reaches the API and the view.
    await toxic.hover();
    await toxic.locator('.action-label[aria-label="Change Toxic…"]').click();
    await ed.answer('latency=400 jitter=0 toxicity=1');
    await until(async () => {
      const slow = (await callFaultApi(address, 'GET', '/proxies/redis/toxics/slow')) as { attributes: { latency: number } };
      return slow.attributes.latency === 400;
    }, 'the API to have the new latency');
    await ed.treeItem(/slow\s*latency · downstream · 100% · latency=400 ms/);
    await ed.screenshot('faults-view-changed');

    await toxic.hover();
    await toxic.locator('.action-label[aria-label="Remove Toxic"]').click();
    await until(async () => {
      const proxies = (await callFaultApi(address, 'GET', '/proxies')) as Record<string, { toxics: Array<{ name: string }> }>;
      return proxies.redis.toxics.map((x) => x.name).join(',') === 'cut';
    }, 'the API to have lost the toxic');
    const rows = ed.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row[role="treeitem"]').filter({ hasText: /^\s*slow/ });
    await until(async () => (await rows.count()) === 0, 'the view to drop the removed toxic');
    await ed.screenshot('faults-view-removed');
  });
});

test('Restricted Mode: the Faults view calls no API and says why it is empty', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  // Where the setting points: a listener that only counts connections. An untrusted window must make none.
  let calls = 0;
  const counter = net.createServer((s) => (calls++, s.destroy()));
  await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => counter.close(() => resolve())));
  const port = (counter.address() as net.AddressInfo).port;
  await withEditor({ name: 'faults-restricted', folder: tmpDir(t), trust: false, settings: { 'chaosTesting.faults.api': `127.0.0.1:${port}` } }, async (ed) => {
    await ed.openView('Chaos Testing');
    await ed.page.locator('.welcome-view-content').filter({ hasText: 'Faults are disabled in Restricted Mode' }).first().waitFor();
    await ed.screenshot('faults-restricted');
  });
  assert.equal(calls, 0);
});

test('Show Experiment Results opens a saved run in the results panel with its numbers and chart', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  const folder = tmpDir(t);
  fs.mkdirSync(path.join(folder, '.chaos', 'results'), { recursive: true });
  fs.writeFileSync(path.join(folder, '.chaos', 'results', 'slow-redis-20261129T210000.json'), JSON.stringify(sampleResult()));
  await withEditor({ name: 'experiment-results', folder }, async (ed) => {
    await ed.runCommand('Chaos Testing: Show Experiment Results');
    await ed.pick('slow-redis-20261129T210000.json');
    const frame = await ed.webviewFrame((f) => f.locator('[data-testid=result]').count().then((n) => n > 0));
    assert.equal((await frame.locator('[data-testid=status]').innerText()).trim(), 'Hypothesis held');
    assert.equal((await frame.locator('[data-testid=recovery-value]').innerText()).trim(), '1.23 s (3 consecutive)');
    assert.equal((await frame.locator('[data-testid=phase-fault] [data-testid=p99]').innerText()).trim(), '321.5 ms');
    await frame.locator('[data-testid=chart] canvas').waitFor();
    await ed.page.locator('.tabs-container .tab').filter({ hasText: 'Redis slows down' }).waitFor();
    await ed.screenshot('experiment-results');
  });
});

test('Run Experiment runs a real experiment as a task and opens its results panel', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  const folder = tmpDir(t);
  const backend = await startBackend(t, folder);
  fs.mkdirSync(path.join(folder, '.chaos', 'experiments'), { recursive: true });
  // A proxy the run starts in front of the backend, 150 ms of latency on it, and short phases.
  writeExperiment(
    path.join(folder, '.chaos', 'experiments'),
    'slow-backend.yaml',
    `version: 1.0.0
title: The backend answers through a slow link
targets:
  edge: {proxy: {listen: 127.0.0.1:${await closedPort()}, upstream: 127.0.0.1:${backend.port}}}
  api: {url: http://127.0.0.1:${backend.port}}
steady-state-hypothesis:
  title: it answers
  probes:
    - {type: probe, name: health, provider: {type: http, url: api/health, timeout: 2s}, tolerance: 200}
method:
  - {type: action, name: slow link, provider: {type: latency, target: edge, arguments: {latency: 150ms}}}
measure: {interval: 100ms, baseline: 500ms, fault: 1s, consecutive: 2, recovery-timeout: 5s}
`,
  );
  await withEditor({ name: 'run-experiment', folder }, async (ed) => {
    await ed.openFile('.chaos/experiments/slow-backend.yaml');
    await ed.runCommand('Chaos Testing: Run Experiment');
    const frame = await ed.webviewFrame((f) => f.locator('[data-testid=result]').count().then((n) => n > 0));
    assert.equal((await frame.locator('[data-testid=status]').innerText()).trim(), 'Hypothesis held');
    await frame.locator('[data-testid=chart] canvas').waitFor();
    await ed.screenshot('run-experiment');
  });
  const results = fs.readdirSync(path.join(folder, '.chaos', 'results'));
  assert.equal(results.length, 1);
  const saved = JSON.parse(fs.readFileSync(path.join(folder, '.chaos', 'results', results[0]), 'utf8')) as { status: string; phases: unknown[] };
  assert.equal(saved.status, 'completed');
  assert.equal(saved.phases.length, 3);
});
