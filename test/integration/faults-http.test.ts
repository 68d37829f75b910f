/**
 * Faults on the HTTP proxy, on loopback against a real backend the test starts. Each behaviour runs on both
 * forwarding paths (the lean upstream client and http.request). Timing checks use lower bounds and generous
 * upper bounds. The CLI test needs the build (`npm run build`).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { CaptureProxy, type RecordSink } from '../../src/core/capture/proxy';
import type { CapturedExchange } from '../../src/core/capture/types';
import { Engine } from '../../src/core/engine/engine';
import { FaultApi } from '../../src/core/faults/api';
import { callFaultApi } from '../../src/core/faults/client';
import { startHttpFaultProxy } from '../../src/core/faults/httpFaultProxy';
import { HttpFaultTarget } from '../../src/core/faults/httpTarget';
import { assertCliError, listen, queryStore, request, runCli, startObserve, tmpDir, waitFor, type Observer } from '../helpers';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const BODY = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(10)); // 360 bytes
const BIG = Buffer.alloc(200_000, 'b'); // over the proxy's small-body size: the streaming path

/** A backend that keeps every request it saw and answers by path. */
async function backend(t: TestContext): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/echo') return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
      if (req.url === '/big') return res.writeHead(200, { 'content-length': BIG.length, 'x-backend': 'yes' }).end(BIG);
      if (req.url === '/chunked') {
        res.writeHead(200, { 'x-backend': 'yes' });
        res.write(BODY.subarray(0, 100));
        return res.end(BODY.subarray(100));
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': 'yes', 'content-length': BODY.length }).end(BODY);
    });
  });
  const running = await listen(t, server);
  return { url: running.url, seen };
}

interface Rig {
  url: string;
  port: number;
  target: HttpFaultTarget;
  seen: Seen[];
  recorded: CapturedExchange[];
}

async function rig(t: TestContext, client: 'lean' | 'node'): Promise<Rig> {
  const b = await backend(t);
  const recorded: CapturedExchange[] = [];
  const sink: RecordSink = { enqueueExchange: (ex) => recorded.push(ex) > 0, enqueueMessage: () => true };
  const proxy = new CaptureProxy({ mode: 'reverse', target: b.url, port: 0, upstreamClient: client }, sink);
  const address = await proxy.listen();
  t.after(() => proxy.close(100));
  return { url: `http://127.0.0.1:${address.port}`, port: address.port, target: new HttpFaultTarget('http', proxy, b.url), seen: b.seen, recorded };
}

const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
};

