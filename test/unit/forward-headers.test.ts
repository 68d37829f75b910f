/**
 * The header rules of the forwarding paths (src/core/capture/forward.ts): what reaches the client of a response, and
 * what reaches the upstream of a request, by mode.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastRelayedLength, requestHeadOf, responseHeaders } from '../../src/core/capture/forward';

test('response headers the upstream\'s Connection header names stay on that hop; framing is dropped, the length noted', () => {
  const out = responseHeaders(['Content-Type', 'text/plain', 'X-Secret', 'hop-only', 'Connection', 'X-Secret, keep-alive', 'Content-Length', '2', 'x-kept', 'yes']);
  assert.deepEqual(out, ['Content-Type', 'text/plain', 'Content-Length', '2', 'x-kept', 'yes']);
  assert.equal(lastRelayedLength(), 2);
  assert.deepEqual(responseHeaders(['Connection', 'close', 'X-Other', '1']), ['X-Other', '1']);
});

test('forward mode: Host from the absolute URL, no Proxy-Authorization and no X-Forwarded-Host; reverse mode keeps the client\'s Host as X-Forwarded-Host', () => {
  const raw = ['Host', 'evil.example', 'Proxy-Authorization', 'Basic eDp5', 'Accept', '*/*'];
  const forward = requestHeadOf('GET', 'http://127.0.0.1:9000/a?b=1', raw, '127.0.0.1', '127.0.0.1:9000', false)!;
  assert.match(forward, /^GET \/a\?b=1 HTTP\/1\.1\r\n/);
  assert.match(forward, /\r\nHost: 127\.0\.0\.1:9000\r\n/);
  assert.doesNotMatch(forward, /evil\.example|Proxy-Authorization/i);
  const reverse = requestHeadOf('GET', '/a', ['Host', 'localhost:8080', 'Proxy-Authorization', 'Basic eDp5'], '127.0.0.1', '127.0.0.1:9000', true)!;
  assert.match(reverse, /\r\nHost: 127\.0\.0\.1:9000\r\n/);
  assert.match(reverse, /\r\nx-forwarded-host: localhost:8080\r\n/);
  assert.match(reverse, /\r\nProxy-Authorization: Basic eDp5\r\n/);
});
