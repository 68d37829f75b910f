/**
 * HAR in and out: a hand-written HAR imports and exports back to the same entries (methods, URLs, statuses,
 * headers, text and base64 bodies, timings, WebSocket messages); a capture survives export → import → export
 * unchanged; a file that is not a HAR is refused with one line.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import WebSocket, { WebSocketServer } from 'ws';
import type { Har, HarEntry } from '../../src/core/har/types';
import { ROOT, assertCliError, listen, request, runCli, startObserve, tmpDir } from '../helpers';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'sample.har');

function readHarFile(file: string): Har {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Har;
}

function exportHar(db: string, out: string, extra: string[] = []): Har {
  const r = runCli(['export', '--format', 'har', '--db', db, '--output', out, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return readHarFile(out);
}

function importHar(har: string, db: string, extra: string[] = []): string {
  const r = runCli(['import', har, '--db', db, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/**
 * HAR timings before the response (blocked, dns, connect, ssl, send, wait) are stored as one time to first byte and
 * exported as `wait`; everything else about an entry is expected back as it was.
 */
function comparable(e: HarEntry): unknown {
  const t = e.timings;
  const pos = (n: number | undefined): number => (typeof n === 'number' && n > 0 ? n : 0);
  const { _protocol: _p, timings: _t, ...rest } = e;
  return {
    ...rest,
    _error: e._error ?? null,
    timings: { beforeResponse: pos(t.blocked) + pos(t.dns) + pos(t.connect) + pos(t.send) + pos(t.wait), receive: t.receive },
  };
}

test('a hand-written HAR imports and exports back to the same entries', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const fixture = readHarFile(FIXTURE);
  assert.match(importHar(FIXTURE, db, ['--no-redact']), /imported 6 exchanges and 4 WebSocket messages/);
  const har = exportHar(db, path.join(dir, 'out.har'));
  assert.equal(har.log.version, '1.2');
  assert.equal(har.log.entries.length, fixture.log.entries.length);
  fixture.log.entries.forEach((want, i) => {
    const got = har.log.entries[i];
    // The essentials first, for a readable failure; then the whole entry.
    assert.equal(got.request.method, want.request.method);
    assert.equal(got.request.url, want.request.url);
    assert.equal(got.response.status, want.response.status);
    assert.deepEqual(got.request.headers, want.request.headers, `entry ${i} request headers`);
    assert.deepEqual(got.response.headers, want.response.headers, `entry ${i} response headers`);
    assert.deepEqual(got.request.postData, want.request.postData, `entry ${i} request body`);
    assert.deepEqual(got.response.content, want.response.content, `entry ${i} response body`);
    assert.equal(got.time, want.time);
    assert.deepEqual(got._webSocketMessages, want._webSocketMessages, `entry ${i} WebSocket messages`);
    assert.deepEqual(comparable(got), comparable(want), `entry ${i}`);
  });
  // Spot checks on the hard cases, against the bytes the fixture means.
  const png = Buffer.from(har.log.entries[2].response.content.text!, 'base64');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(har.log.entries[1].response.content.text, JSON.stringify({ id: 3, name: 'Grace Hopper', note: 'héllo ✓ — ünïcode' }));
  assert.equal(har.log.entries[5]._error, 'net::ERR_CONNECTION_REFUSED');

  // The store itself holds the decoded bytes, as show --json reports them.
  const show = runCli(['show', '4', '--db', db, '--json']);
  assert.equal(show.code, 0, show.stderr);
  const upload = JSON.parse(show.stdout) as { requestBody: { text: string; encoding: string; size: number } };
  assert.equal(upload.requestBody.encoding, 'base64');
  assert.deepEqual([...Buffer.from(upload.requestBody.text, 'base64')], [0, 1, 2, 3, 0xfe, 0xff, 0x80, 0x7f, 0x10, 0x0d, 0x0a]);
});

