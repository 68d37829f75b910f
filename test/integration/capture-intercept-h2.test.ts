/**
 * HTTP/2 on the upstream leg of TLS interception (issue 12, point 2: "ALPN is honoured"). On loopback: backends
 * whose certificates come from one test CA (the proxy's upstream CA), the proxy minting leaves from a second.
 * An h2 client's streams go to an h2-only backend (allowHTTP1 false) over one reused upstream session, recorded
 * with version 2 on both legs; an HTTP/1.1-only backend still serves an h2 client (the upstream leg falls back);
 * an HTTP/1.1 client stays HTTP/1.1 upstream; an h2 upstream with a certificate the proxy cannot verify is a 502
 * with the cause stored.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import * as tls from 'node:tls';
import { CaptureSession } from '../../src/core/capture/captureSession';
import { exchangeToHarEntry } from '../../src/core/har/export';
import { listenCounting, openStore, requireTool, tmpDir } from '../helpers';
import { makeTestCa, type TestCa } from '../helpers/testCa';

interface Backend {
  port: number;
  /** `HTTP-version METHOD path body` per request, as the backend saw it. */
  seen: string[];
  /** TLS connections (h2: sessions) it accepted. */
  connections: number;
}

let shared: { proxyCa: TestCa; backendCa: TestCa } | undefined;
const caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-intercept-h2-ca-'));
after(() => fs.rmSync(caDir, { recursive: true, force: true }));

async function cas(): Promise<{ proxyCa: TestCa; backendCa: TestCa }> {
  shared ??= { proxyCa: await makeTestCa(caDir, 'Chaos Test Interception CA'), backendCa: await makeTestCa(caDir, 'Chaos Test Backend CA') };
  return shared;
}

/** Echoes version, method, path and body as JSON; /trailers also answers with a trailer. */
function echo(seen: string[]) {
  return (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push(`${req.httpVersion} ${req.method} ${req.url} ${body}`);
      const json = JSON.stringify({ version: req.httpVersion, method: req.method, url: req.url, body });
      if (req.url === '/trailers') {
        const h2res = res as http2.Http2ServerResponse;
        h2res.writeHead(200, { 'content-type': 'application/json', trailer: 'x-checksum' });
        h2res.write(json);
        h2res.addTrailers({ 'x-checksum': 'abc123' });
        h2res.end();
        return;
      }
      (res as http.ServerResponse).writeHead(200, { 'content-type': 'application/json', 'x-backend': 'yes' });
      res.end(json);
    });
  };
}

/** An HTTPS backend on 127.0.0.1 for `localhost`: h2 only, HTTP/1.1 only, or both (ALPN decides). */
async function backend(t: TestContext, speaks: 'h2' | 'http/1.1' | 'both'): Promise<Backend> {
  const leaf = await (await cas()).backendCa.leaf('localhost');
  const seen: string[] = [];
  const b: Backend = { port: 0, seen, connections: 0 };
  const server: tls.Server = speaks === 'http/1.1'
    ? https.createServer({ cert: leaf.cert, key: leaf.key, ALPNProtocols: ['http/1.1'] }, echo(seen))
    : http2.createSecureServer({ cert: leaf.cert, key: leaf.key, allowHTTP1: speaks === 'both' }, echo(seen));
  b.port = await listenCounting(t, server, 'secureConnection', b);
  return b;
}

async function capture(t: TestContext, trustBackend = true): Promise<{ session: CaptureSession; proxyCa: TestCa; rows(): Promise<Array<NonNullable<ReturnType<Awaited<ReturnType<typeof openStore>>['exchange']>>>> }> {
  const { proxyCa, backendCa } = await cas();
  const db = path.join(tmpDir(t), 'traffic.db');
  const session = await CaptureSession.start({
    mode: 'forward',
    port: 0,
    output: db,
    intercept: { leaves: (h) => proxyCa.secureContext(h), upstreamCa: trustBackend ? backendCa.certPem : undefined },
  });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await session.stop(500);
  });
  return {
    session,
    proxyCa,
    async rows() {
      stopped = true;
      await session.stop(2_000);
      const store = await openStore(t, db);
      return store.exchanges().map((e) => store.exchange(e.id)!);
    },
  };
}

interface H2Answer {
  status: number;
  text: string;
  trailers: http2.IncomingHttpHeaders;
}

/** Node's http2 client inside a CONNECT tunnel through the proxy, trusting the interception CA. */
async function h2Through(t: TestContext, proxyPort: number, backendPort: number, ca: TestCa): Promise<(p: string, method?: string, payload?: string) => Promise<H2Answer>> {
  const tunnel = await new Promise<net.Socket>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: `localhost:${backendPort}`, agent: false });
    req.once('connect', (res, socket) => (res.statusCode === 200 ? resolve(socket) : reject(new Error(`CONNECT ${res.statusCode}`))));
    req.once('error', reject);
    req.end();
  });
  const client = http2.connect(`https://localhost:${backendPort}`, { createConnection: () => tls.connect({ socket: tunnel, servername: 'localhost', ALPNProtocols: ['h2'], ca: ca.certPem }) });
  client.on('error', () => undefined);
  t.after(() => client.destroy());
  return (p, method = 'GET', payload) => new Promise((resolve, reject) => {
    const stream = client.request({ ':path': p, ':method': method }, { endStream: payload === undefined });
    let text = '';
    let status = 0;
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('trailers', (h) => (trailers = h));
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.on('end', () => resolve({ status, text, trailers }));
    stream.on('error', reject);
    if (payload !== undefined) stream.end(payload);
  });
}

