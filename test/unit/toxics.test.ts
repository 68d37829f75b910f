/** Toxic parsing and the pure parts of HTTP faults: header rules, body corruption, per-request planning. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors';
import { CorruptBody, TruncateBody } from '../../src/core/faults/httpBody';
import { applyHeaderToxics, planHttpFaults } from '../../src/core/faults/httpFaults';
import { ToxicList } from '../../src/core/faults/toxicList';
import { attributeKind, parseToxic, type Toxic } from '../../src/core/faults/toxics';

test('HTTP toxics get their defaults and keep the Toxiproxy JSON shape', () => {
  assert.deepEqual(parseToxic({ type: 'http_abort' }), { name: 'http_abort_downstream', type: 'http_abort', stream: 'downstream', toxicity: 1, attributes: { status: 503, body: '' } });
  assert.deepEqual(parseToxic({ name: 'd', type: 'http_delay', attributes: { delay: 200 }, match: { method: 'get', path: '/api/**' } }), {
    name: 'd', type: 'http_delay', stream: 'downstream', toxicity: 1, attributes: { delay: 200, jitter: 0 }, match: { method: 'GET', path: '/api/**' },
  });
  assert.deepEqual(parseToxic({ type: 'http_body', stream: 'upstream', attributes: { mode: 'corrupt', fraction: 0.5, seed: 7 } }).attributes, { mode: 'corrupt', bytes: 0, fraction: 0.5, seed: 7 });
  assert.deepEqual(parseToxic({ type: 'http_header', attributes: { header: 'X-A', value: 'b' } }).attributes, { action: 'set', header: 'X-A', value: 'b' });
  // An empty match is no match; a byte-level toxic takes a match too.
  assert.equal(parseToxic({ type: 'latency', match: {} }).match, undefined);
  assert.deepEqual(parseToxic({ type: 'latency', match: { path: '*.json' } }).match, { path: '*.json' });
  assert.equal(attributeKind('http_header', 'value'), 'string');
  assert.equal(attributeKind('http_abort', 'status'), 'number');
  assert.equal(attributeKind('http_body', 'mode'), 'string');
  assert.equal(attributeKind('latency', 'nope'), undefined);
});

test('bad HTTP toxics are refused with one line naming the field', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ name: 'a', type: 'http_abort', attributes: { status: 99 } }, /^toxic 'a': status must be a whole number from 200 to 599$/],
    [{ name: 'a', type: 'http_abort', attributes: { status: 503.5 } }, /status must be a whole number from 200 to 599/],
    [{ name: 'a', type: 'http_abort', attributes: { body: 5 } }, /^toxic 'a': body must be a string \(the response body\)$/],
    [{ name: 'h', type: 'http_header', attributes: { header: 5 } }, /^toxic 'h': header must be a string \(a header name, e.g. X-Request-Id\)$/],
    [{ name: 'h', type: 'http_header', attributes: { value: 'x' } }, /^toxic 'h': http_header needs attribute header/],
    [{ name: 'h', type: 'http_header', attributes: { header: 'X Y' } }, /header "X Y" must be a header name/],
    [{ name: 'h', type: 'http_header', attributes: { header: 'transfer-encoding' } }, /cannot be transfer-encoding: it frames the message/],
    [{ name: 'h', type: 'http_header', attributes: { header: 'X-A', value: 'a\r\nb' } }, /value "a\\r\\nb" must not hold line breaks/],
    [{ name: 'h', type: 'http_header', attributes: { header: 'X-A', action: 'add' } }, /^toxic 'h': action must be one of set, replace, remove, not 'add'$/],
    [{ name: 'b', type: 'http_body', attributes: { fraction: 1.5 } }, /^toxic 'b': fraction must be a number from 0 to 1$/],
    [{ name: 'b', type: 'http_body', attributes: { bytes: '10' } }, /bytes must be a whole number of bytes/],
    [{ name: 'b', type: 'http_body', attributes: { mode: 'shred' } }, /mode must be one of truncate, corrupt/],
    [{ name: 'm', type: 'http_delay', match: { path: '/a/{b' } }, /^toxic 'm': match path '\/a\/\{b' is not a valid glob \(Missing closing/],
    [{ name: 'm', type: 'http_delay', match: { path: '/a/[b' } }, /match path '\/a\/\[b' is not a valid glob/],
    [{ name: 'm', type: 'http_delay', match: { path: 'api/**' } }, /match path 'api\/\*\*' must be a glob starting with \/ or \*/],
    [{ name: 'm', type: 'http_delay', match: { method: 'GE T' } }, /match method 'GE T' must be an HTTP method/],
    [{ name: 'm', type: 'http_delay', match: { host: 'x' } }, /match has no field 'host'; it takes: method, path/],
    [{ name: 'm', type: 'http_delay', match: 'GET' }, /match must be an object/],
    [{ type: 'http_boom' }, /toxic type 'http_boom' is unknown; types are: latency, .*http_abort, http_delay, http_body, http_header$/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseToxic(input), (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes('\n'), JSON.stringify(input));
  }
});

