import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRequestBuffer, PreparedMix, weightedPicker } from '../../src/core/load/generator/requests';
import { seededRandom } from '../../src/core/random';
import { ResponseParser, type ParsedResponse } from '../../src/core/load/generator/responseParser';
import { withReadShare } from '../../src/core/load/run';

const RESPONSES = Buffer.from(
  'HTTP/1.1 100 Continue\r\n\r\n'
  + 'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"id":"a1"}'
  + 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n'
  + 'HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n'
  + 'HTTP/1.1 503 Service Unavailable\r\nCONTENT-LENGTH: 4\r\nConnection: close\r\n\r\nbusy',
);

function parseIn(pieces: Buffer[]): ParsedResponse[] {
  const p = new ResponseParser();
  p.keepBody = true;
  const out: ParsedResponse[] = [];
  for (const b of pieces) assert.equal(p.feed(b, (status, body, close) => out.push({ status, body, close })), true);
  return out;
}

function summary(rs: ParsedResponse[]): string[] {
  return rs.map((r) => `${r.status} ${r.body?.toString() ?? '-'} ${r.close ? 'close' : 'keep'}`);
}

test('responses parse the same however the bytes are split (Content-Length, chunked, interim, no body, close)', () => {
  const want = ['201 {"id":"a1"} keep', '200 hello, world keep', '204  keep', '503 busy close'];
  assert.deepEqual(summary(parseIn([RESPONSES])), want);
  for (let cut = 1; cut < RESPONSES.length; cut++) {
    assert.deepEqual(summary(parseIn([RESPONSES.subarray(0, cut), RESPONSES.subarray(cut)])), want, `split at ${cut}`);
  }
  assert.deepEqual(summary(parseIn([...RESPONSES].map((b) => Buffer.from([b])))), want, 'byte by byte');
});

test('a body without length runs until the close; bodies are not kept unless asked', () => {
  const p = new ResponseParser();
  const out: ParsedResponse[] = [];
  p.feed(Buffer.from('HTTP/1.0 200 OK\r\n\r\nsome'), (status, body, close) => out.push({ status, body, close }));
  p.feed(Buffer.from(' more'), (status, body, close) => out.push({ status, body, close }));
  assert.equal(out.length, 0);
  assert.deepEqual(p.end(), { status: 200, body: null, close: true });
  const head = new ResponseParser();
  head.bodiless = true;
  head.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n'), (status, body, close) => out.push({ status, body, close }));
  assert.equal(out.length, 1, 'a HEAD response has no body whatever Content-Length says');
});

test('only the bytes given are read from a reused buffer, and framing headers match in any case and spacing', () => {
  const p = new ResponseParser();
  p.keepBody = true;
  const out: ParsedResponse[] = [];
  const done = (status: number, body: Buffer | null, close: boolean): number => out.push({ status, body, close });
  // One read buffer reused across reads, with stale bytes past what each read filled.
  const reused = Buffer.alloc(256, 'Z');
  const read = (s: string): boolean => (reused.write(s, 'latin1'), p.feed(reused, done, Buffer.byteLength(s, 'latin1')));
  assert.equal(read('HTTP/1.1 200 OK\r\nX-Content-Length: 99\r\ncOnTeNt-LeNgTh:\t 3\r\nConnection: Keep-Alive, CLOSE\r\n\r\nab'), true);
  assert.equal(out.length, 0);
  assert.equal(read('c'), true);
  assert.equal(read('HTTP/1.0 201 Created\r\nconnection: keep-alive\r\nContent-Length: 0\r\n\r\nHTTP/1.0 202 Accepted\r\nContent-Length: 1\r\n\r\n!'), true);
  assert.equal(read('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n2\r\nok\r\n0\r\n\r\n'), true);
  assert.deepEqual(summary(out), ['200 abc close', '201  keep', '202 ! close', '200 ok keep']);
});

test('a head repeated from the last one keeps its own framing, and a changed one is read anew', () => {
  const one = 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n';
  const bytes = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n' + one + 'A' + 'HTTP/1.1 100 Continue\r\n\r\n' + one + 'B'
    + 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nCC' + one + 'D' + 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nE' + one + 'F');
  const want = ['200 A keep', '200 B keep', '200 CC keep', '200 D keep', '200 E close', '200 F keep'];
  assert.deepEqual(summary(parseIn([bytes])), want);
  for (let cut = 1; cut < bytes.length; cut += 7) assert.deepEqual(summary(parseIn([bytes.subarray(0, cut), bytes.subarray(cut)])), want, `split at ${cut}`);
});

