/**
 * The traffic database is a plain SQLite file: the sqlite3 shell reads what a capture wrote (through the
 * exchange_view made for people), and the file says what it is (application_id) and which schema (user_version).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import { SCHEMA_VERSION } from '../../src/core/store/schema';
import { listen, request, requireTool, sqlite3, startObserve, tmpDir } from '../helpers';

interface ViewRow {
  id: number;
  session_id: number;
  protocol: string;
  method: string;
  url: string;
  status: number;
  duration_ms: number;
  error: string | null;
  request_body: string | null;
  response_body: string | null;
}

test('the sqlite3 shell reads a captured file: exchange_view rows, application_id and user_version', { timeout: 60_000 }, async (t) => {
  if (!requireTool(t, 'sqlite3', 'sqlite3')) return;
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await listen(t, http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/missing') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"not found"}');
        return;
      }
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, got: Buffer.concat(chunks).toString() }));
    });
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  assert.equal((await request(`${proxy.url}/items?page=1`)).status, 200);
  assert.equal((await request(`${proxy.url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"widget"}' })).status, 201);
  assert.equal((await request(`${proxy.url}/missing`)).status, 404);
  assert.equal(await proxy.stop(), 0);

  assert.equal(sqlite3(db, 'PRAGMA application_id'), String(0x43484153));
  assert.equal(sqlite3(db, 'PRAGMA user_version'), String(SCHEMA_VERSION));
  assert.equal(sqlite3(db, 'PRAGMA integrity_check'), 'ok');

  const rows = JSON.parse(sqlite3(db, 'SELECT * FROM exchange_view ORDER BY id', ['-json'])) as ViewRow[];
  assert.deepEqual(rows.map((r) => [r.session_id, r.protocol, r.method, r.url, r.status, r.error]), [
    [1, 'http', 'GET', `${backend.url}/items?page=1`, 200, null],
    [1, 'http', 'POST', `${backend.url}/items`, 201, null],
    [1, 'http', 'GET', `${backend.url}/missing`, 404, null],
  ]);
  assert.equal(rows[0].request_body, null);
  assert.deepEqual(JSON.parse(rows[0].response_body!), { method: 'GET', url: '/items?page=1', got: '' });
  assert.equal(rows[1].request_body, '{"name":"widget"}');
  assert.deepEqual(JSON.parse(rows[1].response_body!), { method: 'POST', url: '/items', got: '{"name":"widget"}' });
  assert.equal(rows[2].response_body, '{"error":"not found"}');
  for (const r of rows) assert.ok(r.duration_ms > 0, `duration of ${r.url}`);

  // The ordinary tables are readable too, with the shell's default (pipe-separated) output.
  assert.equal(sqlite3(db, "SELECT kind, target, stopped_at IS NOT NULL FROM sessions"), `reverse|${backend.url}|1`);
  assert.equal(sqlite3(db, "SELECT method || ' ' || path || ' ' || status FROM exchanges ORDER BY seq"), 'GET /items 200\nPOST /items 201\nGET /missing 404');
  const headers = JSON.parse(sqlite3(db, 'SELECT request_headers FROM exchanges WHERE seq = 2')) as Array<[string, string]>;
  assert.ok(headers.some(([k, v]) => k.toLowerCase() === 'content-type' && v === 'application/json'));
});