function runCurl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'CURL_CA_BUNDLE']) delete env[k];
  return new Promise((resolve) => {
    execFile('curl', args, { env, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

const body = (b: { data: Uint8Array } | null | undefined): string => (b ? Buffer.from(b.data).toString() : '');

test('an h2 client reaches an h2-only backend over h2: one upstream session for all its streams, recorded as 2 on both legs', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const b = await backend(t, 'h2');
  const c = await capture(t);
  const origin = `https://localhost:${b.port}`;
  const call = await h2Through(t, c.session.address.port, b.port, c.proxyCa);
  const [a, post, tr] = await Promise.all([call('/h2/a?x=1'), call('/h2/b', 'POST', 'stream body'), call('/trailers')]);
  assert.equal(a.status, 200);
  assert.deepEqual(JSON.parse(a.text), { version: '2.0', method: 'GET', url: '/h2/a?x=1', body: '' });
  assert.equal(JSON.parse(post.text).body, 'stream body');
  assert.equal(tr.trailers['x-checksum'], 'abc123', 'trailers pass through');

  let viaCurl = false;
  if (requireTool(t, 'curl', 'curl')) {
    // A second client connection (its own CONNECT): the proxy's upstream session is reused.
    const r = await runCurl(['-sS', '--http2', '-w', '\n%{http_version}', '--proxy', `http://127.0.0.1:${c.session.address.port}`, '--cacert', c.proxyCa.certFile, '--data-binary', 'curl body', `${origin}/h2/curl`]);
    assert.equal(r.code, 0, r.stderr);
    const [json, version] = r.stdout.split('\n');
    assert.equal(version, '2');
    assert.deepEqual(JSON.parse(json), { version: '2.0', method: 'POST', url: '/h2/curl', body: 'curl body' });
    viaCurl = true;
  }
  assert.ok(b.seen.every((s) => s.startsWith('2.0 ')), `the backend saw only HTTP/2: ${b.seen.join(' | ')}`);
  assert.equal(b.connections, 1, 'one upstream connection (h2 session) served every stream');

  const rows = (await c.rows()).sort((p, q) => (p.url < q.url ? -1 : 1));
  const expected: Array<[string, string, number, string, string | null, string | null]> = [
    [`${origin}/h2/a?x=1`, 'GET', 200, '', '2', '2'],
    [`${origin}/h2/b`, 'POST', 200, 'stream body', '2', '2'],
    ...(viaCurl ? [[`${origin}/h2/curl`, 'POST', 200, 'curl body', '2', '2'] as [string, string, number, string, string, string]] : []),
    [`${origin}/trailers`, 'GET', 200, '', '2', '2'],
  ];
  assert.deepEqual(rows.map((r) => [r.url, r.method, r.status, body(r.requestBody), r.httpVersion, r.upstreamHttpVersion]), expected);
  assert.ok(rows.every((r) => r.protocol === 'https' && r.error === null));
  assert.ok(rows.find((r) => r.url.endsWith('/h2/b'))!.responseHeaders?.some(([k, v]) => k === 'x-backend' && v === 'yes'));
  assert.ok(rows.every((r) => r.requestHeaders.every(([k]) => !k.startsWith(':'))), 'pseudo-headers are not stored as headers');
  assert.equal(exchangeToHarEntry(rows[0]).request.httpVersion, 'HTTP/2.0', 'a HAR export says what the client spoke');
});

test('an HTTP/1.1-only backend still serves an h2 client: the upstream leg falls back to HTTP/1.1', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const b = await backend(t, 'http/1.1');
  const c = await capture(t);
  const call = await h2Through(t, c.session.address.port, b.port, c.proxyCa);
  const first = await call('/one');
  const [second, third] = await Promise.all([call('/two', 'PUT', 'put body'), call('/three')]);
  for (const r of [first, second, third]) assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(second.text), { version: '1.1', method: 'PUT', url: '/two', body: 'put body' });
  assert.deepEqual(b.seen.sort(), ['1.1 GET /one ', '1.1 GET /three ', '1.1 PUT /two put body']);
  const rows = (await c.rows()).sort((p, q) => (p.url < q.url ? -1 : 1));
  assert.deepEqual(rows.map((r) => [new URL(r.url).pathname, r.status, r.httpVersion, r.upstreamHttpVersion, r.error]), [
    ['/one', 200, '2', '1.1', null],
    ['/three', 200, '2', '1.1', null],
    ['/two', 200, '2', '1.1', null],
  ]);
});

test('an HTTP/1.1 client stays HTTP/1.1 upstream, even to a backend that speaks h2', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const b = await backend(t, 'both');
  const c = await capture(t);
  const { ProxyAgent, request } = await import('undici');
  const client = new ProxyAgent({ uri: `http://127.0.0.1:${c.session.address.port}`, requestTls: { ca: c.proxyCa.certPem } });
  t.after(() => client.destroy());
  const r = await request(`https://localhost:${b.port}/h1`, { dispatcher: client });
  assert.equal(r.statusCode, 200);
  assert.equal(((await r.body.json()) as { version: string }).version, '1.1');
  await client.close();
  const rows = await c.rows();
  assert.deepEqual(rows.map((x) => [x.status, x.httpVersion, x.upstreamHttpVersion]), [[200, '1.1', '1.1']]);
});

test('an h2 upstream whose certificate the proxy cannot verify: 502 to the h2 client, the cause stored', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const b = await backend(t, 'h2');
  const c = await capture(t, false);
  const call = await h2Through(t, c.session.address.port, b.port, c.proxyCa);
  const r = await call('/untrusted');
  assert.equal(r.status, 502);
  assert.match(r.text, /upstream certificate: /);
  assert.deepEqual(b.seen, []);
  const rows = await c.rows();
  assert.equal(rows.length, 1);
  assert.equal(rows[0].status, 502);
  assert.match(rows[0].error ?? '', /^upstream certificate: /);
});
