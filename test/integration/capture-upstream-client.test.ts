/**
 * The upstream side of forwarding, run with both clients (the lean keep-alive pool on Node's parser, and
 * http.request): the same answers reach the client and the same exchanges are recorded for HEAD, informational
 * 1xx heads, bodies delimited by the connection's end, chunked bodies, many headers, an upstream that hangs
 * (504) or hangs up (502) or switches protocols unasked (502), bodiless POSTs and HTTP/1.0 requests without Host; upstream connections are reused
 * only as Node's agent would (not past the server's Keep-Alive hint).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { test, type TestContext } from 'node:test';
import { CaptureProxy } from '../../src/core/capture/proxy';
import { loadParser } from '../../src/core/capture/upstreamPool';
import { ArraySink, listen, rawHttp, request, trackConnections, waitFor } from '../helpers';

type Client = 'lean' | 'node';

async function startProxy(t: TestContext, target: string, client: Client, extra: { upstreamTimeoutMs?: number } = {}): Promise<{ url: string; port: number; sink: ArraySink }> {
  const sink = new ArraySink();
  const proxy = new CaptureProxy({ mode: 'reverse', target, port: 0, upstreamClient: client, ...extra }, sink);
  const a = await proxy.listen();
  t.after(() => proxy.close(100));
  return { url: `http://127.0.0.1:${a.port}`, port: a.port, sink };
}

/** A backend speaking raw bytes: `reply(requestHead, socket)` answers each request head it reads. */
async function rawBackend(t: TestContext, reply: (head: string, socket: net.Socket) => void): Promise<{ url: string; heads: string[] }> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        heads.push(head);
        reply(head, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, heads };
}

const clients: Client[] = ['lean', 'node'];

test('the lean client is available on this Node', () => {
  assert.ok(loadParser(), "Node's HTTP parser binding (_http_common.HTTPParser) is not usable here");
});

