/**
 * Forward mode (`--mode forward`, clients use the proxy as HTTP_PROXY): absolute-URL requests are forwarded and
 * stored; CONNECT tunnels pass bytes both ways untouched and are stored as one `tunnel` exchange with the byte
 * counts; an origin-form request is refused with 400.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { closedPort, listen, listenCounting, openStore, queryStore, request, startObserve, tmpDir } from '../helpers';

/** A raw TCP server on loopback, closed when the test ends. */
async function tcpServer(t: TestContext, onConnection: (s: net.Socket) => void): Promise<number> {
  return listenCounting(t, net.createServer({ allowHalfOpen: true }, onConnection), 'connection', { connections: 0 });
}

/** Opens a CONNECT tunnel through the proxy; resolves with the status and, on 200, the tunnel socket. */
function connect(proxyPort: number, hostPort: string): Promise<{ status: number; socket: net.Socket; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: hostPort, agent: false });
    req.once('connect', (res, socket, head) => resolve({ status: res.statusCode ?? 0, socket, head }));
    req.once('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('CONNECT timed out')));
    req.end();
  });
}

/** Everything a socket sends until it ends (bounded by a timeout). */
function readAll(socket: net.Socket, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error('tunnel did not end in time')), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

test('forward mode: absolute-URL requests are forwarded and stored with the origin they named', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const seen: string[] = [];
  const mk = (name: string): http.Server => http.createServer((req, res) => {
    seen.push(`${name} ${req.method} ${req.url} host=${req.headers.host}`);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${name} says hi to ${req.url}`);
  });
  const one = await listen(t, mk('one'));
  const two = await listen(t, mk('two'));
  const proxy = await startObserve(t, ['--mode', 'forward', '--output', db]);

  // Like a client with HTTP_PROXY set: the request line carries the absolute URL, sent to the proxy.
  const viaProxy = (url: string, options: http.RequestOptions & { body?: string } = {}): ReturnType<typeof request> =>
    request(proxy.url, { ...options, path: url, headers: { host: new URL(url).host, ...options.headers } });
  const a = await viaProxy(`${one.url}/hello?lang=en`);
  assert.equal(a.status, 200);
  assert.equal(a.body.toString(), 'one says hi to /hello?lang=en');
  const b = await viaProxy(`${two.url}/items`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'payload' });
  assert.equal(b.body.toString(), 'two says hi to /items');
  assert.deepEqual(seen, [`one GET /hello?lang=en host=${one.url.slice(7)}`, `two POST /items host=${two.url.slice(7)}`]);

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  assert.equal(store.sessions()[0].kind, 'forward');
  const rows = store.exchanges().map((e) => store.exchange(e.id)!);
  assert.deepEqual(rows.map((r) => [r.protocol, r.method, r.url, r.host, r.path, r.status]), [
    ['http', 'GET', `${one.url}/hello?lang=en`, one.url.slice(7), '/hello', 200],
    ['http', 'POST', `${two.url}/items`, two.url.slice(7), '/items', 200],
  ]);
  assert.equal(Buffer.from(rows[1].requestBody!.data).toString(), 'payload');
  assert.equal(Buffer.from(rows[1].responseBody!.data).toString(), 'two says hi to /items');
});

test('forward mode: a CONNECT tunnel passes bytes both ways and is stored as a tunnel with byte counts', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const upBytes = Buffer.alloc(100_000, 0x61);
  const reply = Buffer.concat([Buffer.from('RECEIVED '), Buffer.alloc(30_000, 0x7a)]);
  let serverGot = 0;
  const port = await tcpServer(t, (s) => {
    s.write('HELLO\n');
    s.on('data', (c: Buffer) => (serverGot += c.length));
    s.on('end', () => s.end(reply));
  });
  const proxy = await startObserve(t, ['--mode', 'forward', '--output', db]);

  const tunnel = await connect(proxy.port, `127.0.0.1:${port}`);
  assert.equal(tunnel.status, 200);
  const received = readAll(tunnel.socket);
  tunnel.socket.write(upBytes.subarray(0, 40_000));
  tunnel.socket.end(upBytes.subarray(40_000));
  const down = Buffer.concat([tunnel.head, await received]);
  assert.equal(serverGot, upBytes.length);
  assert.ok(down.equals(Buffer.concat([Buffer.from('HELLO\n'), reply])), 'the client got exactly what the server sent');
  tunnel.socket.destroy();

  // The tunnel is recorded when both sides have closed.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const rows = store.exchanges();
  assert.equal(rows.length, 1);
  const ex = store.exchange(rows[0].id)!;
  assert.deepEqual([ex.protocol, ex.method, ex.url, ex.host, ex.status, ex.error], ['tunnel', 'CONNECT', `127.0.0.1:${port}`, `127.0.0.1:${port}`, 200, null]);
  const [row] = await queryStore(db, 'SELECT request_body_size, response_body_size, request_body_hash, response_body_hash FROM exchanges WHERE id = ?', [ex.id]);
  assert.deepEqual(row, { request_body_size: upBytes.length, response_body_size: 6 + reply.length, request_body_hash: null, response_body_hash: null });
  assert.ok(ex.durationMs! >= ex.ttfbMs!);
});

test('forward mode: HTTP inside a CONNECT tunnel reaches the server; only the tunnel is stored', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await listen(t, http.createServer((req, res) => res.end(`inside ${req.url}`)));
  const proxy = await startObserve(t, ['--mode', 'forward', '--output', db]);
  const tunnel = await connect(proxy.port, `127.0.0.1:${backend.port}`);
  assert.equal(tunnel.status, 200);
  const requestText = `GET /via-tunnel HTTP/1.1\r\nHost: 127.0.0.1:${backend.port}\r\nConnection: close\r\n\r\n`;
  const received = readAll(tunnel.socket);
  tunnel.socket.write(requestText);
  const response = Buffer.concat([tunnel.head, await received]).toString();
  assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(response.endsWith('\r\n\r\ninside /via-tunnel'), response);
  tunnel.socket.destroy();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await proxy.stop(), 0);

  const store = await openStore(t, db);
  const rows = store.exchanges();
  assert.deepEqual(rows.map((r) => [r.protocol, r.method, r.url]), [['tunnel', 'CONNECT', `127.0.0.1:${backend.port}`]]);
  const [row] = await queryStore(db, 'SELECT request_body_size, response_body_size FROM exchanges');
  assert.deepEqual(row, { request_body_size: Buffer.byteLength(requestText), response_body_size: Buffer.byteLength(response) });
});

test('forward mode: a CONNECT to a closed port gets 502 and is stored with the cause', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const port = await closedPort();
  const proxy = await startObserve(t, ['--mode', 'forward', '--output', db]);
  const tunnel = await connect(proxy.port, `127.0.0.1:${port}`);
  assert.equal(tunnel.status, 502);
  tunnel.socket.destroy();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const [row] = store.exchanges();
  assert.ok(row, 'the failed tunnel was stored');
  assert.deepEqual([row.protocol, row.method, row.status], ['tunnel', 'CONNECT', 502]);
  assert.match(row.error ?? '', /ECONNREFUSED/);
});

test('forward mode: origin-form requests and requests to the proxy itself get 400 and are not stored', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await listen(t, http.createServer((_req, res) => res.end('should not be reached')));
  let reached = 0;
  backend.server.on('request', () => reached++);
  const proxy = await startObserve(t, ['--mode', 'forward', '--output', db]);

  const origin = await request(`${proxy.url}/api/users`);
  assert.equal(origin.status, 400);
  assert.match(origin.body.toString(), /forward proxy/);
  const loop = await request(proxy.url, { path: `${proxy.url}/again`, headers: { host: `127.0.0.1:${proxy.port}` } });
  assert.equal(loop.status, 400);
  assert.match(loop.body.toString(), /loops back/);
  // The proxy still works for a proper request afterwards.
  const fine = await request(proxy.url, { path: `${backend.url}/ok`, headers: { host: `127.0.0.1:${backend.port}` } });
  assert.equal(fine.status, 200);
  assert.equal(reached, 1);

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  assert.deepEqual(store.exchanges().map((e) => e.url), [`${backend.url}/ok`]);
});

test('reverse mode refuses CONNECT with 405', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await listen(t, http.createServer((_req, res) => res.end('x')));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  const tunnel = await connect(proxy.port, `127.0.0.1:${backend.port}`);
  assert.equal(tunnel.status, 405);
  tunnel.socket.destroy();
  assert.equal(await proxy.stop(), 0);
});

test('forward mode: a tunnel still open when the capture stops is recorded, not lost', { timeout: 60_000 }, async (t) => {
  const db = path.join(tmpDir(t), 'traffic.db');
  const port = await tcpServer(t, (s) => s.write('HELLO\n'));
  const { CaptureSession } = await import('../../src/core/capture/captureSession');
  const session = await CaptureSession.start({ mode: 'forward', port: 0, host: '127.0.0.1', output: db } as Parameters<typeof CaptureSession.start>[0]);
  const tunnel = await connect(session.address.port, `127.0.0.1:${port}`);
  assert.equal(tunnel.status, 200);
  tunnel.socket.on('error', () => undefined);
  // The client keeps the tunnel open; the capture stops with a short grace, cutting it.
  await session.stop(300);
  const rows = await queryStore(db, 'SELECT protocol, method, url, status FROM exchanges');
  assert.deepEqual(rows, [{ protocol: 'tunnel', method: 'CONNECT', url: `127.0.0.1:${port}`, status: 200 }]);
});

test('forward mode: Host comes from the absolute URL, and the client\'s Proxy-Authorization stays with the proxy', { timeout: 60_000 }, async (t) => {
  const seen: http.IncomingHttpHeaders[] = [];
  const origin = await listen(t, http.createServer((req, res) => {
    seen.push(req.headers);
    res.end('ok');
  }));
  const db = path.join(tmpDir(t), 'traffic.db');
  const proxy = await startObserve(t, ['--mode', 'forward', '--output', db]);
  // One request by the lean path, one with a chunked body (http.request's path).
  for (const chunked of [false, true]) {
    const headers: http.OutgoingHttpHeaders = { host: 'evil.example', 'proxy-authorization': 'Basic dXNlcjpzZWNyZXQ=' };
    if (chunked) headers['transfer-encoding'] = 'chunked';
    const r = await request(proxy.url, { method: chunked ? 'POST' : 'GET', path: `${origin.url}/where`, headers, ...(chunked ? { body: 'abc' } : {}) });
    assert.equal(r.status, 200);
  }
  assert.equal(seen.length, 2);
  for (const h of seen) {
    assert.equal(h.host, origin.url.slice('http://'.length), 'Host is the absolute URL\'s authority');
    assert.equal(h['proxy-authorization'], undefined, 'the proxy credentials are not forwarded');
    assert.equal(h['x-forwarded-host'], undefined, 'no X-Forwarded-Host from the claimed Host');
  }
});

test('forward mode: a CONNECT tunnel half-closes as TCP does — the server ends first and still reads what the client sends after', { timeout: 60_000 }, async (t) => {
  let serverGot = '';
  let serverDone!: (text: string) => void;
  const got = new Promise<string>((resolve) => (serverDone = resolve));
  const port = await tcpServer(t, (s) => {
    s.end('hello'); // everything the server will say, then its FIN
    s.on('data', (c: Buffer) => (serverGot += c.toString()));
    s.on('end', () => serverDone(serverGot));
  });
  const proxy = await startObserve(t, ['--mode', 'forward', '--output', path.join(tmpDir(t), 'traffic.db')]);
  // A raw client that keeps its side open after the other side's FIN (Node's HTTP client socket would not).
  const client = net.connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
  t.after(() => client.destroy());
  client.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  const down = (await readAll(client)).toString();
  assert.equal(down, 'HTTP/1.1 200 Connection Established\r\n\r\nhello');
  client.end('late-data'); // after the server's FIN
  assert.equal(await got, 'late-data');
});
