/**
 * Forward mode with TLS interception (issue 12, points 2 and 4). On loopback: an HTTPS backend whose certificate
 * comes from one test CA (trusted by the proxy as its upstream CA), and the proxy minting leaves from a second
 * test CA (trusted by the clients through their standard variables). Real clients: curl, Node (undici), Python
 * requests, Go net/http. Each exchange is stored as https with its full URL and bodies; h2 too; an untrusted
 * client gets a certificate error and nothing is stored; a host outside --intercept stays a tunnel; an upstream
 * certificate the proxy cannot verify fails the exchange (502, cause stored) unless --insecure-upstream.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import * as tls from 'node:tls';
import { CaptureSession } from '../../src/core/capture/captureSession';
import { interceptAgent, type InterceptOptions } from '../../src/core/capture/tlsIntercept';
import { ROOT, listenCounting, openStore, requireTool, runCli, assertCliError, tmpDir } from '../helpers';
import { makeTestCa, type TestCa } from '../helpers/testCa';

interface Backend {
  port: number;
  /** What the backend saw, one line per request. */
  seen: string[];
  /** TCP connections it accepted. */
  connections: number;
}

/** An HTTPS (HTTP/1.1) backend on 127.0.0.1 with a leaf for localhost from `ca`; echoes method, path and body. */
async function httpsBackend(t: TestContext, ca: TestCa): Promise<Backend> {
  const leaf = await ca.leaf('localhost');
  const seen: string[] = [];
  const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'yes' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body }));
    });
  });
  const backend: Backend = { port: 0, seen, connections: 0 };
  backend.port = await listenCounting(t, server, 'connection', backend);
  return backend;
}

interface Setup {
  proxyCa: TestCa;
  backend: Backend;
  session: CaptureSession;
  proxyUrl: string;
  db: string;
  /** Stops the capture and returns the stored exchanges (full rows) and sessions. */
  finish(): Promise<{ rows: Array<NonNullable<ReturnType<Awaited<ReturnType<typeof openStore>>['exchange']>>>; sessions: ReturnType<Awaited<ReturnType<typeof openStore>>['sessions']> }>;
}

let shared: { proxyCa: TestCa; backendCa: TestCa } | undefined;
// The CAs are made once for the file (openssl takes a moment on a loaded machine), in a folder removed at the end.
const caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-intercept-ca-'));
after(() => fs.rmSync(caDir, { recursive: true, force: true }));

async function setup(t: TestContext, intercept: Partial<InterceptOptions> = {}, trustBackend = true): Promise<Setup> {
  shared ??= { proxyCa: await makeTestCa(caDir, 'Chaos Test Interception CA'), backendCa: await makeTestCa(caDir, 'Chaos Test Backend CA') };
  const { proxyCa, backendCa } = shared;
  const backend = await httpsBackend(t, backendCa);
  const db = path.join(tmpDir(t), 'traffic.db');
  const session = await CaptureSession.start({
    mode: 'forward',
    port: 0,
    output: db,
    intercept: { leaves: (h) => proxyCa.secureContext(h), upstreamCa: trustBackend ? backendCa.certPem : undefined, ...intercept },
  });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await session.stop(500);
  });
  return {
    proxyCa,
    backend,
    session,
    db,
    proxyUrl: `http://127.0.0.1:${session.address.port}`,
    async finish() {
      stopped = true;
      await session.stop(2_000);
      const store = await openStore(t, db);
      return { rows: store.exchanges().map((e) => store.exchange(e.id)!), sessions: store.sessions() };
    },
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client without blocking this process (the proxy runs in it), proxy variables cleared unless given. */
function runClient(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, options: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  const base = { ...process.env };
  for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS']) delete base[k];
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...base, ...env }, cwd: options.cwd ?? ROOT, timeout: options.timeoutMs ?? 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const body = (b: { data: Uint8Array } | null | undefined): string => (b ? Buffer.from(b.data).toString() : '');

test('curl through interception: GET and POST stored as https with full URL and bodies', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'curl', 'curl') || !requireTool(t, 'openssl', 'openssl')) return;
  const s = await setup(t);
  const url = `https://localhost:${s.backend.port}`;
  const get = await runClient('curl', ['-sS', '--http1.1', '--proxy', s.proxyUrl, '--cacert', s.proxyCa.certFile, `${url}/users?id=7`]);
  assert.equal(get.code, 0, get.stderr);
  assert.deepEqual(JSON.parse(get.stdout), { method: 'GET', url: '/users?id=7', body: '' });
  const post = await runClient('curl', ['-sS', '--http1.1', '--proxy', s.proxyUrl, '--cacert', s.proxyCa.certFile, '-H', 'content-type: text/plain', '--data-binary', 'hello backend', `${url}/items`]);
  assert.equal(post.code, 0, post.stderr);
  assert.equal(JSON.parse(post.stdout).body, 'hello backend');
  assert.deepEqual(s.backend.seen, ['GET /users?id=7 ', 'POST /items hello backend']);

  const { rows } = await s.finish();
  assert.deepEqual(rows.map((r) => [r.protocol, r.method, r.url, r.status, r.error]), [
    ['https', 'GET', `${url}/users?id=7`, 200, null],
    ['https', 'POST', `${url}/items`, 200, null],
  ]);
  assert.equal(body(rows[1].requestBody), 'hello backend');
  assert.equal(JSON.parse(body(rows[1].responseBody)).body, 'hello backend');
  assert.ok(rows[1].responseHeaders?.some(([k, v]) => k.toLowerCase() === 'x-backend' && v === 'yes'));
});

