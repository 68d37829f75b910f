import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ExchangePanel, exchangeTitle } from '../../src/extension/panels/exchangePanel';
import { TrafficBrowserPanel } from '../../src/extension/panels/trafficBrowserPanel';
import type { ReplyMessage } from '../../webview/protocol';
import { fake, fakeVscode, type FakePanel } from '../helpers/fakeWebview';
import { dbBackend, syntheticDb, type DbBackend } from '../helpers/trafficData';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function setup(t: TestContext): Promise<{ fv: ReturnType<typeof fakeVscode>; backend: DbBackend }> {
  const db = await syntheticDb(60);
  t.after(() => {
    TrafficBrowserPanel.current?.dispose();
    ExchangePanel.current?.dispose();
    db.close();
  });
  return { fv: fakeVscode('/ext'), backend: dbBackend(db) };
}

async function ask(panel: FakePanel, id: number, method: string, params: unknown): Promise<ReplyMessage> {
  panel.webview.receive({ kind: 'request', id, method, params });
  for (let i = 0; i < 20; i++) {
    await tick();
    const reply = panel.webview.posted.find((m) => (m as ReplyMessage).kind === 'reply' && (m as ReplyMessage).id === id);
    if (reply) return reply as ReplyMessage;
  }
  throw new Error(`no reply to ${method}`);
}

test('traffic browser: one panel, scripts enabled, resources limited to dist/webview', async (t) => {
  const { fv, backend } = await setup(t);
  const a = TrafficBrowserPanel.show(fv.vscode, fv.extensionUri, backend);
  const b = TrafficBrowserPanel.show(fv.vscode, fv.extensionUri, backend);
  assert.equal(a, b);
  assert.equal(fv.panels.length, 1);
  const panel = fv.panels[0];
  assert.equal(panel.viewType, 'chaosTesting.trafficBrowser');
  assert.equal(panel.reveals, 1);
  assert.equal(panel.webview.options.enableScripts, true);
  assert.deepEqual(panel.webview.options.localResourceRoots?.map((u) => u.path), ['/ext/dist/webview']);
  assert.match(panel.webview.html, /dist\/webview\/trafficBrowser\.js/);
  const reply = await ask(panel, 1, 'page', { offset: 0, limit: 5, statuses: ['error'] });
  assert.ok(reply.ok);
  assert.equal(reply.result && 'total' in reply.result && reply.result.total, 1);
});

test('traffic browser: changes reach a ready page; a hidden page is not written to', async (t) => {
  const { fv, backend } = await setup(t);
  TrafficBrowserPanel.show(fv.vscode, fv.extensionUri, backend);
  const panel = fv.panels[0];
  const changed = (): number => panel.webview.posted.filter((m) => (m as { name?: string }).name === 'changed').length;
  backend.fireChanged();
  assert.equal(changed(), 0, 'not before ready');
  panel.webview.receive({ kind: 'ready' });
  backend.fireChanged();
  assert.equal(changed(), 1);
  panel.setVisible(false);
  backend.fireChanged();
  assert.equal(changed(), 1, 'the hidden page was discarded');
  panel.setVisible(true);
  panel.webview.receive({ kind: 'ready' });
  backend.fireChanged();
  assert.equal(changed(), 2);
});

test('traffic browser: closing it unsubscribes and forgets it', async (t) => {
  const { fv, backend } = await setup(t);
  const browser = TrafficBrowserPanel.show(fv.vscode, fv.extensionUri, backend);
  assert.equal(backend.listeners, 1);
  fake(browser.panel).dispose();
  assert.equal(backend.listeners, 0);
  assert.equal(TrafficBrowserPanel.current, undefined);
  assert.equal(fv.panels[0].webview.listeners, 0);
  TrafficBrowserPanel.show(fv.vscode, fv.extensionUri, backend);
  assert.equal(fv.panels.length, 2, 'a new panel after the old one closed');
  TrafficBrowserPanel.current!.dispose();
  assert.equal(fv.panels[1].disposed, true, 'disposing the class closes its panel');
});

test('openExchange opens one exchange panel beside, reused for the next exchange', async (t) => {
  const { fv, backend } = await setup(t);
  TrafficBrowserPanel.show(fv.vscode, fv.extensionUri, backend);
  const browser = fv.panels[0];
  assert.deepEqual(await ask(browser, 1, 'openExchange', { id: 7 }), { kind: 'reply', id: 1, ok: true, result: null });
  assert.equal(fv.panels.length, 2);
  const panel = fv.panels[1];
  assert.equal(panel.viewType, 'chaosTesting.exchange');
  assert.deepEqual(panel.showOptions, { viewColumn: -2, preserveFocus: true });
  assert.match(panel.webview.html, /dist\/webview\/exchangePanel\.js/);
  assert.equal(panel.title, 'Exchange #7');
  panel.webview.receive({ kind: 'ready' });
  assert.deepEqual(panel.webview.posted, [{ kind: 'event', name: 'show', id: 7 }]);
  const reply = await ask(panel, 1, 'exchange', { id: 7 });
  assert.ok(reply.ok && reply.result && 'requestHeaders' in reply.result);
  assert.equal(panel.title, 'POST /v1/items/7 → 302');

  await ask(browser, 2, 'openExchange', { id: 50 });
  assert.equal(fv.panels.length, 2);
  assert.equal(panel.reveals, 1);
  assert.equal(ExchangePanel.current?.exchangeId, 50);
  assert.deepEqual(panel.webview.posted.at(-1), { kind: 'event', name: 'show', id: 50 });
  await ask(panel, 2, 'exchange', { id: 50 });
  assert.equal(panel.title, 'GET /v1/users/50 → error');
});

test('exchange panel: a reloaded page is told again which exchange to show', async (t) => {
  const { fv, backend } = await setup(t);
  ExchangePanel.show(fv.vscode, fv.extensionUri, backend, 3);
  const panel = fv.panels[0];
  panel.webview.receive({ kind: 'ready' });
  panel.setVisible(false);
  ExchangePanel.show(fv.vscode, fv.extensionUri, backend, 4);
  assert.equal(panel.webview.posted.length, 1, 'nothing is posted to a discarded page');
  panel.setVisible(true);
  panel.webview.receive({ kind: 'ready' });
  assert.deepEqual(panel.webview.posted, [{ kind: 'event', name: 'show', id: 3 }, { kind: 'event', name: 'show', id: 4 }]);
});

test('exchange panel: backend failures are error replies; a missing exchange is null', async (t) => {
  const { fv, backend } = await setup(t);
  ExchangePanel.show(fv.vscode, fv.extensionUri, backend, 1);
  const panel = fv.panels[0];
  assert.deepEqual(await ask(panel, 1, 'copyCurl', { id: 999 }), { kind: 'reply', id: 1, ok: false, error: 'exchange #999 does not exist' });
  assert.deepEqual(await ask(panel, 2, 'exchange', { id: 999 }), { kind: 'reply', id: 2, ok: true, result: null });
  assert.deepEqual(await ask(panel, 3, 'resend', { id: 1 }), { kind: 'reply', id: 3, ok: true, result: null });
  assert.deepEqual(backend.resent, [1]);
  assert.match((await ask(panel, 4, 'page', { offset: 0, limit: 1 }) as { error: string }).error, /unknown request 'page'/);
});

test('exchangeTitle', () => {
  assert.equal(exchangeTitle({ method: 'GET', url: 'http://h/a/b?q=1', status: 200, error: null }), 'GET /a/b → 200');
  assert.equal(exchangeTitle({ method: 'CONNECT', url: 'example.com:443', status: null, error: 'reset' }), 'CONNECT example.com:443 → error');
});
