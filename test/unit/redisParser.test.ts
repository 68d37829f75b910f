/**
 * The Redis parser on hand-written byte streams (the replies as redis-server 7 sends them): inline commands with quotes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisSession } from '../../src/core/protocols/redis/session';
import type { WireCall } from '../../src/core/protocols/types';

function parse(): { calls: WireCall[]; client(s: string | Buffer): void; server(s: string | Buffer): void; end(): void } {
  const calls: WireCall[] = [];
  let clock = 0;
  const parser = new RedisSession({ now: () => (clock += 1), emit: (c) => calls.push(c) });
  const bytes = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
  return { calls, client: (s) => parser.client(bytes(s)), server: (s) => parser.server(bytes(s)), end: () => parser.end() };
}

test('inline commands follow redis quoting: "double" with escapes, \'single\', and a word that is only spaces inside quotes', () => {
  const p = parse();
  p.client('SET greeting "hello world"\r\nSET k \'it\\\'s\' \r\nECHO "a\\x41\\n\\"b"\r\nSET e ""\r\nECHO "unbalanced\r\n');
  p.server('+OK\r\n+OK\r\n$4\r\naA\n"\r\n+OK\r\n-ERR Protocol error: unbalanced quotes in request\r\n');
  p.end();
  assert.deepEqual(
    p.calls.map((c) => (c.request as { args: unknown }).args),
    [['greeting', 'hello world'], ['k', "it's"], ['aA\n"b'], ['e', ''], ['"unbalanced']],
  );
});
