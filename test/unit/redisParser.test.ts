/**
 * The Redis parser on hand-written byte streams (the replies as redis-server 7 sends them): CLIENT REPLY OFF|SKIP|ON,
 * RESP3 replies that look like pub/sub messages, RESET, mass insertion past the bound on waiting commands, and
 * inline commands with quotes.
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

/** Commands sent one chunk each (so each has its own start time), before any reply. */
function pipeline(p: ReturnType<typeof parse>, ...commands: string[][]): void {
  for (const c of commands) p.client(command(...c));
}

function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** statement → response, error; sorted by start (calls without a reply are emitted before earlier ones finish). */
function table(calls: WireCall[]): [string, unknown, string | null][] {
  return [...calls].sort((a, b) => a.startedAt - b.startedAt).map((c) => [c.statement, c.response, c.error]);
}

test('CLIENT REPLY SKIP/OFF/ON: the silenced commands are recorded without a reply, the others keep theirs', () => {
  const p = parse();
  pipeline(p, ['SET', 'a', '1'], ['CLIENT', 'REPLY', 'SKIP'], ['SET', 'b', '2'], ['GET', 'a'], ['CLIENT', 'REPLY', 'OFF'], ['SET', 'c', '3'], ['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'ON'], ['GET', 'b']);
  // What redis-server 7 answers to that pipeline: SET a, GET a, CLIENT REPLY ON, GET b.
  p.server('+OK\r\n$1\r\n1\r\n+OK\r\n$1\r\n2\r\n');
  p.end();
  const off = { noResponse: 'CLIENT REPLY OFF' };
  const skip = { noResponse: 'CLIENT REPLY SKIP' };
  assert.deepEqual(table(p.calls), [
    ['SET a 1', { type: 'simple', value: 'OK' }, null],
    ['CLIENT REPLY SKIP', skip, null],
    ['SET b 2', skip, null],
    ['GET a', { type: 'bulk', value: '1' }, null],
    ['CLIENT REPLY OFF', off, null],
    ['SET c 3', off, null],
    ['CLIENT REPLY SKIP', off, null],
    ['CLIENT REPLY ON', { type: 'simple', value: 'OK' }, null],
    ['GET b', { type: 'bulk', value: '2' }, null],
  ]);
});

test('CLIENT REPLY: SKIP silences a following SKIP, RESET after SKIP gets no reply, RESET ends OFF', () => {
  const p = parse();
  const skip = ['CLIENT', 'REPLY', 'SKIP'];
  pipeline(p, skip, skip, ['ECHO', 'x'], ['ECHO', 'y'], skip, ['RESET'], ['CLIENT', 'REPLY', 'OFF'], ['ECHO', 'z'], ['RESET'], ['ECHO', 'w']);
  p.server('$1\r\ny\r\n+RESET\r\n$1\r\nw\r\n');
  p.end();
  assert.deepEqual(
    table(p.calls).map(([s, r]) => [s, r]),
    [
      ['CLIENT REPLY SKIP', { noResponse: 'CLIENT REPLY SKIP' }],
      ['CLIENT REPLY SKIP', { noResponse: 'CLIENT REPLY SKIP' }],
      ['ECHO x', { noResponse: 'CLIENT REPLY SKIP' }],
      ['ECHO y', { type: 'bulk', value: 'y' }],
      ['CLIENT REPLY SKIP', { noResponse: 'CLIENT REPLY SKIP' }],
      ['RESET', { noResponse: 'CLIENT REPLY SKIP' }],
      ['CLIENT REPLY OFF', { noResponse: 'CLIENT REPLY OFF' }],
      ['ECHO z', { noResponse: 'CLIENT REPLY OFF' }],
      ['RESET', { type: 'simple', value: 'RESET' }],
      ['ECHO w', { type: 'bulk', value: 'w' }],
    ],
  );
});

test('RESP3: after HELLO 3 and SUBSCRIBE, an array reply starting with "message" is a reply, not a message', () => {
  const p = parse();
  p.client(command('HELLO', '3'));
  p.server('%1\r\n+proto\r\n:3\r\n');
  pipeline(p, ['SUBSCRIBE', 'ch9'], ['LRANGE', 'l', '0', '-1'], ['GET', 'a'], ['PING']);
  p.server('>3\r\n$9\r\nsubscribe\r\n$3\r\nch9\r\n:1\r\n');
  p.server('*3\r\n$7\r\nmessage\r\n$3\r\nchX\r\n$7\r\npayload\r\n$1\r\n1\r\n+PONG\r\n');
  p.server('>3\r\n$7\r\nmessage\r\n$3\r\nch9\r\n$2\r\nhi\r\n');
  p.end();
  assert.deepEqual(
    table(p.calls).map(([s, , e]) => [s, e]),
    [
      ['HELLO 3', null],
      ['SUBSCRIBE ch9', null],
      ['LRANGE l 0 -1', null],
      ['GET a', null],
      ['PING', null],
      ['MESSAGE ch9 hi', null],
    ],
  );
  const lrange = p.calls.find((c) => c.method === 'LRANGE')!;
  assert.deepEqual((lrange.response as { type: string }).type, 'array');
  assert.deepEqual(p.calls.find((c) => c.method === 'PING')!.response, { type: 'simple', value: 'PONG' });
});

test('RESP2: RESET ends the subscriptions, so a later array reply is a reply', () => {
  const p = parse();
  pipeline(p, ['SUBSCRIBE', 'ch'], ['RESET'], ['LRANGE', 'l', '0', '-1'], ['GET', 'a']);
  p.server('*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n+RESET\r\n*2\r\n$7\r\nmessage\r\n$1\r\nx\r\n$1\r\n1\r\n');
  p.end();
  assert.deepEqual(
    table(p.calls).map(([s, , e]) => [s, e]),
    [
      ['SUBSCRIBE ch', null],
      ['RESET', null],
      ['LRANGE l 0 -1', null],
      ['GET a', null],
    ],
  );
  assert.deepEqual(p.calls.find((c) => c.method === 'GET')!.response, { type: 'bulk', value: '1' });
});

test('mass insertion: past 100,000 waiting commands the rest are counted, their replies consumed, one note says so', () => {
  const p = parse();
  const total = 250_000;
  const batch = 10_000;
  for (let i = 0; i < total; i += batch) {
    let chunk = '';
    for (let k = i; k < i + batch; k++) chunk += command('SET', `key:${k}`, 'v');
    p.client(chunk);
  }
  p.server('+OK\r\n'.repeat(total - 1) + '-ERR one failure\r\n');
  p.client(command('ECHO', 'marker'));
  p.server('$6\r\nmarker\r\n');
  p.end();
  const errors = p.calls.filter((c) => c.error !== null);
  const notes = p.calls.filter((c) => c.method === 'PIPELINE');
  const sets = p.calls.filter((c) => c.method === 'SET');
  assert.equal(notes.length, 1);
  assert.equal(notes[0].statement, '150,000 commands not recorded: more than 100,000 were waiting for a reply');
  assert.deepEqual(notes[0].response, { replies: 150_000, errors: 1 });
  assert.equal(errors.length, 1);
  assert.match(errors[0].error!, /1 of them answered with an error, the first: ERR one failure/);
  assert.equal(sets.length, 100_000);
  assert.ok(sets.every((c) => c.error === null && (c.response as { value: string }).value === 'OK'));
  assert.deepEqual(p.calls.find((c) => c.method === 'ECHO')!.response, { type: 'bulk', value: 'marker' });
});

test('mass insertion cut short: the counted commands are one call that says the connection closed', () => {
  const p = parse();
  let chunk = '';
  for (let k = 0; k < 100_010; k++) chunk += command('SET', `k${k}`, 'v');
  p.client(chunk);
  p.end();
  const notes = p.calls.filter((c) => c.method === 'PIPELINE');
  assert.equal(notes.length, 1);
  assert.equal(notes[0].error, 'connection closed before the reply (10 replies not seen)');
  assert.equal(p.calls.length, 100_001);
});

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
