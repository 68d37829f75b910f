/** The Toxiproxy-shaped fault API, in process, over HTTP on loopback. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultApi } from '../../src/core/faults/api';
import { closedPort, request } from '../helpers';

test('the fault API: proxies, toxics, reset, and errors as {error, status}', async (t) => {
  const api = new FaultApi();
  const { port } = await api.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => api.close());
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await request(`${base}${path}`, { method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    return { status: r.status, json: r.body.length ? (JSON.parse(r.body.toString()) as Record<string, unknown>) : undefined };
  };
  const upstream = `127.0.0.1:${await closedPort()}`;

  let r = await call('POST', '/proxies', { name: 'db', listen: '127.0.0.1:0', upstream });
  assert.equal(r.status, 201);
  assert.equal(r.json!.name, 'db');
  assert.equal(r.json!.enabled, true);
  assert.match(String(r.json!.listen), /^127\.0\.0\.1:\d+$/);
  assert.equal((await call('POST', '/proxies', { name: 'db', listen: '127.0.0.1:0', upstream })).status, 409);

  r = await call('POST', '/proxies/db/toxics', { name: 'lat', type: 'latency', attributes: { latency: 100 } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 100, jitter: 0 } });
  r = await call('POST', '/proxies/db/toxics', { name: 'lat', type: 'latency', attributes: { latency: -1 } });
  assert.deepEqual(r.json, { error: "toxic 'lat': latency must be a number of milliseconds ≥ 0", status: 400 });
  // A name in use is a conflict, as in Toxiproxy; a toxic without a name takes type_stream, which can be in use too.
  r = await call('POST', '/proxies/db/toxics', { name: 'lat', type: 'bandwidth', attributes: { rate: 10 } });
  assert.deepEqual(r.json, { error: "toxic 'lat' already exists on proxy 'db'", status: 409 });
  assert.equal((await call('POST', '/proxies/db/toxics', { type: 'timeout' })).status, 200);
  assert.equal((await call('POST', '/proxies/db/toxics', { type: 'timeout', attributes: { timeout: 5 } })).status, 409);
  assert.equal((await call('DELETE', '/proxies/db/toxics/timeout_downstream')).status, 204);
  assert.equal((await call('GET', '/proxies/db/toxics/lat')).status, 200);
  // Toxiproxy's update: the attributes given replace theirs, the rest stay.
  r = await call('POST', '/proxies/db/toxics/lat', { attributes: { jitter: 5 }, toxicity: 0.5 });
  assert.deepEqual(r.json, { name: 'lat', type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 100, jitter: 5 } });
  assert.deepEqual((await call('GET', '/proxies/db/toxics/lat')).json, r.json);
  r = await call('POST', '/proxies/db/toxics/lat', { type: 'bandwidth' });
  assert.deepEqual(r.json, { error: "toxic 'lat': an update changes attributes, toxicity and match only, not its type; remove the toxic and add it again", status: 400 });
  assert.equal((await call('POST', '/proxies/db/toxics/ghost', { attributes: {} })).status, 404);
  assert.equal(((await call('GET', '/proxies')).json!.db as { toxics: unknown[] }).toxics.length, 1);

  r = await call('POST', '/proxies/db', { enabled: false });
  assert.equal(r.json!.enabled, false);
  assert.equal((await call('POST', '/reset')).status, 204);
  r = await call('GET', '/proxies/db');
  assert.equal(r.json!.enabled, true);
  assert.deepEqual(r.json!.toxics, []);

  assert.deepEqual((await call('DELETE', '/proxies/db/toxics/lat')).json, { error: "toxic 'lat' not found on proxy 'db'", status: 404 });
  assert.equal((await call('GET', '/proxies/nope')).status, 404);
  assert.equal((await call('PUT', '/proxies')).status, 405);
  assert.equal((await call('POST', '/proxies/db/toxics', '{not json')).status, 400);
  assert.equal((await call('POST', '/proxies/db/toxics', 'x'.repeat(70_000))).status, 413);
  assert.equal((await call('DELETE', '/proxies/db')).status, 204);
  assert.deepEqual((await call('GET', '/proxies')).json, {});
});

test('enabled must be a JSON boolean: the string "false" is refused, not read as true', async (t) => {
  const api = new FaultApi();
  const { port } = await api.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => api.close());
  const call = async (method: string, path: string, body: unknown) => {
    const r = await request(`http://127.0.0.1:${port}${path}`, { method, body: JSON.stringify(body) });
    return { status: r.status, json: JSON.parse(r.body.toString()) as Record<string, unknown> };
  };
  const upstream = `127.0.0.1:${await closedPort()}`;
  const refused = { error: 'enabled must be true or false (a JSON boolean), not "false"', status: 400 };
  assert.deepEqual(await call('POST', '/proxies', { name: 'db', listen: '127.0.0.1:0', upstream, enabled: 'false' }), { status: 400, json: refused });
  assert.equal((await call('POST', '/proxies', { name: 'db', listen: '127.0.0.1:0', upstream })).status, 201);
  assert.deepEqual(await call('POST', '/proxies/db', { enabled: 'false' }), { status: 400, json: refused });
  assert.deepEqual((await call('POST', '/proxies/db', { enabled: 0 })).json.error, 'enabled must be true or false (a JSON boolean), not 0');
  assert.equal(api.proxies.get('db')!.enabled, true, 'the proxy is untouched');
  assert.equal((await call('POST', '/proxies/db', { enabled: false })).json.enabled, false);
});

test('the fault API refuses a non-loopback address', async () => {
  await assert.rejects(new FaultApi().listen({ host: '0.0.0.0', port: 0 }), /loopback only/);
});