for (const client of ['lean', 'node'] as const) {
  test(`[${client}] http_abort answers with its status and body; the backend never sees the request`, async (t) => {
    const r = await rig(t, client);
    r.target.addToxic({ name: 'down', type: 'http_abort', attributes: { status: 502, body: 'no backend today' } });
    const res = await request(`${r.url}/api/x`);
    assert.equal(res.status, 502);
    assert.equal(res.body.toString(), 'no backend today');
    r.target.addToxic({ name: 'dflt', type: 'http_abort', match: { path: '/other' } });
    r.target.removeToxic('down');
    assert.equal((await request(`${r.url}/other`)).status, 503);
    assert.equal(r.seen.length, 0);
    assert.equal((await request(`${r.url}/api/x`)).status, 200);
    assert.equal(r.seen.length, 1);
    await waitFor(() => r.recorded.length === 3, 3000, 'three recorded exchanges');
    const ex = r.recorded;
    assert.equal(ex[0].status, 502);
    assert.equal(ex[0].error, 'faults: down (http_abort)');
    assert.equal(ex[1].error, 'faults: dflt (http_abort)');
    assert.equal(ex[2].error, null);
  });

  test(`[${client}] http_delay delays only the matching route`, async (t) => {
    const r = await rig(t, client);
    r.target.addToxic({ name: 'slow', type: 'http_delay', attributes: { delay: 400 }, match: { path: '/api/**', method: 'GET' } });
    const slow = await timed(() => request(`${r.url}/api/x`));
    assert.equal(slow.value.status, 200);
    assert.ok(slow.ms >= 390, `matched route took ${slow.ms} ms`);
    const other = await timed(() => request(`${r.url}/other`));
    assert.ok(other.ms < 390, `other route took ${other.ms} ms`);
    const post = await timed(() => request(`${r.url}/api/x`, { method: 'POST', body: 'x' }));
    assert.ok(post.ms < 390, `POST on the route took ${post.ms} ms`);
    await waitFor(() => r.recorded.length === 3, 3000, 'recorded');
    const ex = r.recorded;
    assert.deepEqual(ex.map((e) => e.error), ['faults: slow (http_delay)', null, null]);
  });

  test(`[${client}] http_body truncates the response (small and streamed) and the request to exactly N bytes`, async (t) => {
    const r = await rig(t, client);
    r.target.addToxic({ name: 'cut', type: 'http_body', attributes: { bytes: 100 } });
    for (const path of ['/api/x', '/big', '/chunked']) {
      const res = await request(`${r.url}${path}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 100, path);
      assert.deepEqual(res.body, (path === '/big' ? BIG : BODY).subarray(0, 100));
    }
    r.target.removeAllToxics();
    r.target.addToxic({ name: 'cutup', type: 'http_body', stream: 'upstream', attributes: { bytes: 7 } });
    const res = await request(`${r.url}/echo`, { method: 'POST', body: 'abcdefghijklmnop' });
    assert.equal(res.body.toString(), 'abcdefg');
    assert.equal(r.seen.at(-1)!.body.toString(), 'abcdefg');
    assert.equal(r.seen.at(-1)!.headers['content-length'], '7');
  });

  test(`[${client}] http_body corrupts exactly round(fraction × length) bytes, the same ones for the same seed`, async (t) => {
    const r = await rig(t, client);
    r.target.addToxic({ name: 'rot', type: 'http_body', attributes: { mode: 'corrupt', fraction: 0.1, seed: 42 } });
    const diff = (a: Buffer, b: Buffer): number[] => [...a].flatMap((x, i) => (x !== b[i] ? [i] : []));
    const one = await request(`${r.url}/api/x`);
    const two = await request(`${r.url}/api/x`);
    assert.equal(one.body.length, BODY.length);
    assert.equal(diff(one.body, BODY).length, 36);
    assert.deepEqual(diff(two.body, BODY), diff(one.body, BODY));
    const big = await request(`${r.url}/big`);
    assert.equal(diff(big.body, BIG).length, 20_000);
    const chunked = await request(`${r.url}/chunked`);
    assert.equal(diff(chunked.body, BODY).length, 36);
  });

  test(`[${client}] http_header sets, replaces and removes headers upstream and downstream`, async (t) => {
    const r = await rig(t, client);
    r.target.addToxic({ name: 'h1', type: 'http_header', stream: 'upstream', attributes: { header: 'X-Foo', value: 'bar' } });
    r.target.addToxic({ name: 'h2', type: 'http_header', stream: 'upstream', attributes: { action: 'remove', header: 'x-secret' } });
    r.target.addToxic({ name: 'h3', type: 'http_header', attributes: { action: 'replace', header: 'X-Backend', value: 'faulted' } });
    r.target.addToxic({ name: 'h4', type: 'http_header', attributes: { action: 'remove', header: 'content-type' } });
    r.target.addToxic({ name: 'h5', type: 'http_header', attributes: { action: 'replace', header: 'X-Absent', value: 'never' } });
    const res = await request(`${r.url}/api/x`, { headers: { 'x-foo': 'original', 'x-secret': 's3cret' } });
    const seen = r.seen.at(-1)!;
    assert.equal(seen.headers['x-foo'], 'bar');
    assert.equal(seen.headers['x-secret'], undefined);
    assert.equal(res.headers['x-backend'], 'faulted');
    assert.equal(res.headers['content-type'], undefined);
    assert.equal(res.headers['x-absent'], undefined);
    assert.equal(res.body.length, BODY.length);
  });

  test(`[${client}] toxicity 0 never applies, 1 always; method and glob matches`, async (t) => {
    const r = await rig(t, client);
    r.target.addToxic({ name: 'never', type: 'http_abort', toxicity: 0 });
    for (let i = 0; i < 20; i++) assert.equal((await request(`${r.url}/api/x`)).status, 200);
    r.target.addToxic({ name: 'always', type: 'http_abort', toxicity: 1, attributes: { status: 418 }, match: { method: 'delete', path: '/api/*/items/**' } });
    for (let i = 0; i < 20; i++) assert.equal((await request(`${r.url}/api/v1/items/3/x`, { method: 'DELETE' })).status, 418);
    assert.equal((await request(`${r.url}/api/v1/items/3`, { method: 'GET' })).status, 200);
    assert.equal((await request(`${r.url}/api/v1/other/3`, { method: 'DELETE' })).status, 200);
    assert.equal((await request(`${r.url}/api/v1/items/3?q=1`, { method: 'DELETE' })).status, 418);
  });

  test(`[${client}] byte toxics act on the matched exchange's body`, async (t) => {
    const r = await rig(t, client);
    r.target.addToxic({ name: 'lat', type: 'latency', attributes: { latency: 300 }, match: { path: '/api/**' } });
    const slow = await timed(() => request(`${r.url}/api/x`));
    assert.deepEqual(slow.value.body, BODY);
    assert.ok(slow.ms >= 290, `latency: ${slow.ms} ms`);
    assert.ok((await timed(() => request(`${r.url}/other`))).ms < 290);
    r.target.removeAllToxics();

    r.target.addToxic({ name: 'lim', type: 'limit_data', attributes: { bytes: 1000 } });
    await assert.rejects(request(`${r.url}/big`), /aborted|ECONNRESET|socket hang up/);
    r.target.removeAllToxics();

    r.target.addToxic({ name: 'hold', type: 'timeout', attributes: { timeout: 200 } });
    const held = await timed(() => request(`${r.url}/api/x`).then(() => 'answered', (e: Error) => e.message));
    assert.match(held.value, /socket hang up|ECONNRESET/);
    assert.ok(held.ms >= 190, `held ${held.ms} ms`);
    r.target.removeAllToxics();

    r.target.addToxic({ name: 'rst', type: 'reset_peer', stream: 'upstream' });
    await assert.rejects(request(`${r.url}/api/x`), /ECONNRESET|socket hang up/);
    const before = r.seen.length;
    await assert.rejects(request(`${r.url}/api/x`), /ECONNRESET|socket hang up/);
    assert.equal(r.seen.length, before, 'an upstream reset with timeout 0 is not forwarded');
    r.target.removeAllToxics();

    r.target.addToxic({ name: 'bw', type: 'bandwidth', attributes: { rate: 500 } }); // 500 KB/s: 200 KB ≥ 0.4 s
    const bw = await timed(() => request(`${r.url}/big`));
    assert.equal(bw.value.body.length, BIG.length);
    assert.ok(bw.ms >= 350, `bandwidth: ${bw.ms} ms`);
    const ex = await waitFor(() => r.recorded.find((e) => e.error?.includes('bw (bandwidth)')), 3000, 'bandwidth exchange');
    assert.equal(ex!.status, 200);
    assert.ok(r.recorded.some((e) => e.error === 'client closed the connection before the response completed; faults: hold (timeout)'));
  });
}

test('the fault API serves the capture proxy: add and remove toxics at run time, down and up', async (t) => {
  const r = await rig(t, 'lean');
  const api = new FaultApi();
  const { port } = await api.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => api.close());
  api.register(r.target);
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await request(`${base}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, json: res.body.length ? (JSON.parse(res.body.toString()) as Record<string, unknown>) : undefined };
  };
  let res = await call('POST', '/proxies/http/toxics', { name: 'teapot', type: 'http_abort', attributes: { status: 418 }, match: { path: '/api/**' } });
  assert.deepEqual(res.json, { name: 'teapot', type: 'http_abort', stream: 'downstream', toxicity: 1, attributes: { status: 418, body: '' }, match: { path: '/api/**' } });
  assert.equal((await request(`${r.url}/api/x`)).status, 418);
  assert.equal((await request(`${r.url}/other`)).status, 200);
  const listed = (await call('GET', '/proxies')).json!.http as { listen: string; upstream: string; toxics: unknown[] };
  assert.equal(listed.listen, `127.0.0.1:${r.port}`);
  assert.equal(listed.toxics.length, 1);
  // Updated in place: the next requests take the new status and the new match.
  res = await call('POST', '/proxies/http/toxics/teapot', { attributes: { status: 503 }, match: { path: '/other' } });
  assert.deepEqual(res.json, { name: 'teapot', type: 'http_abort', stream: 'downstream', toxicity: 1, attributes: { status: 503, body: '' }, match: { path: '/other' } });
  assert.equal((await request(`${r.url}/other`)).status, 503);
  assert.equal((await request(`${r.url}/api/x`)).status, 200);
  assert.equal((await call('DELETE', '/proxies/http/toxics/teapot')).status, 204);
  assert.equal((await request(`${r.url}/other`)).status, 200);
  assert.equal((await request(`${r.url}/api/x`)).status, 200);

  res = await call('POST', '/proxies/http/toxics', { name: 'x', type: 'http_abort', attributes: { status: 99 } });
  assert.deepEqual(res.json, { error: "toxic 'x': status must be a whole number from 200 to 599", status: 400 });
  res = await call('POST', '/proxies/http/toxics', { name: 'x', type: 'latency', match: { path: '/a/{b' } });
  assert.equal(res.status, 400);
  assert.match(String(res.json!.error), /^toxic 'x': match path '\/a\/\{b' is not a valid glob/);

  assert.equal((await call('POST', '/proxies/http', { enabled: false })).json!.enabled, false);
  await assert.rejects(request(`${r.url}/api/x`), /ECONNRESET|socket hang up/);
  assert.equal((await call('POST', '/proxies/http', { enabled: true })).json!.enabled, true);
  assert.equal((await request(`${r.url}/api/x`)).status, 200);
  assert.equal((await call('DELETE', '/proxies/http')).status, 409);
  await call('POST', '/proxies/http/toxics', { name: 'y', type: 'http_delay' });
  assert.equal((await call('POST', '/reset')).status, 204);
  assert.deepEqual(r.target.toxics, []);
});

test('a TCP proxy refuses HTTP toxics and matches', async (t) => {
  const api = new FaultApi();
  t.after(() => api.close());
  const tcp = await api.addProxy({ name: 'db', listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: 9 } });
  assert.throws(() => tcp.addToxic({ name: 'a', type: 'http_abort' }), /^InputError|toxic 'a': http_abort needs an HTTP proxy; proxy 'db' is a TCP proxy/);
  assert.throws(() => tcp.addToxic({ name: 'a', type: 'latency', match: { method: 'GET' } }), /match \(method, path\) needs an HTTP proxy/);
});

test('startHttpFaultProxy forwards with faults and records nothing', async (t) => {
  const b = await backend(t);
  const p = await startHttpFaultProxy({ target: b.url, toxics: [{ name: 'cut', type: 'http_body', stream: 'downstream', toxicity: 1, attributes: { bytes: 5 } }] });
  t.after(() => p.close());
  assert.match(p.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await request(`${p.url}/api/x`)).body.toString(), '01234');
  p.proxy.removeToxic('cut');
  assert.deepEqual((await request(`${p.url}/api/x`)).body, BODY);
  await assert.rejects(startHttpFaultProxy({ target: b.url, toxics: [{ name: 'x', type: 'nope' } as never] }), /toxic type 'nope' is unknown/);
});

test('the engine capture serves the fault API when asked', async (t) => {
  const b = await backend(t);
  const engine = new Engine(() => undefined);
  t.after(() => engine.dispose());
  const dir = tmpDir(t);
  const info = await engine.startCapture({
    db: path.join(dir, 'traffic.db'), target: b.url, port: 0, host: '127.0.0.1', redact: true, extraRedactFields: [], bodyLimit: 1024, include: [], exclude: [], api: '127.0.0.1:0',
  });
  assert.match(info.api ?? '', /^127\.0\.0\.1:\d+$/);
  const added = await callFaultApi(info.api!, 'POST', '/proxies/http/toxics', { name: 'gone', type: 'http_abort', attributes: { status: 410 } });
  assert.equal((added as { name: string }).name, 'gone');
  assert.equal((await request(`http://${info.listen}/api/x`)).status, 410);
  await callFaultApi(info.api!, 'DELETE', '/proxies/http/toxics/gone');
  assert.equal((await request(`http://${info.listen}/api/x`)).status, 200);
  await engine.stopCapture();
  await assert.rejects(callFaultApi(info.api!, 'GET', '/proxies'), /no fault API/);
});

/** The fault API address that `observe --api` printed. */
async function apiOf(observer: Observer): Promise<string> {
  const found = await waitFor(() => /fault API http:\/\/(127\.0\.0\.1:\d+) \(proxy 'http'\)/.exec(observer.stderr())?.[1], 5000, 'the fault API line');
  return found!;
}

test('the built CLI: fault add/list/rm against observe --api; faulted exchanges are stored with their faults', async (t) => {
  const b = await backend(t);
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const observer = await startObserve(t, ['--target', b.url, '--output', db, '--api', '127.0.0.1:0']);
  const api = ['--api', await apiOf(observer)];

  let r = runCli(['fault', 'add', 'slow', '--proxy', 'http', '--type', 'http_delay', '--attr', 'delay=300', '--match-path', '/api/**', '--match-method', 'GET', ...api]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "added slow: http_delay downstream delay=300 jitter=0 match=GET /api/** to proxy 'http'");
  r = runCli(['fault', 'add', 'tag', '--proxy', 'http', '--type', 'http_header', '--stream', 'upstream', '--attr', 'header=X-Foo', '--attr', 'value=bar 1', ...api]);
  assert.equal(r.code, 0, r.stderr);

  const slow = await timed(() => request(`${observer.url}/api/x`));
  assert.ok(slow.ms >= 290, `matched route took ${slow.ms} ms`);
  assert.equal(b.seen.at(-1)!.headers['x-foo'], 'bar 1');
  assert.ok((await timed(() => request(`${observer.url}/other`))).ms < 290);

  r = runCli(['fault', 'list', ...api]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^http {2}127\.0\.0\.1:\d+ → http:\/\/127\.0\.0\.1:\d+ {2}up\n {2}slow: http_delay downstream delay=300 jitter=0 match=GET \/api\/\*\*\n {2}tag: http_header upstream action="set" header="X-Foo" value="bar 1"$/m);
  r = runCli(['fault', 'rm', 'slow', '--proxy', 'http', ...api]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await timed(() => request(`${observer.url}/api/x`))).ms < 290);

  const bad: Array<[string[], string[]]> = [
    [['--type', 'http_explode'], ["toxic type 'http_explode' is unknown"]],
    [['--type', 'http_abort', '--attr', 'status=99'], ['status must be a whole number from 200 to 599']],
    [['--type', 'http_delay', '--match-path', '/a/{b'], ["match path '/a/{b' is not a valid glob"]],
    [['--type', 'http_delay', '--attr', 'delay=soon'], ['delay must be a number of milliseconds']],
    [['--type', 'http_header', '--attr', 'header=Content-Length'], ['header "Content-Length" cannot be Content-Length']],
    [['--type', 'http_delay', '--match-method', 'GET POST'], ["match method 'GET POST' must be an HTTP method"]],
  ];
  for (const [flags, mentions] of bad) assertCliError(runCli(['fault', 'add', 'x', '--proxy', 'http', ...flags, ...api]), 2, mentions);

  assert.equal(await observer.stop(), 0);
  const rows = await queryStore(db, 'SELECT path, error FROM exchanges ORDER BY id');
  assert.deepEqual(rows, [
    { path: '/api/x', error: 'faults: slow (http_delay), tag (http_header)' },
    { path: '/other', error: 'faults: tag (http_header)' },
    { path: '/api/x', error: 'faults: tag (http_header)' },
  ]);
});