test('importing a HAR redacts its secrets unless --no-redact', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  importHar(FIXTURE, db);
  const bytes = fs.readFileSync(db);
  for (const raw of ['fixture-secret-token', 'fixture-session-id']) assert.equal(bytes.includes(raw), false, `${raw} stored raw`);
  const har = exportHar(db, path.join(dir, 'out.har'));
  const auth = har.log.entries[1].request.headers.find((h) => h.name === 'Authorization')!.value;
  assert.match(auth, /^Bearer \[REDACTED:[0-9a-f]{8}\]$/);
  assert.match(har.log.entries[1].response.headers.find((h) => h.name === 'Set-Cookie')!.value, /^sid=\[REDACTED:[0-9a-f]{8}\]; Path=\/; HttpOnly$/);
  assert.deepEqual(har.log.entries[0].request.cookies.map((c) => c.name), ['theme', 'lang']);
  // Nothing else was touched.
  assert.equal(har.log.entries[0].response.content.text, readHarFile(FIXTURE).log.entries[0].response.content.text);
});

/** HAR entries holding secrets in the shapes browsers and proxies write that the names alone do not give away. */
function secretShapesHar(): Har {
  const entry = (request: Partial<HarEntry['request']>, response: Partial<HarEntry['response']> = {}, extra: Partial<HarEntry> = {}): HarEntry => ({
    startedDateTime: '2024-05-01T10:00:00.000Z',
    time: 12,
    request: { method: 'POST', url: 'http://127.0.0.1:9/', httpVersion: 'HTTP/1.1', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: -1, ...request },
    response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 0, mimeType: '' }, redirectURL: '', headersSize: -1, bodySize: -1, ...response },
    cache: {},
    timings: { send: 1, wait: 10, receive: 1 },
    ...extra,
  }) as HarEntry;
  const entries = [
    // The form's type only in postData.mimeType, no Content-Type header.
    entry({ url: 'http://127.0.0.1:9/login', postData: { mimeType: 'application/x-www-form-urlencoded', text: 'user=alice&password=PW-hunter2' } }),
    // Untyped JSON after whitespace; arrays and objects under secret names.
    entry({ url: 'http://127.0.0.1:9/p', method: 'PUT', postData: { mimeType: '', text: '\n {"password":"PW-LLL"}' } }),
    entry({ url: 'http://127.0.0.1:9/keys', headers: [{ name: 'Content-Type', value: 'application/json' }], postData: { mimeType: 'application/json', text: '{"tokens":["tok-AAA","tok-BBB"],"token":{"access":"acc-CCC"},"apiKey":{"v":"key-DDD"}}' } }),
    // Two cookies in one Set-Cookie value, and a password in the URL.
    entry({ method: 'GET', url: 'http://bob:PW-HHH@127.0.0.1:9/c' }, { headers: [{ name: 'Set-Cookie', value: 'a=SC-FFF; Path=/\nb=SC-GGG; Path=/; HttpOnly' }] }),
    // A socket.io frame.
    entry({ method: 'GET', url: 'http://127.0.0.1:9/socket.io/?EIO=4&transport=websocket' }, { status: 101 }, {
      _webSocketMessages: [{ type: 'send', time: 1714557600.123, opcode: 1, data: '42["auth",{"token":"WS-JJJ"}]' }],
    }),
  ];
  return { log: { version: '1.2', creator: { name: 'test', version: '1' }, entries } } as Har;
}

