import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { transformSync } from 'esbuild';
import { DIALECTS } from '../../src/core/generate/dialects';
import { renderSuite } from '../../src/core/generate/generate';
import { formatModel } from '../../src/core/learn/format';
import { learn } from '../../src/core/learn/learn';
import { templateRedis, templateSql, templateStatement } from '../../src/core/learn/statementTemplate';
import { tmpDir } from '../helpers';
import { dbWithRows, sampleApiRows } from '../helpers/wireTraffic';

test('SQL templates: literals become ?, placeholders stay, IN lists and VALUES rows collapse, comments go', () => {
  assert.equal(templateSql('SELECT id, name FROM users WHERE id = $1'), 'SELECT id, name FROM users WHERE id = $1');
  assert.equal(templateSql("SELECT * FROM users WHERE id = 42 AND name = 'O''Brien'"), 'SELECT * FROM users WHERE id = ? AND name = ?');
  assert.equal(templateSql('select *  from t where x in (1, 2, 3) -- why\n and y = -5'), 'select * from t where x in (?) and y = ?');
  assert.equal(templateSql("INSERT INTO t (a, b) VALUES ('x', 1.5), ('y', 2), ('z', 3)"), 'INSERT INTO t (a, b) VALUES (?, ?), …');
  assert.equal(templateSql('UPDATE t SET a = a - 1 WHERE id = ?'), 'UPDATE t SET a = a - ? WHERE id = ?');
  assert.equal(templateSql('SELECT "col1" FROM t2 LIMIT 10'), 'SELECT "col1" FROM t2 LIMIT ?', 'quoted identifiers are not literals');
  assert.equal(templateSql('SELECT a1 FROM t WHERE b = $$x$$'), 'SELECT a1 FROM t WHERE b = ?');
});

test('Redis templates: ids in keys become {id}, values ?, repeated keys …', () => {
  assert.equal(templateRedis('SET user:1 <12 bytes>'), 'SET user:{id} ?');
  assert.equal(templateRedis('get user:42:cart'), 'GET user:{id}:cart');
  assert.equal(templateRedis('MGET user:1 user:2 user:3'), 'MGET user:{id} …');
  assert.equal(templateRedis('EXPIRE session:3f2a9c1e8b7d6a5f4e3d 60'), 'EXPIRE session:{id} ?');
  assert.equal(templateRedis('INCR counter'), 'INCR counter');
  assert.equal(templateRedis('SET user:1 "{\\"id\\":1,\\"name\\":\\"ada\\"}" EX 60'), 'SET user:{id} ? EX ?', 'a quoted value is a value even with colons; options stay');
  assert.equal(templateRedis('ZRANGE board:7 0 -1 WITHSCORES'), 'ZRANGE board:{id} ? … WITHSCORES');
  assert.equal(templateStatement('grpc', '/pkg.Users/Get'), '/pkg.Users/Get');
  assert.equal(templateStatement('mysql', 'SELECT * FROM t WHERE id = 7'), 'SELECT * FROM t WHERE id = ?');
});

test('learn: wire calls are not endpoints; each endpoint lists the calls its requests made', async () => {
  const db = await dbWithRows(sampleApiRows());
  const model = learn(db);
  assert.deepEqual(model.endpoints.map((e) => e.key).sort(), ['GET /users/{userId}', 'POST /users']);
  const get = model.endpoints.find((e) => e.key === 'GET /users/{userId}')!;
  assert.deepEqual(get.calls?.map((c) => [c.protocol, c.method, c.statement, c.count, c.requests]), [
    ['redis', 'GET', 'GET user:{id}', 2, 2],
    ['postgres', 'EXECUTE', 'SELECT id, name FROM users WHERE id = $1', 2, 2],
    ['redis', 'SET', 'SET user:{id} ?', 2, 2],
  ]);
  const post = model.endpoints.find((e) => e.key === 'POST /users')!;
  assert.deepEqual(post.calls?.map((c) => c.statement), ['BEGIN', 'INSERT INTO users (name) VALUES (?) RETURNING id', 'COMMIT']);
  assert.equal(model.source.skipped['postgres calls (listed under their endpoints when linked)'], 6);
  const text = formatModel(model).join('\n');
  assert.match(text, /GET \/users\/\{userId\}[^\n]*\n(?:    [^\n]*\n)*    → postgres SELECT id, name FROM users WHERE id = \$1\n/);
  assert.ok(!/CREATE TABLE/.test(text), 'the startup migration belongs to no endpoint');
  assert.ok(JSON.parse(JSON.stringify(model)).endpoints.some((e: { calls?: unknown[] }) => e.calls?.length === 3), 'learn --json carries them');
  db.close();
});

test('generated tests name the calls in comments, in every dialect, and still compile', async (t) => {
  const db = await dbWithRows(sampleApiRows());
  const model = learn(db);
  db.close();
  const comment: Record<string, string> = { python: '#', typescript: '//', go: '//', rust: '//', java: '//' };
  for (const d of DIALECTS) {
    const out = renderSuite(d, model, 'traffic.db');
    const c = comment[d.language];
    const lines = out.split('\n').map((l) => l.trim());
    assert.ok(lines.includes(`${c}   postgres SELECT id, name FROM users WHERE id = $1`), `${d.id}: the SELECT of GET /users/{userId}`);
    assert.ok(lines.includes(`${c}   postgres INSERT INTO users (name) VALUES (?) RETURNING id`), `${d.id}: the INSERT of POST /users`);
    assert.ok(lines.includes(`${c} database and cache calls this endpoint made when captured:`), d.id);
    if (d.language === 'typescript') transformSync(out, { loader: 'ts' });
    if (d.language === 'python') {
      const file = path.join(tmpDir(t), 'test_generated.py');
      fs.writeFileSync(file, out);
      try {
        execFileSync('python3', ['-m', 'py_compile', file], { stdio: 'pipe' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') t.diagnostic('python3 missing: compile check skipped');
        else throw new Error(`generated python does not compile: ${String((e as { stderr?: Buffer }).stderr)}`);
      }
    }
  }
});
