import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_BODY, type CapturedExchange } from '../../src/core/capture/types';
import { SAME_HEADERS, packExchanges, unpackExchanges } from '../../src/core/store/exchangeColumns';

function exchange(seq: number, requestHeaders: string[], responseHeaders: string[] | null, body = ''): CapturedExchange {
  const data = body ? Buffer.from(body) : null;
  return {
    seq, protocol: 'http', connectionId: 1, startedAt: 1_700_000_000_000 + seq, ttfbMs: 0.5, durationMs: 1.25, method: 'GET',
    url: `http://127.0.0.1:9000/items/${seq}`, status: responseHeaders ? 200 : null, requestHeaders, responseHeaders,
    requestBody: EMPTY_BODY, responseBody: data ? { data, size: data.length, truncated: false } : EMPTY_BODY,
    error: responseHeaders ? null : 'upstream unreachable', httpVersion: '1.1', upstreamHttpVersion: '1.1',
  };
}

test('exchanges round-trip through columns; headers equal to the previous exchange\'s are sent once', () => {
  // Fresh arrays with equal strings, as each request's rawHeaders are.
  const req = (): string[] => ['Host', '127.0.0.1:8080', 'accept', 'application/json'];
  const res = (date: string): string[] => ['content-type', 'application/json', 'Date', date];
  const exchanges = [
    exchange(1, req(), res('Mon, 30 Nov 2026 06:00:00 GMT'), '{"a":1}'),
    exchange(2, req(), res('Mon, 30 Nov 2026 06:00:00 GMT'), '{"a":2}'),
    exchange(3, ['Host', 'other'], null),
    exchange(4, req(), res('Mon, 30 Nov 2026 06:00:00 GMT')),
    exchange(5, req(), res('Mon, 30 Nov 2026 06:00:01 GMT'), '{"a":5}'),
  ];
  const bytes = exchanges.reduce((n, e) => n + (e.responseBody.data?.length ?? 0), 0);
  const buffer = new ArrayBuffer(bytes);
  const { columns, offset } = packExchanges(exchanges, new Uint8Array(buffer), 0);
  assert.equal(offset, bytes);
  const counts = Array.from({ length: columns.count }, (_, i) => [columns.numbers[i * 16 + 6], columns.numbers[i * 16 + 7]]);
  assert.deepEqual(counts, [[4, 4], [SAME_HEADERS, SAME_HEADERS], [2, -1], [4, SAME_HEADERS], [SAME_HEADERS, 4]]);
  assert.equal(columns.headers.length, 4 + 4 + 2 + 4 + 4);

  const { exchanges: back, bytes: bodyBytes } = unpackExchanges(columns, buffer);
  assert.equal(bodyBytes, bytes);
  for (let i = 0; i < exchanges.length; i++) {
    const a = exchanges[i];
    const b = back[i];
    assert.deepEqual(b.requestHeaders, a.requestHeaders, `request headers of ${a.seq}`);
    assert.deepEqual(b.responseHeaders, a.responseHeaders, `response headers of ${a.seq}`);
    assert.equal(b.url, a.url);
    assert.equal(b.status, a.status);
    assert.equal(b.error, a.error);
    assert.equal(b.responseBody.data === null ? null : Buffer.from(b.responseBody.data).toString(), a.responseBody.data?.toString() ?? null);
  }
  // A repeat is the previous exchange's array itself: what the worker makes of it is reused by identity.
  assert.equal(back[1].requestHeaders, back[0].requestHeaders);
  assert.equal(back[1].responseHeaders, back[0].responseHeaders);
  assert.equal(back[3].responseHeaders, back[0].responseHeaders);
  assert.notEqual(back[4].responseHeaders, back[0].responseHeaders);
});
