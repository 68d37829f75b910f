/**
 * The MySQL parser on hand-built packets, for what the real clients here do not send: CLIENT_DEPRECATE_EOF result
 * sets (MariaDB's clients do not ask for it), an auth switch, commands without replies back to back, a connection
 * closed mid-reply, oversized packets, and passwords inside SQL.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { Capability } from '../../src/core/protocols/mysql/constants';
import { CLOSED_BEFORE_REPLY, MAX_PACKET_KEPT, MysqlConnectionParser } from '../../src/core/protocols/mysql/connection';
import type { WireCall } from '../../src/core/protocols/types';

const packet = (seq: number, payload: Buffer): Buffer => {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = seq;
  return Buffer.concat([header, payload]);
};
const u16 = (n: number): Buffer => Buffer.from([n & 0xff, n >> 8]);
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const lenencStr = (s: string): Buffer => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);

const BASE = Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION | Capability.PLUGIN_AUTH | Capability.CONNECT_WITH_DB | Capability.MULTI_RESULTS;

function greeting(caps: number): Buffer {
  return packet(0, Buffer.concat([Buffer.from([10]), cstr('10.11.0-test'), u32(42), Buffer.alloc(8, 1), Buffer.from([0]), u16(caps & 0xffff), Buffer.from([45]), u16(2), u16(caps >>> 16), Buffer.from([21]), Buffer.alloc(10), Buffer.alloc(13, 2), cstr('mysql_native_password')]));
}

function login(caps: number, user = 'app', db = 'shop', secret = Buffer.from('SCRAMBLED-SECRET-20B')): Buffer {
  return packet(1, Buffer.concat([u32(caps), u32(16 << 20), Buffer.from([45]), Buffer.alloc(23), cstr(user), Buffer.from([secret.length]), secret, cstr(db), cstr('mysql_native_password')]));
}

const ok = (seq: number, affected = 0, status = 2, header = 0x00): Buffer => packet(seq, Buffer.concat([Buffer.from([header, affected, 0]), u16(status), u16(0)]));
const column = (seq: number, name: string): Buffer =>
  packet(seq, Buffer.concat([lenencStr('def'), lenencStr('shop'), lenencStr('t'), lenencStr('t'), lenencStr(name), lenencStr(name), Buffer.from([0x0c]), u16(45), u32(80), Buffer.from([0xfd]), u16(0), Buffer.from([0, 0, 0])]));
const command = (code: number, body: Buffer | string): Buffer => packet(0, Buffer.concat([Buffer.from([code]), typeof body === 'string' ? Buffer.from(body) : body]));

function parser(): { p: MysqlConnectionParser; calls: WireCall[] } {
  const calls: WireCall[] = [];
  return { p: new MysqlConnectionParser({ now: () => 1000, emit: (c) => calls.push(c) }), calls };
}

function connected(caps: number): { p: MysqlConnectionParser; calls: WireCall[] } {
  const s = parser();
  s.p.server(greeting(caps));
  s.p.client(login(caps));
  s.p.server(ok(2));
  assert.equal(s.calls.at(-1)?.method, 'CONNECT');
  return s;
}

test('CLIENT_DEPRECATE_EOF: result sets and prepared statements end with an OK packet, no EOF', () => {
  const caps = BASE | Capability.DEPRECATE_EOF;
  const { p, calls } = connected(caps);
  assert.equal((calls[0].request as Record<string, unknown>).deprecateEof, true);
  p.client(command(0x03, 'SELECT a, b FROM t'));
  p.server(Buffer.concat([packet(1, Buffer.from([2])), column(2, 'a'), column(3, 'b'), packet(4, Buffer.from([1, 0x31, 1, 0x32])), packet(5, Buffer.from([1, 0x33, 0xfb])), ok(6, 0, 3, 0xfe)]));
  assert.deepEqual(calls.at(-1)?.response, { type: 'rows', columnCount: 2, columns: ['a', 'b'], rows: 2, warnings: 0, inTransaction: true });

  p.client(command(0x16, 'SELECT b FROM t WHERE a = ?'));
  p.server(Buffer.concat([packet(1, Buffer.concat([Buffer.from([0]), u32(5), u16(1), u16(1), Buffer.from([0]), u16(0)])), column(2, '?'), column(3, 'b')]));
  assert.equal(calls.at(-1)?.method, 'COM_STMT_PREPARE');
  assert.deepEqual((calls.at(-1)?.response as Record<string, unknown>).columns, ['b']);
  // execute #5 with one LONGLONG parameter, 7
  p.client(command(0x17, Buffer.concat([u32(5), Buffer.from([0]), u32(1), Buffer.from([0, 1]), u16(0x08), Buffer.from([7, 0, 0, 0, 0, 0, 0, 0])])));
  p.server(Buffer.concat([packet(1, Buffer.from([1])), column(2, 'b'), packet(3, Buffer.from([0, 0, 1, 0x78])), ok(4, 0, 2, 0xfe)]));
  const execute = calls.at(-1)!;
  assert.equal(execute.statement, 'SELECT b FROM t WHERE a = ?');
  assert.deepEqual(execute.request, { statementId: 5, params: [7] });
  assert.equal((execute.response as Record<string, unknown>).rows, 1);
});

test('an auth switch is skipped and its data never recorded; the login call carries user and database', () => {
  const { p, calls } = parser();
  p.server(greeting(BASE));
  p.client(login(BASE, 'app', 'shop'));
  p.server(packet(2, Buffer.concat([Buffer.from([0xfe]), cstr('mysql_native_password'), Buffer.from('NEWSALT-NEWSALT-NEW\0')])));
  p.client(packet(3, Buffer.from('SWITCHED-AUTH-DATA-X')));
  assert.equal(calls.length, 0);
  p.server(ok(4));
  assert.equal(calls.length, 1);
  assert.equal(calls[0].statement, 'CONNECT app@shop');
  assert.equal(calls[0].error, null);
  const text = JSON.stringify(calls);
  assert.ok(!text.includes('SCRAMBLED') && !text.includes('SWITCHED'));
});

test('an SSLRequest ends parsing with a TLS note; what follows is ignored', () => {
  const { p, calls } = parser();
  p.server(greeting(BASE | Capability.SSL));
  p.client(packet(1, Buffer.concat([u32(BASE | Capability.SSL), u32(1 << 24), Buffer.from([45]), Buffer.alloc(23)])));
  p.client(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]));
  p.server(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x7a, 0x02]));
  p.end();
  assert.deepEqual(calls.map((c) => c.method), ['TLS']);
});

test('commands without replies are emitted at once; the next reply goes to the next command', () => {
  const { p, calls } = connected(BASE);
  p.client(Buffer.concat([command(0x19, u32(9)), command(0x0e, Buffer.alloc(0))]));
  assert.equal(calls.at(-1)?.method, 'COM_STMT_CLOSE');
  assert.equal(calls.at(-1)?.statement, 'statement #9');
  p.server(ok(1));
  assert.equal(calls.at(-1)?.method, 'COM_PING');
  assert.equal(calls.at(-1)?.error, null);
});

test('a connection closed mid-reply emits the command with the closed error', () => {
  const { p, calls } = connected(BASE);
  p.client(command(0x03, 'SELECT SLEEP(10)'));
  p.server(packet(1, Buffer.from([1])));
  p.end();
  assert.equal(calls.at(-1)?.statement, 'SELECT SLEEP(10)');
  assert.equal(calls.at(-1)?.error, CLOSED_BEFORE_REPLY);
  assert.equal(calls.at(-1)?.ttfbMs, 0);
});

test('a packet larger than the kept bound is skipped by its length, memory stays bounded, parsing continues', () => {
  const { p, calls } = connected(BASE);
  const sql = Buffer.concat([Buffer.from("INSERT INTO t VALUES ('"), Buffer.alloc(5 * 1024 * 1024, 0x61), Buffer.from("')")]);
  const bytes = command(0x03, sql);
  let most = 0;
  for (let at = 0; at < bytes.length; at += 64 * 1024) {
    p.client(bytes.subarray(at, at + 64 * 1024));
    most = Math.max(most, p.bufferedBytes);
  }
  assert.ok(most <= MAX_PACKET_KEPT + 64 * 1024 + 4, `held ${most} bytes`);
  p.server(ok(1, 1));
  const call = calls.at(-1)!;
  assert.match(call.statement, /^INSERT INTO t VALUES \('a+… <5,242,905 bytes>$/);
  assert.ok(call.statement.length < 5000);
  assert.equal((call.response as Record<string, unknown>).affectedRows, 1);
  p.client(command(0x0e, Buffer.alloc(0)));
  p.server(ok(1));
  assert.equal(calls.at(-1)?.method, 'COM_PING');
});

test('passwords inside SQL are hidden', () => {
  const { p, calls } = connected(BASE);
  const statements = ["CREATE USER 'u'@'%' IDENTIFIED BY 'hunter2'", "SET PASSWORD FOR 'u'@'%' = PASSWORD('hunter2')", "ALTER USER u IDENTIFIED WITH mysql_native_password BY \"hunter2\""];
  for (const sql of statements) {
    p.client(command(0x03, sql));
    p.server(ok(1));
  }
  assert.equal(calls.length, 1 + statements.length);
  for (const call of calls.slice(1)) {
    assert.ok(!call.statement.includes('hunter2'), call.statement);
    assert.match(call.statement, /'\*\*\*'/);
  }
});

test('the compressed protocol: the login is recorded, then a COMPRESS note, then nothing', () => {
  const caps = BASE | Capability.COMPRESS;
  const { p, calls } = parser();
  p.server(greeting(caps));
  p.client(login(caps));
  p.server(Buffer.from([7, 0, 0, 2, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]));
  p.client(Buffer.from([0x10, 0, 0, 0, 0, 0, 0, 3]));
  p.end();
  assert.deepEqual(calls.map((c) => c.method), ['CONNECT', 'COMPRESS']);
});
