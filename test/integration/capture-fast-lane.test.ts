/**
 * The fast lane (src/core/capture/fastLane.ts) against http.Server's path, on real sockets: the same bytes reach the
 * client either way (but for Date), the same exchanges are recorded, and a connection whose request the lane does
 * not take (a chunked body, here in the middle of a pipeline) is handed to http.Server without losing or reordering
 * a request.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { test, type TestContext } from 'node:test';
import { CaptureProxy } from '../../src/core/capture/proxy';
import type { CapturedExchange } from '../../src/core/capture/types';
import { ArraySink, listen, rawHttp, waitFor } from '../helpers';

async function backend(t: TestContext): Promise<string> {
  const b = await listen(t, http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString();
      if (req.url === '/stream') {
        // No Content-Length: chunked to an HTTP/1.1 client.
        res.writeHead(200, { 'content-type': 'text/plain', 'x-kind': 'stream' });
        res.write('first,');
        setTimeout(() => res.end('second'), 5);
        return;
      }
      if (req.url === '/never') return; // answers nothing: the client leaves first
      if (req.url === '/gone') {
        res.writeHead(404, 'Not Here', { 'content-type': 'text/plain' });
        res.end('no');
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, body, host: req.headers.host, xff: req.headers['x-forwarded-for'] }));
    });
  }));
  return b.url;
}

async function proxyTo(t: TestContext, target: string, lane: boolean): Promise<{ proxy: CaptureProxy; port: number; sink: ArraySink }> {
  const before = process.env.CHAOS_TESTING_FAST_LANE;
  if (!lane) process.env.CHAOS_TESTING_FAST_LANE = '0';
  const sink = new ArraySink();
  let proxy: CaptureProxy;
  try {
    proxy = new CaptureProxy({ mode: 'reverse', target, port: 0 }, sink);
  } finally {
    if (before === undefined) delete process.env.CHAOS_TESTING_FAST_LANE;
    else process.env.CHAOS_TESTING_FAST_LANE = before;
  }
  const a = await proxy.listen();
  t.after(() => proxy.close(100));
  return { proxy, port: a.port, sink };
}

const withoutDate = (text: string): string => text.replace(/\r\nDate: [^\r]*/gi, '');

const REQUESTS = [
  'GET /a?x=1 HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n',
  'POST /items HTTP/1.1\r\nHost: example\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{"n":"1"}',
  'HEAD /a HTTP/1.1\r\nHost: example\r\n\r\n',
  'GET /gone HTTP/1.1\r\nHost: example\r\n\r\n',
  'GET /stream HTTP/1.1\r\nHost: example\r\n\r\n',
  'GET /old HTTP/1.0\r\n\r\n',
];

test('the lane answers with the bytes http.Server would, and records the same exchanges', { timeout: 30_000 }, async (t) => {
  const target = await backend(t);
  const lane = await proxyTo(t, target, true);
  const full = await proxyTo(t, target, false);
  // Each raw request is its connection's only one; a kept-alive connection stays open until rawHttp's timeout, so
  // the replies are compared as far as they came by then.
  const replies = await Promise.all(REQUESTS.map((req) => Promise.all([rawHttp(lane.port, req, 1_000), rawHttp(full.port, req, 1_000)])));
  for (const [i, [a, b]] of replies.entries()) {
    assert.equal(withoutDate(a.text), withoutDate(b.text), `reply to ${JSON.stringify(REQUESTS[i].split('\r\n')[0])}`);
    assert.match(a.text, /^HTTP\/1\.1 \d{3} /);
  }
  assert.equal(lane.proxy.laneRequests, REQUESTS.length, 'every request took the lane');
  assert.equal(full.proxy.laneRequests, 0);
  await waitFor(() => lane.sink.exchanges.length === REQUESTS.length && full.sink.exchanges.length === REQUESTS.length, 5_000, 'all exchanges recorded');
  const shape = (ex: CapturedExchange): unknown => ({
    method: ex.method, url: ex.url, status: ex.status, requestHeaders: ex.requestHeaders,
    responseHeaders: ex.responseHeaders?.filter((_, i, all) => i % 2 === 0 ? all[i].toLowerCase() !== 'date' : all[i - 1].toLowerCase() !== 'date'),
    requestBody: ex.requestBody.data?.toString() ?? null, responseBody: ex.responseBody.data?.toString() ?? null, httpVersion: ex.httpVersion, error: ex.error,
  });
  const byUrl = (s: ArraySink): unknown[] => [...s.exchanges].sort((x, y) => `${x.method} ${x.url}`.localeCompare(`${y.method} ${y.url}`)).map(shape);
  assert.deepEqual(byUrl(lane.sink), byUrl(full.sink));
});