test('importing a HAR redacts secrets in every shape: untyped form and JSON, nested values, joined cookies, URL passwords, socket.io frames', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const harFile = path.join(dir, 'secrets.har');
  fs.writeFileSync(harFile, JSON.stringify(secretShapesHar()));
  const db = path.join(dir, 'traffic.db');
  assert.match(importHar(harFile, db), /imported 5 exchanges and 1 WebSocket message/);
  const json = path.join(dir, 'out.json');
  const r = runCli(['export', '--format', 'json', '--db', db, '--output', json]);
  assert.equal(r.code, 0, r.stderr);
  const har = exportHar(db, path.join(dir, 'out.har'));
  const outputs = { 'the database': fs.readFileSync(db, 'latin1'), 'the JSON export': fs.readFileSync(json, 'utf8'), 'the HAR export': JSON.stringify(har) };
  for (const secret of ['PW-hunter2', 'PW-LLL', 'tok-AAA', 'tok-BBB', 'acc-CCC', 'key-DDD', 'SC-FFF', 'SC-GGG', 'PW-HHH', 'WS-JJJ']) {
    for (const [where, text] of Object.entries(outputs)) assert.equal(text.includes(secret), false, `${secret} is in ${where}`);
  }
  // What is not secret stays readable, and the form keeps its type.
  assert.match(har.log.entries[0].request.postData!.text, /^user=alice&password=%5BREDACTED%3A[0-9a-f]{8}%5D$/);
  assert.equal(har.log.entries[0].request.postData!.mimeType, 'application/x-www-form-urlencoded');
  assert.match(har.log.entries[3].request.url, /^http:\/\/bob:%5BREDACTED%3A[0-9a-f]{8}%5D@127\.0\.0\.1:9\/c$/);
  assert.match(har.log.entries[4]._webSocketMessages![0].data, /^42\["auth",\{"token":"\[REDACTED:[0-9a-f]{8}\]"\}\]$/);
});

test('text that is not UTF-8 keeps its bytes through import → export, as base64 in HAR and JSON', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in ISO-8859-1
  const type = 'text/plain; charset=iso-8859-1';
  const har: Har = { log: { version: '1.2', creator: { name: 'test', version: '1' }, entries: [{
    startedDateTime: '2024-05-01T10:00:00.000Z',
    time: 12,
    request: { method: 'POST', url: 'http://127.0.0.1:9/api/latin', httpVersion: 'HTTP/1.1', headers: [{ name: 'Content-Type', value: type }], queryString: [], cookies: [], headersSize: -1, bodySize: 4, postData: { mimeType: type, text: latin1.toString('base64'), encoding: 'base64' } },
    response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [{ name: 'Content-Type', value: type }], cookies: [], content: { size: 4, mimeType: type, text: latin1.toString('base64'), encoding: 'base64' }, redirectURL: '', headersSize: -1, bodySize: -1 },
    cache: {},
    timings: { send: 1, wait: 10, receive: 1 },
  } as HarEntry] } } as Har;
  const harFile = path.join(dir, 'latin.har');
  fs.writeFileSync(harFile, JSON.stringify(har));
  const db = path.join(dir, 'traffic.db');
  importHar(harFile, db);

  const out = exportHar(db, path.join(dir, 'out.har')).log.entries[0];
  assert.deepEqual({ ...out.request.postData }, { mimeType: type, text: latin1.toString('base64'), encoding: 'base64' });
  assert.deepEqual({ ...out.response.content }, { size: 4, mimeType: type, text: latin1.toString('base64'), encoding: 'base64' });
  const json = path.join(dir, 'out.json');
  assert.equal(runCli(['export', '--format', 'json', '--db', db, '--output', json]).code, 0);
  const ex = (JSON.parse(fs.readFileSync(json, 'utf8')) as { exchanges: Array<{ requestBody: { data: unknown }; responseBody: { data: unknown } }> }).exchanges[0];
  for (const b of [ex.requestBody, ex.responseBody]) assert.deepEqual(b.data, { text: latin1.toString('base64'), encoding: 'base64' });

  // And again: the second import stores the same bytes.
  const again = path.join(dir, 'again.db');
  importHar(path.join(dir, 'out.har'), again);
  const back = exportHar(again, path.join(dir, 'again.har')).log.entries[0];
  assert.deepEqual(Buffer.from(back.response.content.text!, 'base64'), latin1);
  assert.deepEqual(Buffer.from(back.request.postData!.text, 'base64'), latin1);
});