test('a TCP list refuses HTTP toxics and matches; an HTTP list takes both', () => {
  const tcp = new ToxicList('tcp');
  assert.throws(() => tcp.add({ name: 'a', type: 'http_delay' }, 'redis'), /toxic 'a': http_delay needs an HTTP proxy; proxy 'redis' is a TCP proxy/);
  assert.throws(() => tcp.add({ name: 'a', type: 'latency', match: { path: '/x' } }, 'redis'), /match \(method, path\) needs an HTTP proxy/);
  const http = new ToxicList('http');
  http.add({ name: 'a', type: 'http_delay' }, 'web');
  http.add({ name: 'b', type: 'latency', match: { path: '/x' } }, 'web');
  assert.throws(() => http.add({ name: 'a', type: 'http_abort' }, 'web'), /toxic 'a' already exists on proxy 'web'/);
  const before = http.entries;
  assert.equal(http.remove('a'), true);
  assert.equal(before.length, 2, 'entries are replaced, not changed, so an exchange keeps the list it took');
  assert.deepEqual(http.list().map((t) => t.name), ['b']);
});

test('planHttpFaults: match by method and glob, toxicity 0 never and 1 always', () => {
  const list = new ToxicList('http');
  list.add({ name: 'never', type: 'http_abort', toxicity: 0 }, 'p');
  list.add({ name: 'api', type: 'http_delay', match: { method: 'GET', path: '/api/**' } }, 'p');
  list.add({ name: 'json', type: 'latency', match: { path: '**/*.json' } }, 'p');
  const hits = (method: string, path: string): string[] | null => planHttpFaults(list.entries, method, path)?.hits.map((t) => t.name) ?? null;
  for (let i = 0; i < 50; i++) assert.deepEqual(hits('GET', '/api/v1/users'), ['api']);
  assert.equal(hits('POST', '/api/v1/users'), null);
  assert.equal(hits('GET', '/apix'), null);
  assert.deepEqual(hits('GET', '/api/data.json'), ['api', 'json']);
  assert.deepEqual(hits('PUT', '/static/.hidden/a.json'), ['json']);
  assert.equal(planHttpFaults(list.entries, 'GET', '/api/a')!.note, 'faults: api (http_delay)');
});

test('http_header: set replaces every value or adds, replace only touches a present header, remove drops all', () => {
  const t = (action: string, header: string, value = ''): Toxic => parseToxic({ type: 'http_header', attributes: { action, header, value } });
  const raw = ['Host', 'h', 'X-A', '1', 'x-a', '2', 'Accept', '*/*'];
  assert.deepEqual(applyHeaderToxics(raw, [t('set', 'X-A', 'z')]), ['Host', 'h', 'Accept', '*/*', 'X-A', 'z']);
  assert.deepEqual(applyHeaderToxics(raw, [t('set', 'X-New', 'n')]), [...raw, 'X-New', 'n']);
  assert.deepEqual(applyHeaderToxics(raw, [t('replace', 'X-New', 'n')]), raw);
  assert.deepEqual(applyHeaderToxics(raw, [t('remove', 'x-A')]), ['Host', 'h', 'Accept', '*/*']);
  assert.deepEqual(raw, ['Host', 'h', 'X-A', '1', 'x-a', '2', 'Accept', '*/*'], 'the input is left alone');
});

async function through(transform: NodeJS.ReadWriteStream, chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  transform.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve) => transform.on('end', resolve));
  for (const c of chunks) transform.write(c);
  transform.end();
  await ended;
  return Buffer.concat(out);
}

test('CorruptBody changes exactly round(fraction × length) bytes, the same for a seed, streamed or held', async () => {
  const body = Buffer.alloc(10_000, 7);
  const changed = (b: Buffer): number[] => [...b].flatMap((x, i) => (x !== body[i] ? [i] : []));
  const chunks = [body.subarray(0, 3000), body.subarray(3000, 3001), body.subarray(3001)];
  const streamed = await through(new CorruptBody(0.037, 99, body.length), chunks);
  const held = await through(new CorruptBody(0.037, 99, -1), chunks);
  assert.equal(streamed.length, body.length);
  assert.equal(changed(streamed).length, 370);
  assert.deepEqual(changed(held), changed(streamed));
  assert.deepEqual(streamed, held);
  const other = await through(new CorruptBody(0.037, 100, body.length), chunks);
  assert.notDeepEqual(changed(other), changed(streamed));
  assert.equal(changed(await through(new CorruptBody(1, 5, body.length), [body])).length, body.length);
  assert.equal(changed(await through(new CorruptBody(0, 5, body.length), [body])).length, 0);
});

test('TruncateBody passes exactly N bytes across chunk boundaries', async () => {
  const body = Buffer.from('abcdefghij');
  assert.equal((await through(new TruncateBody(4), [body.subarray(0, 3), body.subarray(3)])).toString(), 'abcd');
  assert.equal((await through(new TruncateBody(0), [body])).length, 0);
  assert.equal((await through(new TruncateBody(100), [body])).toString(), 'abcdefghij');
});