test('a pipelined request the lane does not take hands the connection to http.Server, in order, nothing lost', { timeout: 30_000 }, async (t) => {
  const target = await backend(t);
  const { proxy, port, sink } = await proxyTo(t, target, true);
  const pipeline = 'GET /one HTTP/1.1\r\nHost: x\r\n\r\n'
    + 'POST /two HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'
    + 'GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  const reply = await rawHttp(port, pipeline);
  assert.ok(reply.closed, 'the connection closed after the last request (Connection: close)');
  const urls = [...reply.text.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(urls, ['/one', '/two', '/three']);
  assert.match(reply.text, /"body":"abc"/);
  assert.equal(proxy.laneRequests, 1, 'only the first request took the lane');
  await waitFor(() => sink.exchanges.length === 3, 5_000, 'three exchanges recorded');
  assert.deepEqual([...sink.exchanges].sort((a, b) => a.seq - b.seq).map((e) => new URL(e.url).pathname), ['/one', '/two', '/three']);
});

test('a request the lane refuses to parse gets http.Server\'s 400, and the lane keeps serving others', { timeout: 30_000 }, async (t) => {
  const target = await backend(t);
  const { proxy, port } = await proxyTo(t, target, true);
  const smuggle = await rawHttp(port, 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  assert.match(smuggle.text, /^HTTP\/1\.1 400 /);
  const ok = await rawHttp(port, 'GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(ok.text, /^HTTP\/1\.1 200 /);
  assert.equal(proxy.laneRequests, 1);
});

test('a head of 32 or more fields takes the lane (its URL comes with the fields) and the proxy keeps serving', { timeout: 30_000 }, async (t) => {
  const target = await backend(t);
  const { proxy, port, sink } = await proxyTo(t, target, true);
  const fields = Array.from({ length: 40 }, (_, i) => `X-Field-${i}: ${i}\r\n`).join('');
  const reply = await rawHttp(port, `GET /many?n=40 HTTP/1.1\r\nHost: x\r\n${fields}Connection: close\r\n\r\n`);
  assert.match(reply.text, /^HTTP\/1\.1 200 /);
  assert.match(reply.text, /"url":"\/many\?n=40"/);
  const next = await rawHttp(port, 'GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(next.text, /^HTTP\/1\.1 200 /);
  assert.equal(proxy.laneRequests, 2);
  await waitFor(() => sink.exchanges.length === 2, 5_000, 'both exchanges recorded');
  const many = sink.exchanges.find((e) => e.url.endsWith('/many?n=40'));
  assert.ok(many?.requestHeaders.includes('X-Field-39'), 'the 40th field was recorded');
});

test('HTTP/1.1 without Host gets http.Server\'s 400 and is not forwarded', { timeout: 30_000 }, async (t) => {
  const target = await backend(t);
  const { proxy, port, sink } = await proxyTo(t, target, true);
  const reply = await rawHttp(port, 'GET /nohost HTTP/1.1\r\nAccept: */*\r\n\r\n');
  assert.match(reply.text, /^HTTP\/1\.1 400 /);
  assert.equal(proxy.laneRequests, 0);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sink.exchanges.length, 0);
});

test('a client that half-closes while its request is upstream: the request is given up and recorded as the client\'s close', { timeout: 30_000 }, async (t) => {
  const target = await backend(t);
  const { proxy, port, sink } = await proxyTo(t, target, true);
  const client = net.connect(port, '127.0.0.1');
  t.after(() => client.destroy());
  const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
  client.on('data', () => undefined);
  client.on('error', () => undefined);
  client.end('GET /never HTTP/1.1\r\nHost: x\r\n\r\n'); // the request, then FIN
  await waitFor(() => sink.exchanges.length === 1, 5_000, 'the exchange recorded');
  assert.equal(sink.exchanges[0].error, 'client closed the connection before the response completed');
  assert.equal(proxy.laneRequests, 1);
  await closed; // the proxy ended its side too (the test's timeout catches a connection left open)
});

test('a connection that waits longer than the keep-alive timeout before its first request is still served', { timeout: 30_000 }, async (t) => {
  const target = await backend(t);
  const { port } = await proxyTo(t, target, true);
  const client = net.connect(port, '127.0.0.1');
  t.after(() => client.destroy());
  let text = '';
  client.on('data', (c: Buffer) => (text += c.toString('latin1')));
  client.on('error', () => undefined);
  await new Promise((r) => setTimeout(r, 5_500)); // the keep-alive timeout is 5 s; the headers timeout 30 s
  assert.ok(!client.destroyed && client.readyState === 'open', 'the idle connection is still open');
  client.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => /\r\n\r\n\{/.test(text), 5_000, 'the reply');
  assert.match(text, /^HTTP\/1\.1 200 /);
});
