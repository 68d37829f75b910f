/**
 * The invariants' precise resets: the gate frames PostgreSQL frontend messages and Redis commands across chunk
 * boundaries, forwards everything before the armed statement, and fails with `reset: true` at it ('before') or at
 * the first reply after it ('after').
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Transform } from 'node:stream';
import { CutController } from '../../src/core/properties/invariants/cutGate';

/** Writes chunks into a gate; resolves with what came out and the error it failed with, if any. */
async function through(gate: Transform, chunks: Buffer[]): Promise<{ out: Buffer; error?: Error & { reset?: boolean } }> {
  const out: Buffer[] = [];
  gate.on('data', (c: Buffer) => out.push(c));
  const failed = new Promise<Error>((resolve) => gate.once('error', resolve));
  for (const c of chunks) gate.write(c);
  const error = await Promise.race([failed, new Promise<undefined>((r) => setTimeout(r, 50))]);
  return { out: Buffer.concat(out), error };
}

function pgMessage(type: string, payload: string): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

function pgStartup(): Buffer {
  const body = Buffer.from('user\0postgres\0\0');
  const b = Buffer.alloc(8);
  b.writeInt32BE(8 + body.length, 0);
  b.writeInt32BE(196608, 4);
  return Buffer.concat([b, body]);
}

const resp = (...args: string[]): Buffer => Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);

test('PostgreSQL: the startup is not a statement; the 2nd Q/E is cut before it reaches the server, split chunks included', async () => {
  const cuts = new CutController('postgres');
  cuts.arm(2, 'before');
  const gate = cuts.tap().upstreamGate!;
  const first = Buffer.concat([pgStartup(), pgMessage('Q', 'BEGIN\0'), pgMessage('P', '\0UPDATE a\0\0\0'), pgMessage('B', 'xx')]);
  const second = Buffer.concat([pgMessage('E', '\0\0\0\0\0'), pgMessage('S', '')]);
  const { out, error } = await through(gate, [first.subarray(0, 7), first.subarray(7), second.subarray(0, 3), second.subarray(3)]);
  assert.deepEqual(out, first, 'everything before the Execute went through, nothing after');
  assert.equal(error?.reset, true);
  assert.equal(cuts.disarm(), true);
});

test('Redis: after the 1st command the reply is dropped and the connection reset; unarmed, nothing is held back', async () => {
  const cuts = new CutController('redis');
  cuts.arm(1, 'after');
  const tap = cuts.tap();
  const cmd = resp('LPUSH', 'messages', 'hello\r\nworld');
  const up = await through(tap.upstreamGate!, [cmd.subarray(0, 10), cmd.subarray(10)]);
  assert.deepEqual(up.out, cmd, 'the command reached the server');
  assert.equal(up.error, undefined);
  const down = await through(tap.downstreamGate!, [Buffer.from(':1\r\n')]);
  assert.equal(down.out.length, 0);
  assert.equal(down.error?.reset, true);

  const idle = new CutController('redis').tap();
  const both = Buffer.concat([resp('PING'), resp('GET', 'k')]);
  assert.deepEqual((await through(idle.upstreamGate!, [both])).out, both);
});
