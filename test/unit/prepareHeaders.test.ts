import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redactor, defaultRedaction } from '../../src/core/capture/redact';
import { EMPTY_BODY, type CapturedExchange } from '../../src/core/capture/types';
import { prepareExchange } from '../../src/core/store/prepare';

const redactor = new Redactor(defaultRedaction(), 'salt');

function exchange(requestHeaders: string[], responseHeaders: string[]): CapturedExchange {
  return {
    seq: 1, protocol: 'http', connectionId: 1, startedAt: 0, ttfbMs: 1, durationMs: 2, method: 'GET', url: 'http://127.0.0.1:9000/a?token=abc',
    status: 200, requestHeaders, responseHeaders, requestBody: EMPTY_BODY, responseBody: EMPTY_BODY, error: null,
  };
}

test('headers repeated by identity are redacted like the first time; other headers are not confused with them', () => {
  const request = ['Host', 'h', 'Authorization', 'Bearer secret-1'];
  const response = ['Set-Cookie', 'sid=s1; Path=/', 'content-type', 'text/plain'];
  const first = prepareExchange(exchange(request, response), redactor);
  const again = prepareExchange(exchange(request, response), redactor);
  assert.deepEqual(again.requestHeaders, first.requestHeaders);
  assert.deepEqual(again.responseHeaders, first.responseHeaders);
  assert.match(first.requestHeaders[1][1], /^Bearer \[REDACTED:[0-9a-f]{8}\]$/);
  assert.match(first.responseHeaders![0][1], /^sid=\[REDACTED:[0-9a-f]{8}\]; Path=\/$/);
  assert.equal(again.redacted, true);
  assert.match(again.url, /token=%5BREDACTED/);

  const other = prepareExchange(exchange(['Host', 'h', 'Authorization', 'Bearer secret-2'], ['content-type', 'text/plain']), redactor);
  assert.notEqual(other.requestHeaders[1][1], first.requestHeaders[1][1]);
  assert.deepEqual(other.responseHeaders, [['content-type', 'text/plain']]);
  const plain = prepareExchange(exchange(['Host', 'h'], ['content-type', 'text/plain']), new Redactor({ ...defaultRedaction(), enabled: false }, 'salt'));
  assert.deepEqual(plain.requestHeaders, [['Host', 'h']]);
});