test('Node (undici ProxyAgent, NODE_EXTRA_CA_CERTS) through interception is stored as https', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const s = await setup(t);
  const url = `https://localhost:${s.backend.port}/node?x=1`;
  const script = `
    const { ProxyAgent, fetch } = require('undici');
    fetch(process.argv[1], { method: 'PUT', body: 'from node', dispatcher: new ProxyAgent(process.env.HTTPS_PROXY) })
      .then(async (r) => { console.log(r.status, await r.text()); process.exit(0); })
      .catch((e) => { console.error(e.cause?.message ?? e.message); process.exit(1); });`;
  const r = await runClient(process.execPath, ['-e', script, url], { HTTPS_PROXY: s.proxyUrl, NODE_EXTRA_CA_CERTS: s.proxyCa.certFile });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^200 .*"body":"from node"/);
  const { rows } = await s.finish();
  assert.deepEqual(rows.map((x) => [x.protocol, x.method, x.url, x.status, body(x.requestBody)]), [['https', 'PUT', url, 200, 'from node']]);
});

test('Python requests (HTTPS_PROXY, REQUESTS_CA_BUNDLE) through interception is stored as https', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'python3', 'python3-requests') || !requireTool(t, 'openssl', 'openssl')) return;
  if (spawnSync('python3', ['-c', 'import requests'], { timeout: 30_000 }).status !== 0) {
    if (process.env.CI === 'true') throw new Error("needs Python's requests (Debian package python3-requests): missing under CI");
    t.skip("needs Python's requests (Debian package python3-requests; run npm run setup)");
    return;
  }
  const s = await setup(t);
  const url = `https://localhost:${s.backend.port}/py`;
  const r = await runClient('python3', ['-c', 'import sys, requests; r = requests.post(sys.argv[1], json={"lang": "py"}, timeout=30); print(r.status_code, r.text)', url], {
    HTTPS_PROXY: s.proxyUrl,
    REQUESTS_CA_BUNDLE: s.proxyCa.certFile,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^200 /);
  const { rows } = await s.finish();
  assert.deepEqual(rows.map((x) => [x.protocol, x.method, x.url, x.status, body(x.requestBody)]), [['https', 'POST', url, 200, '{"lang": "py"}']]);
});

