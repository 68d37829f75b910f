/**
 * The extension's own features in a real VS Code (code-server in Chromium), as a user drives them: Start Capture
 * from the palette against a backend this test starts, requests through the proxy, the endpoint in the Traffic
 * tree, an exchange in its webview panel, the Traffic Browser, Stop Capture; a forward proxy with HTTPS
 * interception (the lock and the proxy address in the status bar); and Restricted Mode.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { request, requireTool, runCli, startSampleBackend, tmpDir } from '../helpers';
import { makeTestCa } from '../helpers/testCa';
import { EDITOR_TEST_TIMEOUT, ROOT, requireEditor, withEditor } from './harness';
import { until } from './ui';
import { captureSampleSession } from '../helpers/scripted';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('capture from the palette, see the endpoint in the Traffic tree, open an exchange, browse, stop', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  const backend = await startSampleBackend(t);
  const folder = tmpDir(t);
  const port = await freePort();
  await withEditor({ name: 'capture', folder, settings: { 'chaosTesting.capture.port': port } }, async (ed) => {
    const { page } = ed;
    await ed.runCommand('Chaos Testing: Start Capture');
    await ed.answer(backend.url);
    await ed.notification(`capturing http://127.0.0.1:${port} → ${backend.url}`);

    for (const p of ['/api/users', '/api/users/1', '/api/users/2', '/api/error']) await request(`http://127.0.0.1:${port}${p}`);
    const status = page.locator('.statusbar-item').filter({ hasText: `:${port} → 127.0.0.1:${backend.port}` });
    await until(async () => /· 4$/.test((await status.innerText()).trim()), 'the status bar to count 4 exchanges');

    await ed.openView('Chaos Testing');
    const endpoint = await ed.treeItem('GET /api/users/{userId}');
    assert.match(await endpoint.innerText(), /2 · 200/);
    await ed.treeItem('GET /api/error');
    await ed.screenshot('traffic-tree');
    await endpoint.click();
    const exchange = await ed.treeItem(/\d\d:\d\d:\d\d\.\d{3}\s+200/);
    await exchange.click();

    const panel = await ed.webviewFrame((f) => f.locator('[data-testid="exchange"]').count().then((n) => n > 0));
    assert.equal((await panel.locator('[data-testid="status"]').innerText()).trim().slice(0, 3), '200');
    assert.match(await panel.locator('[data-testid="url"]').innerText(), /\/api\/users\/2$/, 'the newest exchange is listed first');
    assert.match(await panel.locator('[data-testid="response-body-text"]').innerText(), /"name": "Alan Turing"/);
    await ed.screenshot('exchange-panel');

    await ed.runCommand('Chaos Testing: Open Traffic Browser');
    const browser = await ed.webviewFrame((f) => f.locator('[data-testid="total"]').innerText({ timeout: 1_000 }).then((s) => /\b4\b/.test(s)));
    assert.equal(await browser.locator('[data-testid="row"]').count(), 4);
    await ed.screenshot('traffic-browser');

    await ed.runCommand('Chaos Testing: Stop Capture');
    await ed.notification('captured 4 exchanges');
    await until(async () => (await status.count()) === 0, 'the status bar item to go');
  });
  assert.ok(fs.existsSync(path.join(folder, '.chaos', 'traffic.db')), 'the capture wrote the workspace database');
});

test('a forward proxy with HTTPS interception shows a lock and its address in the status bar, and records HTTPS through it', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t) || !requireTool(t, 'curl', 'curl') || !requireTool(t, 'openssl', 'openssl')) return;
  const backendCa = await makeTestCa(t, 'Chaos Test Backend CA');
  const leaf = await backendCa.leaf('localhost');
  const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => res.end(`secret ${req.url}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const backendPort = (server.address() as net.AddressInfo).port;
  const folder = tmpDir(t);
  // The CA made beforehand (chaos-testing ca init), so Start Capture has nothing to ask.
  assert.equal(runCli(['ca', 'init'], { cwd: folder }).code, 0);
  const caCert = path.join(folder, '.chaos', 'ca', 'ca.crt');
  const port = await freePort();
  const settings = {
    'chaosTesting.capture.port': port,
    'chaosTesting.capture.mode': 'forward',
    'chaosTesting.capture.interceptTls': true,
    'chaosTesting.capture.intercept': ['localhost'],
    // The backend's CA is not in the editor's trust store.
    'chaosTesting.capture.insecureUpstream': true,
  };
  await withEditor({ name: 'capture-forward-tls', folder, settings }, async (ed) => {
    const { page } = ed;
    await ed.runCommand('Chaos Testing: Start Capture');
    await ed.notification(`forward proxy on http://127.0.0.1:${port}, intercepting HTTPS for localhost`);
    const status = page.locator('.statusbar-item').filter({ hasText: `proxy 127.0.0.1:${port}` });
    await status.waitFor();
    assert.equal(await status.locator('.codicon-lock').count(), 1, 'the status bar item shows a lock');

    // Not spawnSync: the backend answers from this process.
    const curl = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('curl', ['-sS', '--proxy', `http://127.0.0.1:${port}`, '--cacert', caCert, `https://localhost:${backendPort}/through-editor`], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number(err.code) || -1 : 0, stdout, stderr });
      });
    });
    assert.equal(curl.code, 0, curl.stderr);
    assert.equal(curl.stdout, 'secret /through-editor');
    await until(async () => /· 1$/.test((await status.innerText()).trim()), 'the status bar to count 1 exchange');
    await ed.screenshot('forward-tls-status');

    await ed.runCommand('Chaos Testing: Stop Capture');
    await ed.notification('captured 1 exchanges');
    await until(async () => (await status.count()) === 0, 'the status bar item to go');
  });
});

test('Restricted Mode: Start Capture is refused with the reason; captured traffic can still be browsed', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  const folder = tmpDir(t);
  assert.equal(runCli(['import', path.join(ROOT, 'test', 'fixtures', 'sample.har'), '--db', path.join(folder, '.chaos', 'traffic.db')]).code, 0);
  await withEditor({ name: 'restricted-capture', folder, trust: false }, async (ed) => {
    assert.equal(await ed.isRestricted(), true);
    await ed.runCommand('Chaos Testing: Start Capture');
    const text = await ed.notification('Restricted Mode');
    assert.match(text, /cannot start a capture/);
    await ed.openView('Chaos Testing');
    await ed.treeItem(/^GET /);
    await ed.screenshot('restricted-tree');
  });
});

test('the walkthrough takes a newcomer from Start Capture to the first exchange', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  const backend = await startSampleBackend(t);
  const port = await freePort();
  await withEditor({ name: 'walkthrough', folder: tmpDir(t), settings: { 'chaosTesting.capture.port': port } }, async (ed) => {
    const { page } = ed;
    await ed.runCommand('Welcome: Open Walkthrough...');
    await ed.pick('Capture your first exchange');
    const steps = page.locator('.getting-started-step');
    await steps.filter({ hasText: 'Start a capture' }).first().waitFor();
    for (const title of ['Send a request through the proxy', 'Open an exchange', 'Stop the capture']) await steps.filter({ hasText: title }).first().waitFor();
    await ed.screenshot('walkthrough');

    // The step's own button runs the command.
    await page.locator('.getting-started-step.expanded').getByRole('button', { name: 'Start Capture' }).click();
    await ed.answer(backend.url);
    await ed.notification(`capturing http://127.0.0.1:${port}`);
    await request(`http://127.0.0.1:${port}/api/users/1`);
    // Steps are checked off by their completion events (the command ran; traffic arrived).
    const done = (title: string): Promise<boolean> =>
      // The step's checkbox icon: codicon-…-checked when done, codicon-…-unchecked before.
      steps.filter({ hasText: title }).first().evaluate((el) => [el, ...Array.from(el.querySelectorAll('*'))].some((n) => Array.from(n.classList).some((c) => c.endsWith('-checked'))));
    await until(() => done('Start a capture'), 'step 1 to be checked');
    await until(() => done('Send a request through the proxy'), 'step 2 to be checked (traffic arrived)');
    assert.equal(await done('Stop the capture'), false);
    await ed.screenshot('walkthrough-progress');
    await ed.runCommand('Chaos Testing: Stop Capture');
    await ed.notification('captured 1 exchanges');
  });
});

test('Generate Tests… offers the workspace language first, writes the suite into the workspace and opens it', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  const folder = tmpDir(t);
  fs.writeFileSync(path.join(folder, 'requirements.txt'), 'requests\n');
  await captureSampleSession(t, path.join(folder, '.chaos', 'traffic.db'));
  await withEditor({ name: 'generate', folder }, async (ed) => {
    await ed.runCommand('Chaos Testing: Generate Tests…');
    const first = ed.page.locator('.quick-input-list .monaco-list-row').first();
    await first.waitFor();
    assert.match(await first.innerText(), /python · pytest/, 'requirements.txt puts pytest first');
    await ed.pick('python · pytest');
    await ed.notification(/tests written to tests\/test_generated\.py/);
    await ed.page.locator('.tabs-container .tab.active').filter({ hasText: 'test_generated.py' }).waitFor();
    await ed.screenshot('generated-suite');
  });
  const text = fs.readFileSync(path.join(folder, 'tests', 'test_generated.py'), 'utf8');
  assert.match(text, /^# chaos-testing:generated sha256=[0-9a-f]{64}/);
  assert.match(text, /def test_create_user_flow\(\):/);
});
