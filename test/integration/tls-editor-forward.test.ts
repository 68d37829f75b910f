/**
 * Forward-proxy capture with HTTPS interception started from the editor (issue 12, point 5), over the fake editor
 * API and the real engine child: chaosTesting.capture.mode = forward and interceptTls make Start Capture ask for no
 * backend, make the local CA after asking, offer the terminal variables to copy, and show a lock with the proxy
 * address (and the intercepted globs in the tooltip). A Node client trusting the CA sends HTTPS through it to a
 * loopback HTTPS backend whose certificate comes from a test CA that the engine trusts through
 * NODE_EXTRA_CA_CERTS; the exchange is stored decrypted.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type * as net from 'node:net';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { EngineClient } from '../../src/core/engine/engineClient';
import { ChaosExtension, type PanelOpeners } from '../../src/extension/chaosExtension';
import { fakeVscode, type FakeVscode } from '../helpers/fakeVscode';
import { ROOT, openStore, requireTool, tmpDir, waitFor } from '../helpers';
import { makeTestCa } from '../helpers/testCa';

function start(t: TestContext, fake: FakeVscode, env: NodeJS.ProcessEnv = {}): ChaosExtension {
  const panels: PanelOpeners = { showExchange: () => undefined, showBrowser: () => undefined };
  const ext = new ChaosExtension(fake.api, fake.context as never, panels, new EngineClient({ entry: path.join(ROOT, 'dist', 'engine.js'), env }));
  t.after(async () => {
    const engine = ext.engine;
    ext.dispose();
    await engine.dispose();
  });
  return ext;
}

/** An HTTPS backend on 127.0.0.1 for `localhost` (certificate from `certs`); echoes method, path and body. */
async function httpsBackend(t: TestContext, cert: string, key: string): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = https.createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, seen };
}

const FORWARD = { 'chaosTesting.capture.port': 0, 'chaosTesting.capture.mode': 'forward', 'chaosTesting.capture.interceptTls': true };