test('Go net/http (HTTPS_PROXY, SSL_CERT_FILE) through interception is stored as https, over h2', { timeout: 240_000 }, async (t) => {
  if (!requireTool(t, 'go', 'golang-go') || !requireTool(t, 'openssl', 'openssl')) return;
  const s = await setup(t);
  const dir = tmpDir(t, 'chaos-go-');
  // Go's ProxyFromEnvironment never proxies localhost, so the program reads HTTPS_PROXY itself; the rest of the
  // transport is Go's default (SSL_CERT_FILE for trust, HTTP/2 when the server offers it).
  fs.writeFileSync(path.join(dir, 'main.go'), `package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

func main() {
	proxy, err := url.Parse(os.Getenv("HTTPS_PROXY"))
	if err != nil {
		panic(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(proxy)
	res, err := (&http.Client{Transport: tr}).Post(os.Args[1], "text/plain", strings.NewReader("from go"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, _ := io.ReadAll(res.Body)
	fmt.Println(res.StatusCode, res.Proto, string(b))
}
`);
  const url = `https://localhost:${s.backend.port}/go`;
  const cache = path.join(dir, 'cache');
  const r = await runClient('go', ['run', 'main.go', url], {
    HTTPS_PROXY: s.proxyUrl,
    SSL_CERT_FILE: s.proxyCa.certFile,
    GOFLAGS: '-mod=mod',
    GOPROXY: 'off',
    GO111MODULE: 'off',
    GOCACHE: process.env.GOCACHE ?? path.join(cache, 'build'),
    GOPATH: path.join(cache, 'gopath'),
  }, { cwd: dir, timeoutMs: 200_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^200 HTTP\/2\.0 .*"body":"from go"/);
  const { rows } = await s.finish();
  assert.deepEqual(rows.map((x) => [x.protocol, x.method, x.url, x.status, body(x.requestBody)]), [['https', 'POST', url, 200, 'from go']]);
});

test('HTTP/2 through interception: curl --http2 and the node http2 client over CONNECT are stored', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'curl', 'curl') || !requireTool(t, 'openssl', 'openssl')) return;
  const s = await setup(t);
  const origin = `https://localhost:${s.backend.port}`;
  const r = await runClient('curl', ['-sS', '--http2', '-w', '\\n%{http_version}', '--proxy', s.proxyUrl, '--cacert', s.proxyCa.certFile, '--data-binary', 'h2 body', `${origin}/h2?via=curl`]);
  assert.equal(r.code, 0, r.stderr);
  const [json, version] = r.stdout.split('\n');
  assert.equal(version, '2', 'curl spoke HTTP/2 to the proxy');
  assert.equal(JSON.parse(json).body, 'h2 body');

  // Node's http2 client inside a CONNECT tunnel: several streams on one session, one of them with a body.
  const tunnel = await new Promise<net.Socket>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.session.address.port, method: 'CONNECT', path: `localhost:${s.backend.port}`, agent: false });
    req.once('connect', (res, socket) => (res.statusCode === 200 ? resolve(socket) : reject(new Error(`CONNECT ${res.statusCode}`))));
    req.once('error', reject);
    req.end();
  });
  const client = http2.connect(origin, { createConnection: () => tls.connect({ socket: tunnel, servername: 'localhost', ALPNProtocols: ['h2'], ca: s.proxyCa.certPem }) });
  t.after(() => client.destroy());
  const call = (p: string, method: string, payload?: string): Promise<{ status: number; text: string }> => new Promise((resolve, reject) => {
    const stream = client.request({ ':path': p, ':method': method }, { endStream: payload === undefined });
    let text = '';
    let status = 0;
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.on('end', () => resolve({ status, text }));
    stream.on('error', reject);
    if (payload !== undefined) stream.end(payload);
  });
  const [a, b] = await Promise.all([call('/h2/a', 'GET'), call('/h2/b', 'POST', 'stream body')]);
  assert.equal(a.status, 200);
  assert.equal(JSON.parse(a.text).url, '/h2/a');
  assert.equal(JSON.parse(b.text).body, 'stream body');
  client.close();

  const { rows } = await s.finish();
  const got = rows.map((x) => [x.protocol, x.method, x.url, x.status, body(x.requestBody)]).sort((p, q) => (String(p[2]) < String(q[2]) ? -1 : 1));
  assert.deepEqual(got, [
    ['https', 'GET', `${origin}/h2/a`, 200, ''],
    ['https', 'POST', `${origin}/h2/b`, 200, 'stream body'],
    ['https', 'POST', `${origin}/h2?via=curl`, 200, 'h2 body'],
  ]);
  // Pseudo-headers are not stored as headers; the authority is, as Host.
  assert.ok(rows.every((x) => x.requestHeaders.every(([k]) => !k.startsWith(':'))));
  assert.ok(rows.every((x) => x.requestHeaders.some(([k, v]) => k.toLowerCase() === 'host' && v === `localhost:${s.backend.port}`)));
});

