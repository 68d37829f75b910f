import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RpcHost, type RequestHandlers } from '../../src/extension/panels/rpcHost';
import type { ReplyMessage } from '../../webview/protocol';
import { FakeWebview } from '../helpers/fakeWebview';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function host(handlers: RequestHandlers): { rpc: RpcHost; webview: FakeWebview } {
  const webview = new FakeWebview();
  return { rpc: new RpcHost(webview as never, handlers), webview };
}

test('answers each request once, by id, with the handler result', async () => {
  const { webview } = host({
    page: (q) => ({ total: 7, offset: q.offset, rows: [] }),
    openExchange: async () => null,
    copyCurl: () => undefined as unknown as null,
  });
  webview.receive({ kind: 'request', id: 1, method: 'page', params: { offset: 40, limit: 20 } });
  webview.receive({ kind: 'request', id: 2, method: 'openExchange', params: { id: 3 } });
  webview.receive({ kind: 'request', id: 3, method: 'copyCurl', params: { id: 3 } });
  await tick();
  assert.deepEqual(webview.posted, [
    { kind: 'reply', id: 1, ok: true, result: { total: 7, offset: 40, rows: [] } },
    { kind: 'reply', id: 2, ok: true, result: null },
    { kind: 'reply', id: 3, ok: true, result: null },
  ]);
});

test('thrown errors, rejections and non-Error throws become error replies', async () => {
  const { webview } = host({
    page: () => {
      throw new Error('database is locked');
    },
    exchange: () => Promise.reject(new Error('gone')),
    resend: () => {
      throw 'target refused the connection';
    },
  });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): number => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    webview.receive({ kind: 'request', id: 1, method: 'page', params: { offset: 0, limit: 1 } });
    webview.receive({ kind: 'request', id: 2, method: 'exchange', params: { id: 1 } });
    webview.receive({ kind: 'request', id: 3, method: 'resend', params: { id: 1 } });
    await tick();
    await tick();
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  // Replies go out as handlers finish, not in request order.
  assert.deepEqual([...(webview.posted as ReplyMessage[])].sort((a, b) => a.id - b.id), [
    { kind: 'reply', id: 1, ok: false, error: 'database is locked' },
    { kind: 'reply', id: 2, ok: false, error: 'gone' },
    { kind: 'reply', id: 3, ok: false, error: 'target refused the connection' },
  ]);
  assert.deepEqual(unhandled, []);
});

test('unknown methods (including Object.prototype names) are answered with an error', async () => {
  const { webview } = host({ page: () => ({ total: 0, offset: 0, rows: [] }) });
  webview.receive({ kind: 'request', id: 1, method: 'resend', params: { id: 1 } });
  webview.receive({ kind: 'request', id: 2, method: 'toString', params: {} });
  webview.receive({ kind: 'request', id: 3, method: '__proto__', params: {} });
  await tick();
  const replies = webview.posted as ReplyMessage[];
  assert.equal(replies.length, 3);
  for (const r of replies) assert.equal(r.ok, false);
  assert.match((replies[0] as { error: string }).error, /unknown request 'resend'/);
  assert.match((replies[1] as { error: string }).error, /unknown request 'toString'/);
});

test('malformed messages are ignored', async () => {
  const { webview } = host({ page: () => ({ total: 0, offset: 0, rows: [] }) });
  for (const m of [null, 'page', 42, {}, { kind: 'request' }, { kind: 'request', id: '1', method: 'page' }, { kind: 'reply', id: 1, ok: true }]) webview.receive(m);
  await tick();
  assert.deepEqual(webview.posted, []);
});

test('events reach the page only while it is ready', async () => {
  const { rpc, webview } = host({});
  let readies = 0;
  rpc.onReady(() => readies++);
  assert.equal(rpc.post({ kind: 'event', name: 'changed' }), false);
  webview.receive({ kind: 'ready' });
  assert.equal(readies, 1);
  assert.equal(rpc.post({ kind: 'event', name: 'show', id: 4 }), true);
  rpc.notReady();
  assert.equal(rpc.post({ kind: 'event', name: 'changed' }), false);
  webview.receive({ kind: 'ready' });
  assert.equal(readies, 2);
  assert.equal(rpc.post({ kind: 'event', name: 'changed' }), true);
  assert.deepEqual(webview.posted, [{ kind: 'event', name: 'show', id: 4 }, { kind: 'event', name: 'changed' }]);
});

test('a failing postMessage (panel closed meanwhile) is not an unhandled rejection', async () => {
  const webview = new FakeWebview();
  webview.postMessage = () => Promise.reject(new Error('Webview is disposed'));
  new RpcHost(webview as never, { page: () => ({ total: 0, offset: 0, rows: [] }) });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): number => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    webview.receive({ kind: 'request', id: 1, method: 'page', params: { offset: 0, limit: 1 } });
    await tick();
    await tick();
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
});

test('after dispose: no listener, no replies, no events', async () => {
  let release: () => void = () => undefined;
  const { rpc, webview } = host({ page: () => new Promise((r) => (release = () => r({ total: 0, offset: 0, rows: [] }))) });
  webview.receive({ kind: 'ready' });
  webview.receive({ kind: 'request', id: 1, method: 'page', params: { offset: 0, limit: 1 } });
  rpc.dispose();
  rpc.dispose();
  release();
  await tick();
  assert.equal(webview.listeners, 0);
  assert.equal(rpc.post({ kind: 'event', name: 'changed' }), false);
  assert.deepEqual(webview.posted, []);
});
