import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findPans } from '../../src/core/compliance/detect/pan';
import { findSecrets, isLiteralSecret } from '../../src/core/compliance/detect/secrets';
import { findSsns } from '../../src/core/compliance/detect/ssn';
import { hstsProblem } from '../../src/core/compliance/rules/hsts-missing';
import { unpinned } from '../../src/core/compliance/rules/unpinned-image';

test('card numbers: brand, length and Luhn; decimals, bad checksums and mixed separators are not cards', () => {
  assert.deepEqual(findPans('visa 4111-1111-1111-1111, amex 378282246310005, mc 2223003122003222').map((p) => p.masked), ['411111******1111', '378282*****0005', '222300******3222']);
  assert.deepEqual(findPans('4111111111111112 4111-1111 1111-1111 0.4111111111111111 4111111111111111.5 1234567890123452'), []);
});

test('SSNs: area 000/666/9xx, group 00, serial 0000 and known fakes are refused', () => {
  assert.deepEqual(findSsns('ssn 512-44-1234 and 512 44 1235').map((s) => s.masked), ['***-**-1234', '***-**-1235']);
  assert.deepEqual(findSsns('000-12-3456 666-12-3456 900-12-3456 512-00-1234 512-44-0000 078-05-1120 123-45-6789 512-44.1234'), []);
});

test('secrets: patterns with keyword, entropy and allow-list; placeholders and references are not secrets', () => {
  assert.deepEqual(findSecrets('id=AKIAZ3MSJV2QXHK7PL4N example=AKIAIOSFODNN7EXAMPLE').map((s) => s.kind), ['AWS access key id']);
  assert.deepEqual(findSecrets('api_key = "aaaaaaaaaaaaaaaaaaaa"').length, 0, 'low entropy');
  assert.equal(findSecrets('api_key = "q8Zr2LxV9mWp4TsK7bNc"').length, 1);
  for (const v of ['changeme', '${DB_PASSWORD}', '<your-password>', '/run/secrets/db', 'true', '']) assert.equal(isLiteralSecret(v), false, v);
  assert.equal(isLiteralSecret('Tr0ub4dor&3'), true);
});

test('HSTS and image pinning verdicts', () => {
  assert.equal(hstsProblem('max-age=31536000; includeSubDomains'), null);
  assert.match(hstsProblem('max-age=0') ?? '', /disables/);
  assert.match(hstsProblem('includeSubDomains') ?? '', /valid max-age/);
  assert.equal(unpinned(`node:20@sha256:${'a'.repeat(64)}`), null);
  assert.match(unpinned('node') ?? '', /latest/);
  assert.match(unpinned('localhost:5000/app:1.2') ?? '', /tag :1.2/);
});