test('a client that does not trust the interception CA gets a certificate error and nothing is stored', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'curl', 'curl') || !requireTool(t, 'openssl', 'openssl')) return;
  const s = await setup(t);
  const errors: string[] = [];
  s.session.proxy.on('interceptError', (m: string) => errors.push(m));
  const r = await runClient('curl', ['-sS', '--proxy', s.proxyUrl, `https://localhost:${s.backend.port}/secret`]);
  assert.equal(r.code, 60, `curl exit 60 (peer certificate cannot be authenticated): ${r.stderr}`);
  assert.match(r.stderr, /certificate/i);
  assert.deepEqual(s.backend.seen, [], 'the request never reached the backend');
  const { rows } = await s.finish();
  assert.deepEqual(rows, []);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^localhost:\d+: /);
});

test('a host outside --intercept stays an opaque tunnel', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'curl', 'curl') || !requireTool(t, 'openssl', 'openssl')) return;
  const s = await setup(t, { hosts: ['*.example.test', 'api.other.test'] });
  // Not intercepted: the client sees the backend's own certificate, so it trusts the backend's CA.
  const r = await runClient('curl', ['-sS', '--proxy', s.proxyUrl, '--cacert', shared!.backendCa.certFile, `https://localhost:${s.backend.port}/opaque`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).url, '/opaque');
  const { rows } = await s.finish();
  assert.deepEqual(rows.map((x) => [x.protocol, x.method, x.url, x.status]), [['tunnel', 'CONNECT', `localhost:${s.backend.port}`, 200]]);
});

test('an upstream certificate the proxy cannot verify: 502 and the cause stored; --insecure-upstream lets it through, noted on the session', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'curl', 'curl') || !requireTool(t, 'openssl', 'openssl')) return;
  const strict = await setup(t, {}, false);
  const url = `https://localhost:${strict.backend.port}/checked`;
  const r = await runClient('curl', ['-sS', '-w', '\\n%{http_code}', '--proxy', strict.proxyUrl, '--cacert', strict.proxyCa.certFile, url]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /upstream certificate: .*\n+502$/);
  assert.deepEqual(strict.backend.seen, []);
  const a = await strict.finish();
  assert.equal(a.rows.length, 1);
  assert.equal(a.rows[0].protocol, 'https');
  assert.equal(a.rows[0].url, url);
  assert.equal(a.rows[0].status, 502);
  assert.match(a.rows[0].error ?? '', /^upstream certificate: (unable to verify the first certificate|self[- ]signed certificate|unable to get local issuer certificate)/);
  assert.equal(a.sessions[0].note, null);

  const loose = await setup(t, { insecureUpstream: true }, false);
  const ok = await runClient('curl', ['-sS', '--proxy', loose.proxyUrl, '--cacert', loose.proxyCa.certFile, `https://localhost:${loose.backend.port}/unchecked`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).url, '/unchecked');
  const b = await loose.finish();
  assert.deepEqual(b.rows.map((x) => [x.protocol, x.status, x.error]), [['https', 200, null]]);
  assert.match(b.sessions[0].note ?? '', /insecure-upstream/);
});

test('leaf certificates are minted once per host and reused across connections', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'curl', 'curl') || !requireTool(t, 'openssl', 'openssl')) return;
  let asked = 0;
  // A provider around the test CA's, to count what the proxy asks for.
  const s = await setup(t, { leaves: (h) => (asked++, shared!.proxyCa.secureContext(h)) });
  const before = s.proxyCa.minted;
  for (let i = 0; i < 3; i++) {
    const r = await runClient('curl', ['-sS', '--proxy', s.proxyUrl, '--cacert', s.proxyCa.certFile, `https://localhost:${s.backend.port}/n${i}`]);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal(asked, 3, 'the proxy asks the provider once per connection');
  assert.ok(s.proxyCa.minted - before <= 1, 'and the provider minted at most one new leaf');
  const { rows } = await s.finish();
  assert.equal(rows.length, 3);
});

