import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { sqlShape, statementShape } from '../../src/core/protocols/statementShape';

test('statement shapes: Redis SET is a command with its key (not SQL); SQL literals become ?', () => {
  assert.equal(statementShape('redis', 'SET user:1 "{\\"id\\":1,\\"name\\":\\"ada\\"}" EX 60'), 'SET user:{id}');
  assert.equal(statementShape('redis', 'GET user:42:cart'), 'GET user:{id}:cart');
  assert.equal(statementShape('redis', 'PING'), 'PING');
  assert.equal(statementShape('postgres', "SET search_path TO 'app'"), 'SET search_path TO ?');
  assert.equal(statementShape('mysql', 'SELECT * FROM t WHERE id = 7'), 'SELECT * FROM t WHERE id = ?');
  assert.equal(statementShape('grpc', '/pkg.Users/Get'), '/pkg.Users/Get');
});

/** The regular expressions sqlShape's one pass stands for (its doc comment): the reference it must equal. */
function sqlShapeByRegex(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/(?<![\w$.])-?\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

test('SQL shapes: literals, negative and decimal numbers, identifiers with digits, doubled and unclosed quotes', () => {
  const cases: Array<[string, string]> = [
    ['SELECT abalance FROM pgbench_accounts WHERE aid = 12345;', 'SELECT abalance FROM pgbench_accounts WHERE aid = ?;'],
    ["  INSERT INTO t2 (a, b)\n VALUES ('it''s', -4.5)  ", 'INSERT INTO t2 (a, b) VALUES (?, ?)'],
    ['SELECT x1, $1, t.2, 1.5x, a-12, 12abc FROM t', 'SELECT x1, $1, t.2, ?.5x, a-?, 12abc FROM t'],
    ["SELECT 'unclosed", "SELECT 'unclosed"],
    ["SELECT 'ab''", "SELECT ?'"],
  ];
  for (const [sql, shape] of cases) {
    assert.equal(sqlShape(sql), shape, sql);
    assert.equal(sqlShapeByRegex(sql), shape, `reference: ${sql}`);
  }
  assert.equal(sqlShape(`SELECT ${'x, '.repeat(200)}1`), sqlShapeByRegex(`SELECT ${'x, '.repeat(200)}1`));
});

test('SQL shapes: the one pass equals the regular expressions on random text of the characters that matter', () => {
  const chars = [..."'''-.$_ \t\n\u00a0\u2028?aZ09x1(),;", 'é', '\ufeff'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 80 }), (parts) => {
      const sql = parts.join('');
      assert.equal(sqlShape(sql), sqlShapeByRegex(sql));
    }),
    { numRuns: 5000 },
  );
  fc.assert(fc.property(fc.string({ maxLength: 400 }), (sql) => assert.equal(sqlShape(sql), sqlShapeByRegex(sql))), { numRuns: 2000 });
});