test('capture → export HAR → import into a new database → export again gives the same entries', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const first = path.join(dir, 'first.db');
  const second = path.join(dir, 'second.db');
  const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x7f, 0x0a, 0x0d]);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      switch (req.url) {
        case '/json?x=1&y=two':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ hello: 'wörld', n: [1, 2, 3] }));
        case '/gzip':
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          return res.end(gzipSync(JSON.stringify({ compressed: true })));
        case '/binary':
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          return res.end(binary);
        case '/upload':
          res.writeHead(204, { 'x-got': String(body.length) });
          return res.end();
        case '/login':
          res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'sid=s3cr3t-session; Path=/; HttpOnly' });
          return res.end(JSON.stringify({ token: 'tok-123', user: JSON.parse(body.toString()).username }));
        default:
          res.writeHead(404, { 'content-type': 'text/plain' });
          return res.end('no such thing');
      }
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  t.after(() => wss.close());
  const backend = await listen(t, server);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', first, '--no-redact']);

  assert.equal((await request(`${proxy.url}/json?x=1&y=two`, { headers: { cookie: 'a=1; b=2' } })).status, 200);
  assert.equal((await request(`${proxy.url}/gzip`)).status, 200);
  assert.deepEqual((await request(`${proxy.url}/binary`)).body, binary);
  assert.equal((await request(`${proxy.url}/upload`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: binary })).status, 204);
  const login = await request(`${proxy.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Basic dXNlcjpwdw==' }, body: '{"username":"u","password":"pw"}' });
  assert.equal(login.status, 200);
  assert.equal((await request(`${proxy.url}/nowhere`)).status, 404);
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/socket`);
    const got: string[] = [];
    ws.on('open', () => {
      ws.send('{"op":"ping"}');
      ws.send(Buffer.from([9, 8, 7, 0, 255]));
    });
    ws.on('message', (d: Buffer) => {
      got.push(d.toString('hex'));
      if (got.length === 2) ws.close(1000, 'done');
    });
    ws.on('close', () => resolve());
    ws.on('error', reject);
  });
  // The close handshake's frames must be recorded before the capture stops.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await proxy.stop(), 0);

  const har1 = exportHar(first, path.join(dir, 'first.har'));
  assert.equal(har1.log.entries.length, 7);
  const ws1 = har1.log.entries[6];
  assert.equal(ws1.response.status, 101);
  const kinds = ws1._webSocketMessages!.map((m) => `${m.type}:${m.opcode}`).sort();
  assert.deepEqual(kinds, ['receive:1', 'receive:2', 'receive:8', 'send:1', 'send:2', 'send:8']);
  assert.equal(ws1._webSocketMessages!.filter((m) => m.opcode === 1).length, 2);
  assert.equal(ws1._webSocketMessages!.filter((m) => m.opcode === 2 && m._encoding === 'base64').length, 2);
  assert.equal(har1.log.entries[1].response.content.text, '{"compressed":true}');
  assert.equal(har1.log.entries[2].response.content.encoding, 'base64');

  assert.match(importHar(path.join(dir, 'first.har'), second, ['--no-redact']), /imported 7 exchanges and \d+ WebSocket messages/);
  const har2 = exportHar(second, path.join(dir, 'second.har'));
  assert.equal(har2.log.entries.length, har1.log.entries.length);
  har1.log.entries.forEach((e, i) => assert.deepEqual(har2.log.entries[i], e, `entry ${i} (${e.request.method} ${e.request.url})`));
});

test('a file that is not a HAR is refused with one line naming it, and no database is created', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const cases: Array<[string, string, RegExp]> = [
    ['not-json.har', '{"log": {"entries": [', /is not JSON/],
    ['no-entries.har', '{"log": {"version": "1.2"}}', /no log\.entries/],
    ['no-log.har', '[1, 2, 3]', /no log\.entries/],
    ['bad-entry.har', '{"log": {"entries": [{"request": {"method": "GET"}}]}}', /entry 0 has no request/],
    ['empty.har', '', /is not JSON/],
  ];
  for (const [name, content, reason] of cases) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    const r = runCli(['import', file, '--db', db]);
    assert.match(assertCliError(r, 1, [file]), reason);
  }
  const missing = path.join(dir, 'missing.har');
  assert.match(assertCliError(runCli(['import', missing, '--db', db]), 1, [missing]), /cannot read/);
  assert.equal(fs.existsSync(db), false);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('traffic')), []);
});
