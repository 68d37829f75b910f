/**
 * Malformed requests written straight onto a socket: the proxy answers 400 and closes, nothing reaches the
 * backend (in particular no request smuggled behind a Content-Length / Transfer-Encoding conflict), and the
 * proxy keeps serving everyone else.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import { TrafficDb } from '../../src/core/store/database';
import { listen, rawHttp, request, startObserve, tmpDir, trackConnections } from '../helpers';

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: backend\r\n\r\n';

const CASES: Array<[string, string]> = [
  ['a bad header name', 'GET /bad-name HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n'],
  ['a header name with a colon-less line', 'GET /no-colon HTTP/1.1\r\nHost: x\r\nJustAName\r\n\r\n'],
  ['a control character in a header value', 'GET /ctl HTTP/1.1\r\nHost: x\r\nX-Evil: a\x00b\r\n\r\n'],
  ['a garbage request line', 'HELLO THERE\r\n\r\n'],
  ['an invalid HTTP version', 'GET /v HTTP/9.Z\r\nHost: x\r\n\r\n'],
  ['Content-Length and Transfer-Encoding together (CL.TE smuggling)',
    `POST /cl-te HTTP/1.1\r\nHost: x\r\nContent-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['Transfer-Encoding and Content-Length together (TE.CL smuggling)',
    `POST /te-cl HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${(SMUGGLED.length + 2).toString(16)}\r\nXX${SMUGGLED}\r\n0\r\n\r\n`],
  ['two different Content-Lengths', `POST /two-cl HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ['an obfuscated Transfer-Encoding', `POST /te-space HTTP/1.1\r\nHost: x\r\nContent-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['a bad chunk size', 'POST /chunk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n'],
];

test('malformed requests get 400, reach nothing behind the proxy, and the proxy keeps serving', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const seen: string[] = [];
  const completed: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      completed.push(`${req.method} ${req.url}`);
      res.end(`ok ${req.url}`);
    });
  });
  const counts = trackConnections(server);
  const backend = await listen(t, server);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);

  assert.equal((await request(`${proxy.url}/warmup`)).status, 200);
  for (const [what, bytes] of CASES) {
    const before = seen.length;
    const reply = await rawHttp(proxy.port, bytes, 5_000);
    // For a request smuggled inside a body, the first request could legitimately succeed only if the body was
    // consumed as a body; in every case here the proxy must refuse outright.
    assert.match(reply.text, /^HTTP\/1\.1 400 Bad Request\r\n/, `${what}: got ${JSON.stringify(reply.text.slice(0, 200))}`);
    assert.ok(reply.closed, `${what}: the connection was closed`);
    assert.equal(reply.text.match(/HTTP\/1\.1 /g)?.length, 1, `${what}: exactly one response`);
    // Let anything that did get through arrive before counting.
    await new Promise((r) => setTimeout(r, 100));
    // A broken chunked body comes after valid headers: the backend may see that request start (never finish).
    const allowed = what === 'a bad chunk size' ? ['POST /chunk'] : [];
    assert.deepEqual(seen.slice(before).filter((s) => !allowed.includes(s)), [], `${what}: the backend saw a request`);
    // The proxy still serves.
    const ok = await request(`${proxy.url}/after/${encodeURIComponent(what)}`);
    assert.equal(ok.status, 200, what);
  }
  assert.equal(seen.filter((s) => s.includes('smuggled')).length, 0);
  assert.equal(completed.filter((s) => s === 'POST /chunk').length, 0, 'the broken chunked body never completed at the backend');
  assert.ok(counts.requests() <= CASES.length + 2);

  // Valid requests on a raw socket still work, including pipelined ones: nothing was poisoned.
  const pipelined = await rawHttp(proxy.port, 'GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 5_000);
  assert.equal(pipelined.text.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
  assert.ok(pipelined.text.indexOf('ok /p1') < pipelined.text.indexOf('ok /p2'));

  assert.equal(await proxy.stop(), 0);
  const store = await TrafficDb.open(db);
  t.after(() => store.close());
  const paths = store.exchanges().map((e) => e.path);
  // Only the request whose headers were valid (a broken chunked body) is stored, as failed; the others never
  // became requests at all.
  assert.deepEqual(paths.filter((p) => !p?.startsWith('/after/')), ['/warmup', '/chunk', '/p1', '/p2']);
  const chunk = store.exchanges().find((e) => e.path === '/chunk')!;
  assert.notEqual(chunk.status, 200);
  assert.ok(chunk.error, 'the broken request is stored with an error');
  assert.equal(paths.length, CASES.length + 4);
});
