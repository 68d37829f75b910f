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

test('Dockerfile parser: continuations, comments inside them, build stages', async () => {
  const { finalStage, parseDockerfile } = await import('../../src/core/compliance/detect/dockerfile');
  const ins = parseDockerfile('FROM node:20 AS build\nRUN a \\\n  # note\n  && b\n\nFROM alpine\nuser app\nCMD ["x"]\n');
  assert.deepEqual(ins.map((i) => [i.keyword, i.line, i.endLine, i.stage]), [['FROM', 1, 1, 0], ['RUN', 2, 4, 0], ['FROM', 6, 6, 1], ['USER', 7, 7, 1], ['CMD', 8, 8, 1]]);
  assert.equal(ins[1].args, 'a  && b');
  assert.deepEqual(finalStage(ins).map((i) => i.keyword), ['FROM', 'USER', 'CMD']);
});

test('YAML positions: line and column of the offending node in the second document', async () => {
  const { entry, podSpecs, rangeOf, yamlOf } = await import('../../src/core/compliance/detect/yamlDocs');
  const file = { path: 'k.yaml', kind: 'kubernetes' as const, text: 'kind: Service\n---\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: x\n' };
  const y = yamlOf(file);
  const [pod] = podSpecs(y);
  assert.equal(pod.name, 'p');
  assert.deepEqual(rangeOf(y, entry(pod.containers[0], 'image')!.value), { line: 8, column: 14, endLine: 8, endColumn: 15 });
});

test('cookie and JWT lifetimes; URLs masked', async () => {
  const { cookieLifetime, parseSetCookie } = await import('../../src/core/compliance/detect/cookies');
  const { jwtLifetimes } = await import('../../src/core/compliance/detect/jwt');
  const { maskText } = await import('../../src/core/compliance/detect/maskText');
  const t = Date.UTC(2025, 0, 31);
  assert.equal(cookieLifetime(parseSetCookie('sid=1; Max-Age=600; Secure'), t), 600);
  assert.equal(cookieLifetime(parseSetCookie(`sid=1; Expires=${new Date(t + 3_600_000).toUTCString()}`), t), 3600);
  assert.equal(cookieLifetime(parseSetCookie('sid=1; HttpOnly'), t), null);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64({ alg: 'none' })}.${b64({ iat: 100, exp: 7300 })}.sig`;
  assert.deepEqual(jwtLifetimes(`{"token":"${jwt}"}`, t).map((x) => x.seconds), [7200]);
  assert.equal(maskText('/pay?card=4111111111111111&ssn=512-44-1234'), '/pay?card=411111******1111&ssn=***-**-1234');
});
