import assert from 'node:assert/strict';
import test from 'node:test';
import { statementShape } from '../../src/core/protocols/statementShape';

test('statement shapes: Redis SET is a command with its key (not SQL); SQL literals become ?', () => {
  assert.equal(statementShape('redis', 'SET user:1 "{\\"id\\":1,\\"name\\":\\"ada\\"}" EX 60'), 'SET user:{id}');
  assert.equal(statementShape('redis', 'GET user:42:cart'), 'GET user:{id}:cart');
  assert.equal(statementShape('redis', 'PING'), 'PING');
  assert.equal(statementShape('postgres', "SET search_path TO 'app'"), 'SET search_path TO ?');
  assert.equal(statementShape('mysql', 'SELECT * FROM t WHERE id = 7'), 'SELECT * FROM t WHERE id = ?');
  assert.equal(statementShape('grpc', '/pkg.Users/Get'), '/pkg.Users/Get');
});