test('keep-alive through interception: one CONNECT and one upstream connection serve many requests', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const s = await setup(t);
  const { ProxyAgent, request } = await import('undici');
  const client = new ProxyAgent({ uri: s.proxyUrl, connections: 1, requestTls: { ca: fs.readFileSync(s.proxyCa.certFile) } });
  t.after(() => client.destroy());
  const n = 40;
  for (let i = 0; i < n; i++) {
    const r = await request(`https://localhost:${s.backend.port}/k${i}`, { dispatcher: client });
    assert.equal(r.statusCode, 200);
    assert.equal(((await r.body.json()) as { url: string }).url, `/k${i}`);
  }
  assert.equal(s.backend.connections, 1, 'the proxy reuses its upstream TLS connection');
  await client.close();
  const stats = await s.session.stop(2_000);
  assert.equal(stats.stored, n);
  assert.equal(stats.requests - stats.stored, 1, 'the client kept its one intercepted connection (one CONNECT)');
});

test('HTTP/1.1 through interception checks the upstream certificate: untrusted CA and wrong name are 502s with the cause', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const { ProxyAgent, request } = await import('undici');
  const ask = async (s: Setup, url: string): Promise<[number, string]> => {
    const client = new ProxyAgent({ uri: s.proxyUrl, requestTls: { ca: fs.readFileSync(s.proxyCa.certFile) } });
    try {
      const r = await request(url, { dispatcher: client });
      return [r.statusCode, await r.body.text()];
    } finally {
      await client.close();
    }
  };
  const untrusted = await setup(t, {}, false);
  const [status, text] = await ask(untrusted, `https://localhost:${untrusted.backend.port}/untrusted`);
  assert.equal(status, 502);
  assert.match(text, /upstream certificate: /);
  assert.deepEqual(untrusted.backend.seen, []);
  assert.deepEqual((await untrusted.finish()).rows.map((r) => r.status), [502]);
  // The backend's leaf names localhost only: reached as 127.0.0.1 it does not match.
  const trusted = await setup(t);
  const [status2, text2] = await ask(trusted, `https://127.0.0.1:${trusted.backend.port}/by-ip`);
  assert.equal(status2, 502);
  assert.match(text2, /upstream certificate: .*127\.0\.0\.1/);
  assert.deepEqual(trusted.backend.seen, []);
  const { rows } = await trusted.finish();
  assert.deepEqual(rows.map((r) => [r.url, r.status]), [[`https://127.0.0.1:${trusted.backend.port}/by-ip`, 502]]);
});

test('the upstream agent\'s pool key stays short: the trusted CAs are not joined into it on every request', () => {
  const agent = interceptAgent({ leaves: () => Promise.reject(new Error('unused')), upstreamCa: shared?.backendCa.certPem ?? 'x' });
  // What the agent computes per request (request options merged over its own).
  try {
    const key = agent.getName({ ...(agent as unknown as { options: https.AgentOptions }).options, host: 'localhost', port: 443, servername: 'localhost' });
    assert.ok(key.length < 500, `pool key of ${key.length} characters`);
  } finally {
    agent.destroy();
  }
});

test('observe: the interception flags are checked with one-line errors', { timeout: 60_000 }, (t) => {
  const dir = tmpDir(t);
  const observe = (...args: string[]): ReturnType<typeof runCli> => runCli(['observe', '--port', '0', '--duration', '1', '--output', path.join(dir, 'traffic.db'), ...args], { cwd: dir });
  assertCliError(observe('--mode', 'forward', '--intercept', '*.example.com'), 2, ['--intercept-tls']);
  assertCliError(observe('--mode', 'forward', '--insecure-upstream'), 2, ['--insecure-upstream']);
  assertCliError(observe('--target', 'http://127.0.0.1:9', '--intercept-tls'), 2, ['--mode forward']);
  assert.ok(!fs.existsSync(path.join(dir, 'traffic.db')), 'nothing was created');
});
