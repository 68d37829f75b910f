import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventMessage, RequestMessage } from '../../webview/protocol';
import { RpcClient, RpcError, type VsCodeApi } from '../../webview/rpc';

/** A page window and a VS Code API whose posted messages the test reads and answers. */
function page(): { api: VsCodeApi & { sent: unknown[] }; win: EventTarget; deliver(data: unknown): void } {
  const win = new EventTarget();
  const sent: unknown[] = [];
  const api = { sent, postMessage: (m: unknown) => sent.push(m), getState: () => undefined, setState: () => undefined };
  return { api, win, deliver: (data) => win.dispatchEvent(new MessageEvent('message', { data })) };
}

test('requests carry an id; the reply with that id settles them, in any order', async () => {
  const { api, win, deliver } = page();
  const rpc = new RpcClient(api, win as Window);
  const a = rpc.request('page', { offset: 0, limit: 10 });
  const b = rpc.request('openExchange', { id: 4 });
  const [ra, rb] = api.sent as RequestMessage[];
  assert.deepEqual(ra, { kind: 'request', id: ra.id, method: 'page', params: { offset: 0, limit: 10 } });
  assert.notEqual(ra.id, rb.id);
  deliver({ kind: 'reply', id: rb.id, ok: true, result: null });
  deliver({ kind: 'reply', id: ra.id, ok: true, result: { total: 1, offset: 0, rows: [] } });
  assert.deepEqual(await a, { total: 1, offset: 0, rows: [] });
  assert.equal(await b, null);
  rpc.dispose();
});

test('an error reply rejects with the host message; a late or foreign reply is ignored', async () => {
  const { api, win, deliver } = page();
  const rpc = new RpcClient(api, win as Window);
  const p = rpc.request('copyCurl', { id: 1 });
  const id = (api.sent[0] as RequestMessage).id;
  deliver({ kind: 'reply', id: 999, ok: true, result: null });
  deliver('noise');
  deliver(null);
  deliver({ kind: 'reply', id, ok: false, error: 'exchange #1 does not exist' });
  deliver({ kind: 'reply', id, ok: true, result: null });
  await assert.rejects(p, (e: Error) => e instanceof RpcError && e.message === 'exchange #1 does not exist');
  rpc.dispose();
});

test('no answer in time: rejected with a message naming the request', async () => {
  const { api, win } = page();
  const rpc = new RpcClient(api, win as Window, 20);
  await assert.rejects(rpc.request('page', { offset: 0, limit: 1 }), /page: no answer from the extension/);
  rpc.dispose();
});

test('events go to subscribers until they unsubscribe; ready is posted on demand', () => {
  const { api, win, deliver } = page();
  const rpc = new RpcClient(api, win as Window);
  const seen: EventMessage[] = [];
  const off = rpc.onEvent((e) => seen.push(e));
  rpc.ready();
  assert.deepEqual(api.sent, [{ kind: 'ready' }]);
  deliver({ kind: 'event', name: 'show', id: 3 });
  off();
  deliver({ kind: 'event', name: 'changed' });
  assert.deepEqual(seen, [{ kind: 'event', name: 'show', id: 3 }]);
  rpc.dispose();
});

test('dispose rejects what is pending and stops listening', async () => {
  const { api, win, deliver } = page();
  const rpc = new RpcClient(api, win as Window);
  const p = rpc.request('resend', { id: 2 });
  rpc.dispose();
  await assert.rejects(p, /the panel closed/);
  const seen: unknown[] = [];
  rpc.onEvent((e) => seen.push(e));
  deliver({ kind: 'event', name: 'changed' });
  assert.deepEqual(seen, []);
});
