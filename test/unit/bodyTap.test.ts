import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { BodyTap } from '../../src/core/capture/bodyTap';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('a body under the cap is kept whole and not hashed on the hot path', () => {
  const tap = new BodyTap(100);
  tap.push(Buffer.from('hello '));
  tap.push(Buffer.from('world'));
  const r = tap.finish();
  assert.equal(Buffer.from(r.data!).toString(), 'hello world');
  assert.equal(r.size, 11);
  assert.equal(r.truncated, false);
  assert.equal(r.sha256, undefined);
});

test('a body over the cap keeps the prefix, the full size and the sha256 of everything', () => {
  for (const chunkSize of [1, 7, 64, 100, 1000]) {
    const full = randomBytes(1000);
    const tap = new BodyTap(100);
    for (let i = 0; i < full.length; i += chunkSize) tap.push(full.subarray(i, i + chunkSize));
    const r = tap.finish();
    assert.equal(r.size, 1000);
    assert.equal(r.truncated, true);
    assert.deepEqual(Buffer.from(r.data!), full.subarray(0, 100));
    assert.equal(r.sha256, sha(full), `chunk size ${chunkSize}`);
  }
});

test('a body of exactly the cap is not truncated', () => {
  const tap = new BodyTap(4);
  tap.push(Buffer.from('abcd'));
  assert.equal(tap.finish().truncated, false);
});

test('an empty body has no data', () => {
  assert.deepEqual(new BodyTap(10).finish(), { data: null, size: 0, truncated: false });
});

test('a body of one chunk is kept as that chunk, not a copy; a later chunk joins it', () => {
  const chunk = Buffer.from('{"id":1}');
  const one = new BodyTap(100);
  one.push(chunk);
  assert.equal(one.finish().data, chunk);
  const two = new BodyTap(100);
  two.push(chunk);
  two.push(Buffer.from(' more'));
  assert.equal(Buffer.from(two.finish().data!).toString(), '{"id":1} more');
});

test('bytes pushed after finish() (an upload the upstream stopped reading) are ignored, and finish() repeats its capture', () => {
  const full = randomBytes(300);
  const tap = new BodyTap(100);
  tap.push(full.subarray(0, 200));
  const first = tap.finish();
  assert.doesNotThrow(() => tap.push(full.subarray(200)));
  assert.equal(tap.finish(), first);
  assert.equal(first.size, 200);
  assert.equal(first.sha256, sha(full.subarray(0, 200)));
});