test('a forward intercepting capture from the editor: CA made after asking, env to copy, lock and proxy address, HTTPS recorded', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const backendCa = await makeTestCa(t, 'Chaos Test Backend CA');
  const leaf = await backendCa.leaf('localhost');
  const backend = await httpsBackend(t, leaf.cert, leaf.key);
  const folder = tmpDir(t);
  const fake = fakeVscode({ folder, settings: { ...FORWARD, 'chaosTesting.capture.intercept': ['localhost', '*.example.test'] } });
  // The engine verifies the backend's certificate, trusting its CA the standard Node way.
  const ext = start(t, fake, { NODE_EXTRA_CA_CERTS: backendCa.certFile });
  const certPath = path.join(folder, '.chaos', 'ca', 'ca.crt');

  fake.answers.button.push('Create Certificate', 'Copy Terminal Env');
  await fake.run('chaosTesting.startCapture');
  assert.equal(fake.inputBoxes.length, 0, 'a forward proxy asks for no backend');
  assert.match(fake.shown[0].message, /make a local certificate authority/);
  assert.ok(fs.existsSync(certPath), 'the CA was made');
  const info = ext.capture.info!;
  assert.equal(info.mode, 'forward');
  assert.equal(info.tls, 'intercept');
  const proxy = `http://${info.listen}`;
  const started = await fake.waitForMessage(/forward proxy on http:\/\/127\.0\.0\.1:\d+, intercepting HTTPS for localhost, \*\.example\.test/);
  assert.deepEqual(started.items.slice(0, 2), ['Trust Instructions…', 'Copy Terminal Env'], 'a CA just made: its trust instructions come first');
  assert.equal(fake.clipboard, `export HTTPS_PROXY=${proxy} HTTP_PROXY=${proxy} NODE_EXTRA_CA_CERTS=${certPath}`);
  assert.equal(fake.statusBar.text, `$(record) $(lock) proxy ${info.listen} · 0`);
  assert.match(fake.statusBar.tooltip ?? '', /forward proxy: http:\/\/127\.0\.0\.1:\d+ \(HTTPS_PROXY \/ HTTP_PROXY\)\nHTTPS is intercepted with the local CA for localhost, \*\.example\.test\./);

  // A client that trusts the capture CA (and only it): the proxy's certificate for localhost is accepted.
  const { ProxyAgent, request } = await import('undici');
  const client = new ProxyAgent({ uri: proxy, requestTls: { ca: fs.readFileSync(certPath) } });
  t.after(() => client.destroy());
  const url = `https://localhost:${backend.port}/secure?x=1`;
  const r = await request(url, { method: 'POST', body: 'through the editor', dispatcher: client });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(await r.body.json(), { url: '/secure?x=1', body: 'through the editor' });
  await client.close();
  await waitFor(() => fake.statusBar.text.endsWith('· 1'), 10_000, `status bar count (${fake.statusBar.text})`);
  assert.match(fake.statusBar.text, /^\$\(record\) \$\(lock\) proxy /);

  await fake.run('chaosTesting.stopCapture');
  await fake.waitForMessage(/captured 1 exchanges/);
  assert.equal(fake.statusBar.visible, false);
  const store = await openStore(t, path.join(folder, '.chaos', 'traffic.db'));
  const rows = store.exchanges().map((e) => store.exchange(e.id)!);
  assert.deepEqual(rows.map((x) => [x.protocol, x.method, x.url, x.status, x.error]), [['https', 'POST', url, 200, null]]);
  assert.equal(Buffer.from(rows[0].requestBody!.data).toString(), 'through the editor');
  assert.equal(store.sessions()[0].kind, 'forward');

  // The second intercepting capture: the CA exists, so no question; its trust instructions open from the message.
  const asked = fake.shown.filter((s) => /make a local certificate authority/.test(s.message)).length;
  fake.answers.button.push('Trust Instructions…', undefined);
  await fake.run('chaosTesting.startCapture');
  assert.equal(fake.shown.filter((s) => /make a local certificate authority/.test(s.message)).length, asked);
  assert.ok(fake.documents.at(-1)!.includes(`NODE_EXTRA_CA_CERTS=${certPath}`), 'the trust instructions were shown');
  await fake.run('chaosTesting.stopCapture');
});

test('a forward intercepting capture is not started when the user declines to make the CA; without interception there is no lock', { timeout: 120_000 }, async (t) => {
  const folder = tmpDir(t);
  const fake = fakeVscode({ folder, settings: FORWARD });
  const ext = start(t, fake);
  fake.answers.button.push(undefined);
  await fake.run('chaosTesting.startCapture');
  await fake.waitForMessage(/not started: HTTPS interception needs the local certificate authority/);
  assert.equal(ext.capture.info, undefined);
  assert.equal(fs.existsSync(path.join(folder, '.chaos', 'ca')), false);

  fake.settings.set('chaosTesting.capture.interceptTls', false);
  fake.answers.button.push('Copy Terminal Env');
  await fake.run('chaosTesting.startCapture');
  const info = ext.capture.info!;
  assert.equal(info.tls, undefined);
  assert.equal(fake.statusBar.text, `$(record) proxy ${info.listen} · 0`);
  assert.equal(fake.clipboard, `export HTTPS_PROXY=http://${info.listen} HTTP_PROXY=http://${info.listen}`);
  await fake.run('chaosTesting.stopCapture');
});

test('the forward-proxy and interception settings are restricted in untrusted workspaces', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
    contributes: { configuration: { properties: Record<string, unknown> } };
  };
  for (const key of ['mode', 'interceptTls', 'intercept', 'insecureUpstream'].map((k) => `chaosTesting.capture.${k}`)) {
    assert.ok(pkg.contributes.configuration.properties[key], `${key} is contributed`);
    assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(key), `${key} is restricted`);
  }
});
