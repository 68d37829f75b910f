/**
 * Passwords and password hashes in SQL are hidden before a statement is recorded, in PostgreSQL (role passwords, by
 * simple query and by Parse) and MySQL/MariaDB (IDENTIFIED BY [PASSWORD], WITH … AS, VIA … USING) alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { definition as postgres } from '../../src/core/protocols/postgres';
import { statementText } from '../../src/core/protocols/mysql/summary';
import { hideSqlPasswords } from '../../src/core/protocols/sqlPasswords';
import type { WireCall } from '../../src/core/protocols/types';

const HASH = '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9';

test('MySQL and MariaDB: passwords and their hashes are hidden', () => {
  const cases: [string, string][] = [
    ["CREATE USER 'u'@'%' IDENTIFIED BY 'hunter2'", "CREATE USER 'u'@'%' IDENTIFIED BY '***'"],
    [`ALTER USER u IDENTIFIED BY PASSWORD '${HASH}'`, "ALTER USER u IDENTIFIED BY PASSWORD '***'"],
    [`ALTER USER u IDENTIFIED WITH mysql_native_password AS '${HASH}'`, "ALTER USER u IDENTIFIED WITH mysql_native_password AS '***'"],
    [`CREATE USER u IDENTIFIED VIA mysql_native_password USING '${HASH}' OR unix_socket USING 'x'`, "CREATE USER u IDENTIFIED VIA mysql_native_password USING '***' OR unix_socket USING '***'"],
    ["ALTER USER u IDENTIFIED VIA mysql_native_password USING PASSWORD('hunter2')", "ALTER USER u IDENTIFIED VIA mysql_native_password USING PASSWORD('***')"],
    ["SET PASSWORD FOR 'u'@'%' = 'hunter2'", "SET PASSWORD FOR 'u'@'%' = '***'"],
    ["CHANGE MASTER TO MASTER_PASSWORD='hunter2'", "CHANGE MASTER TO MASTER_PASSWORD='***'"],
  ];
  for (const [sql, hidden] of cases) assert.equal(statementText(Buffer.from(sql), Buffer.byteLength(sql)), hidden);
});

test('PostgreSQL: role passwords (plain, E-strings, dollar quotes, SCRAM verifiers) are hidden; other SQL is left alone', () => {
  const cases: [string, string][] = [
    ["create role pwrole password 'role_secret_pw'", "create role pwrole password '***'"],
    ["ALTER ROLE r WITH LOGIN ENCRYPTED PASSWORD 'it''s'", "ALTER ROLE r WITH LOGIN ENCRYPTED PASSWORD '***'"],
    ["ALTER USER r PASSWORD E'a\\'b' VALID UNTIL '2030-01-01'", "ALTER USER r PASSWORD '***' VALID UNTIL '2030-01-01'"],
    ['CREATE USER r PASSWORD $pw$x$pw$', "CREATE USER r PASSWORD '***'"],
    ["ALTER USER r PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a:b'", "ALTER USER r PASSWORD '***'"],
    ['ALTER ROLE r PASSWORD NULL', 'ALTER ROLE r PASSWORD NULL'],
    ["SELECT password FROM users WHERE name = 'bob'", "SELECT password FROM users WHERE name = 'bob'"],
  ];
  for (const [sql, hidden] of cases) assert.equal(hideSqlPasswords(sql), hidden);
});

test('PostgreSQL: a CREATE ROLE … PASSWORD sent by simple query or by Parse is recorded without the password', () => {
  const calls: WireCall[] = [];
  const parser = postgres.createParser({ now: () => 0, emit: (c) => calls.push(c) });
  const frame = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);
  const params = Buffer.concat([cstr('user'), cstr('app'), cstr('database'), cstr('app'), Buffer.from([0])]);
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length, 0);
  startup.writeInt32BE(196608, 4);
  parser.client(Buffer.concat([startup, params]));
  parser.server(Buffer.concat([frame('R', Buffer.from([0, 0, 0, 0])), frame('Z', Buffer.from('I'))]));
  parser.client(frame('Q', cstr("create role pwrole password 'role_secret_pw'")));
  parser.server(Buffer.concat([frame('C', cstr('CREATE ROLE')), frame('Z', Buffer.from('I'))]));
  parser.client(Buffer.concat([frame('P', Buffer.concat([cstr(''), cstr("alter role pwrole password 'role_secret_pw2'"), Buffer.from([0, 0])])), frame('S', Buffer.alloc(0))]));
  parser.server(Buffer.concat([frame('1', Buffer.alloc(0)), frame('Z', Buffer.from('I'))]));
  parser.end();
  const text = JSON.stringify(calls);
  assert.ok(!text.includes('role_secret_pw'), text);
  assert.ok(calls.some((c) => c.statement === "create role pwrole password '***'"), text);
  assert.ok(calls.some((c) => c.statement === "alter role pwrole password '***'"), text);
});