test('bytes that are not HTTP are refused', () => {

test('the same response again, whole in one read, keeps its framing; a HEAD, a kept body, a changed head or split bytes are read anew', () => {
  const p = new ResponseParser();
  const out: ParsedResponse[] = [];
  const done = (status: number, body: Buffer | null, close: boolean): number => out.push({ status, body, close });
  // One read buffer reused, as a plain TCP connection reads, with stale bytes after each read.
  const reused = Buffer.alloc(256, 'Z');
  const read = (s: string): boolean => (reused.write(s, 'latin1'), p.feed(reused, done, Buffer.byteLength(s, 'latin1')));
  const ok = 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\n';
  for (let i = 0; i < 3; i++) assert.equal(read(ok + 'abc'), true);
  p.bodiless = true;
  assert.equal(read(ok), true, 'a HEAD answered with the same head has no body');
  p.bodiless = false;
  p.keepBody = true;
  assert.equal(read(ok + 'xyz'), true);
  p.keepBody = false;
  assert.equal(read(ok.replace('200 OK', '404 NO')  + 'abc'), true);
  assert.equal(read(ok + 'ab'), true, 'a body still to come');
  assert.equal(out.length, 6);
  assert.equal(read('c' + ok + 'abc'), true, 'the rest of a body and the next response in one read');
  assert.deepEqual(summary(out), ['200 - close', '200 - close', '200 - close', '200 - close', '200 xyz close', '404 - close', '200 - close', '200 - close']);
});
  assert.equal(new ResponseParser().feed(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'), () => undefined), false);
  assert.equal(new ResponseParser().feed(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'), () => undefined), false);
});

test('request buffers carry Host and Content-Length and drop recorded framing headers', () => {
  const b = buildRequestBuffer({ method: 'POST', pathAndQuery: '/u?x=1', headers: [['Content-Type', 'application/json'], ['content-length', '999'], ['Host', 'old'], ['Connection', 'close']], body: Buffer.from('{"a":1}') }, '127.0.0.1:9');
  assert.equal(b.toString(), 'POST /u?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}');
  assert.match(buildRequestBuffer({ method: 'PUT', pathAndQuery: '/', headers: [], body: null }, 'h').toString(), /Content-Length: 0\r\n\r\n$/);
});

test('entries are drawn by weight (seeded)', () => {
  const pick = weightedPicker([1, 3, 0, 6], seededRandom(7));
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 20_000; i++) counts[pick()]++;
  assert.equal(counts[2], 0);
  assert.ok(Math.abs(counts[0] / 20_000 - 0.1) < 0.02, String(counts));
  assert.ok(Math.abs(counts[3] / 20_000 - 0.6) < 0.02, String(counts));
});

test('a consumer takes a value its producer returned, or the recorded one before any', () => {
  const mix = new PreparedMix({
    source: 't',
    skipped: {},
    entries: [
      { endpoint: 'POST /items', method: 'POST', pathAndQuery: '/items', headers: [], body: Buffer.from('{}'), weight: 1, write: true },
      { endpoint: 'GET /items/{id}', method: 'GET', pathAndQuery: '/items/rec-1', headers: [['X-Item', 'rec-1']], body: null, weight: 1, write: false, chain: [{ where: 'path', producer: 0, pointer: '/item/id', recorded: 'rec-1' }] },
    ],
  }, 'h');
  assert.deepEqual(mix.keepBody, [true, false]);
  assert.match(mix.requestFor(1).toString(), /^GET \/items\/rec-1 /);
  mix.harvest(0, 201, Buffer.from('{"item":{"id":"new 7"}}'));
  const sent = mix.requestFor(1).toString();
  assert.match(sent, /^GET \/items\/new%207 /);
  assert.match(sent, /X-Item: rec-1/, "where: 'path' leaves headers alone");
  mix.harvest(0, 500, Buffer.from('{"item":{"id":"failed"}}'));
  mix.harvest(0, 201, Buffer.from('not json'));
  assert.match(mix.requestFor(1).toString(), /^GET \/items\/new%207 /);
});

test('--read-write reweighs reads and writes, each side keeping its proportions (and twice is once)', () => {
  const e = (endpoint: string, weight: number, write: boolean) => ({ endpoint, method: write ? 'POST' : 'GET', pathAndQuery: '/', headers: [] as Array<[string, string]>, body: null, weight, write });
  const mix = { source: 't', skipped: {}, entries: [e('a', 6, false), e('b', 2, false), e('c', 1, true), e('d', 1, true)] };
  const once = withReadShare(mix, 0.5);
  assert.deepEqual(once.entries.map((x) => x.weight), [0.375, 0.125, 0.25, 0.25]);
  assert.deepEqual(withReadShare(once, 0.5).entries.map((x) => x.weight), [0.375, 0.125, 0.25, 0.25]);
  assert.equal(withReadShare({ ...mix, entries: mix.entries.slice(0, 2) }, 0.2).entries[0].weight, 6, 'no writes: nothing to balance');
  assert.throws(() => withReadShare(mix, 1.5), /--read-write 0.8:0.2/);
});

test('a chunk size must be hex digits: a sign, a prefix or trailing junk is refused (a negative size once looped forever)', () => {
  for (const size of ['-6', '-5', '5xyz', '0x10', '', ' ']) {
    const p = new ResponseParser();
    const ok = p.feed(Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\nhello!\r\n0\r\n\r\n`), () => undefined);
    assert.equal(ok, false, `chunk size ${JSON.stringify(size)}`);
  }
  assert.deepEqual(summary(parseIn([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0006 ; name="x;y"\r\nhello!\r\n0\r\n\r\n')])), ['200 hello! keep']);
});