for (const client of clients) {
  test(`${client}: HEAD, 103 Early Hints, close-delimited, chunked and many-header responses are relayed and recorded as sent`, { timeout: 30_000 }, async (t) => {
    const backend = await rawBackend(t, (head, socket) => {
      const path = head.split(' ')[1];
      if (path === '/head') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n');
      else if (path === '/hints') socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
      else if (path === '/until-close') socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it until the end');
      else if (path === '/chunked') socket.write('HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
      else if (path === '/many') {
        let h = 'HTTP/1.1 200 Fine\r\nContent-Length: 2\r\n';
        for (let i = 0; i < 40; i++) h += `X-H${i}: v${i}\r\n`;
        socket.write(`${h}\r\nok`);
      } else socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    });
    const proxy = await startProxy(t, backend.url, client);

    const head = await request(`${proxy.url}/head`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '1000');
    assert.equal(head.body.length, 0);
    // The upstream connection is still usable after a HEAD answered without a body.
    const hints = await request(`${proxy.url}/hints`);
    assert.equal(hints.status, 200);
    assert.equal(hints.body.toString(), 'hello');
    const close = await request(`${proxy.url}/until-close`);
    assert.equal(close.status, 200);
    assert.equal(close.body.toString(), 'all of it until the end');
    const chunked = await request(`${proxy.url}/chunked`);
    assert.equal(chunked.status, 201);
    assert.equal(chunked.body.toString(), 'hello world');
    const many = await request(`${proxy.url}/many`);
    assert.equal(many.status, 200);
    assert.equal(many.headers['x-h39'], 'v39');

    await waitFor(() => proxy.sink.exchanges.length === 5, 5_000, 'five exchanges recorded');
    const byPath = new Map(proxy.sink.exchanges.map((e) => [new URL(e.url).pathname, e]));
    const h = byPath.get('/head')!;
    assert.equal(h.status, 200);
    assert.equal(h.responseBody.size, 0);
    assert.equal(h.error, null);
    const e = byPath.get('/hints')!;
    assert.equal(e.status, 200);
    assert.equal(Buffer.from(e.responseBody.data!).toString(), 'hello');
    assert.equal(Buffer.from(byPath.get('/until-close')!.responseBody.data!).toString(), 'all of it until the end');
    const c = byPath.get('/chunked')!;
    assert.equal(c.status, 201);
    assert.equal(Buffer.from(c.responseBody.data!).toString(), 'hello world');
    assert.deepEqual(c.responseHeaders, ['Transfer-Encoding', 'chunked']);
    const m = byPath.get('/many')!;
    assert.equal(m.responseHeaders!.length, 2 * 41);
    assert.deepEqual(m.responseHeaders!.slice(-2), ['X-H39', 'v39']);
    for (const ex of proxy.sink.exchanges) {
      assert.ok(ex.ttfbMs !== null && ex.durationMs !== null && ex.durationMs >= ex.ttfbMs, `timings of ${ex.url}`);
    }
  });

  test(`${client}: an upstream that says nothing gets 504, one that hangs up gets 502, each recorded with its cause`, { timeout: 30_000 }, async (t) => {
    const backend = await rawBackend(t, (head, socket) => {
      const path = head.split(' ')[1];
      if (path === '/hang-up') socket.destroy();
      else if (path === '/half') socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part');
      else if (path === '/switch') socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: other\r\nConnection: Upgrade\r\n\r\n');
      // '/silent': never answers
    });
    const proxy = await startProxy(t, backend.url, client, { upstreamTimeoutMs: 300 });
    const silent = await request(`${proxy.url}/silent`);
    assert.equal(silent.status, 504);
    assert.match(silent.body.toString(), /upstream timed out/);
    const hangUp = await request(`${proxy.url}/hang-up`);
    assert.equal(hangUp.status, 502);
    assert.match(hangUp.body.toString(), /socket hang up/);
    // 101 to a request that asked for no upgrade: the socket is dropped.
    const switched = await request(`${proxy.url}/switch`);
    assert.equal(switched.status, 502);
    assert.match(switched.body.toString(), /switched protocols \(101\)/);
    // Cut mid-body: the client's response is cut too (it cannot be told otherwise once the head is out).
    await assert.rejects(request(`${proxy.url}/half`));
    await waitFor(() => proxy.sink.exchanges.length === 4, 5_000, 'four exchanges recorded');
    const byPath = new Map(proxy.sink.exchanges.map((e) => [new URL(e.url).pathname, e]));
    assert.equal(byPath.get('/silent')!.status, 504);
    assert.match(byPath.get('/silent')!.error ?? '', /upstream timed out/);
    assert.equal(byPath.get('/hang-up')!.status, 502);
    assert.match(byPath.get('/hang-up')!.error ?? '', /socket hang up/);
    assert.equal(byPath.get('/switch')!.status, 502);
    assert.equal(byPath.get('/half')!.status, 200);
    assert.ok(byPath.get('/half')!.error, 'a body cut short is recorded with an error');
  });

  test(`${client}: bodiless POST gets Content-Length: 0, an HTTP/1.0 request without Host gets one, X-Forwarded-* are set`, { timeout: 30_000 }, async (t) => {
    const backend = await rawBackend(t, (_head, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const proxy = await startProxy(t, backend.url, client);
    const post = await request(`${proxy.url}/p`, { method: 'POST' });
    assert.equal(post.status, 200);
    const reply = await rawHttp(proxy.port, 'GET /old HTTP/1.0\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n');
    assert.match(reply.text, /^HTTP\/1\.1 200 OK/);
    assert.match(reply.text, /ok$/);
    const [postHead, oldHead] = backend.heads;
    assert.match(postHead, /^POST \/p HTTP\/1\.1\r\n/);
    assert.match(postHead, /\r\ncontent-length: 0/i);
    assert.match(oldHead, /^GET \/old HTTP\/1\.1\r\n/);
    assert.match(oldHead, new RegExp(`\\r\\nhost: ${new URL(backend.url).host.replace(/\./g, '\\.')}`, 'i'));
    assert.match(oldHead, /\r\nx-forwarded-for: 10\.0\.0\.1, 127\.0\.0\.1/i);
    assert.match(oldHead, /\r\nx-forwarded-proto: http/i);
  });

  test(`${client}: upstream connections are reused, but not when the server's Keep-Alive hint is too short`, { timeout: 30_000 }, async (t) => {
    const long = http.createServer((_req, res) => res.end('x'));
    long.keepAliveTimeout = 30_000;
    const longConns = trackConnections(long);
    const longBackend = await listen(t, long);
    const short = http.createServer((_req, res) => res.end('x'));
    short.keepAliveTimeout = 1_000; // "Keep-Alive: timeout=1": Node's agent does not reuse such a socket
    const shortConns = trackConnections(short);
    const shortBackend = await listen(t, short);
    const p1 = await startProxy(t, longBackend.url, client);
    const p2 = await startProxy(t, shortBackend.url, client);
    for (let i = 0; i < 3; i++) {
      assert.equal((await request(`${p1.url}/${i}`)).status, 200);
      assert.equal((await request(`${p2.url}/${i}`)).status, 200);
    }
    assert.equal(longConns.accepted(), 1, 'one upstream connection for three sequential requests');
    assert.equal(shortConns.accepted(), 3, 'a new upstream connection per request');
  });
}

for (const client of clients) {
  test(`${client}: Content-Length bodies reach the upstream whole and are recorded; an early answer does not leave a half-sent request to reuse`, { timeout: 30_000 }, async (t) => {
    const server = http.createServer((req, res) => {
      if (req.url === '/early') {
        // Answers before reading the body (as a server refusing an upload does).
        res.writeHead(413, { 'content-type': 'text/plain' });
        res.end('too big');
        return;
      }
      let n = 0;
      const hash = createHash('sha256');
      req.on('data', (c: Buffer) => {
        n += c.length;
        hash.update(c);
      });
      req.on('end', () => res.end(`${n} ${hash.digest('hex')}`));
    });
    const conns = trackConnections(server);
    const backend = await listen(t, server);
    const proxy = await startProxy(t, backend.url, client);
    const small = await request(`${proxy.url}/small`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(small.status, 200);
    assert.equal(small.body.toString().split(' ')[0], '7');
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const up = await request(`${proxy.url}/big`, { method: 'PUT', body: big });
    assert.equal(up.status, 200);
    assert.equal(up.body.toString(), `${big.length} ${createHash('sha256').update(big).digest('hex')}`);
    const early = await request(`${proxy.url}/early`, { method: 'POST', body: Buffer.alloc(256 * 1024, 1) }).catch((e: Error) => e);
    if (!(early instanceof Error)) assert.equal(early.status, 413);
    // The connection that answered early is not reused for the next request (its request was not all sent).
    const after = await request(`${proxy.url}/after`, { method: 'POST', body: 'x' });
    assert.equal(after.status, 200);
    assert.equal(after.body.toString().split(' ')[0], '1');
    assert.ok(conns.requests() >= 4);

    await waitFor(() => proxy.sink.exchanges.length === 4, 5_000, 'four exchanges recorded');
    const byPath = new Map(proxy.sink.exchanges.map((e) => [new URL(e.url).pathname, e]));
    assert.equal(Buffer.from(byPath.get('/small')!.requestBody.data!).toString(), '{"a":1}');
    assert.equal(byPath.get('/big')!.requestBody.size, big.length);
    assert.equal(byPath.get('/big')!.requestBody.truncated, true);
    assert.equal(byPath.get('/big')!.requestBody.sha256, createHash('sha256').update(big).digest('hex'));
  });
}
