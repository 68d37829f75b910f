import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyAsText } from '../../src/core/store/bodyText';

const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in ISO-8859-1

test('text types: UTF-8 reads as text, other bytes as base64 that keeps them', () => {
  assert.deepEqual(bodyAsText(Buffer.from('café ✓'), 'text/plain; charset=utf-8'), { text: 'café ✓' });
  assert.deepEqual(bodyAsText(Buffer.from('{"a":"é"}'), 'application/json'), { text: '{"a":"é"}' });
  for (const ct of ['text/plain; charset=iso-8859-1', 'application/json', 'application/x-www-form-urlencoded', 'application/vnd.api+json']) {
    const got = bodyAsText(latin1, ct);
    assert.deepEqual(got, { text: latin1.toString('base64'), encoding: 'base64' }, ct);
  }
  // The same as a body without a type.
  assert.deepEqual(bodyAsText(latin1, null), { text: latin1.toString('base64'), encoding: 'base64' });
});

test('a body cut in the middle of a character still reads as text where it is shown', () => {
  const cut = Buffer.from('naïve café').subarray(0, 11); // ends with the first byte of "é"
  assert.equal(bodyAsText(cut, 'text/plain').encoding, 'base64', 'an export keeps the bytes');
  assert.equal(bodyAsText(cut, 'text/plain', true).text, cut.toString('utf8'));
  assert.equal(bodyAsText(Buffer.from([0xff, 0x41]), 'text/plain', true).encoding, 'base64', 'not UTF-8 before the cut');
});
