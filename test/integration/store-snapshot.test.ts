/**
 * Snapshots written straight from sql.js's in-memory file (src/core/store/sqlJsPatch.ts): the pinned sql.js takes
 * both hooks, the file written without export() is a whole database that sql.js and the sqlite3 shell read row for
 * row, the file grows in place, and a writer killed mid-snapshot leaves the previous file whole.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Redactor, defaultRedaction } from '../../src/core/capture/redact';
import type { CapturedExchange } from '../../src/core/capture/types';
import { TrafficDb } from '../../src/core/store/database';
import { prepareExchange } from '../../src/core/store/prepare';
import { loadSqlJs } from '../../src/core/store/sqlite';
import { growInPlace, patchSqlJs } from '../../src/core/store/sqlJsPatch';
import { requireTool, sqlite3, tmpDir } from '../helpers';

const ROOT = path.resolve(__dirname, '..', '..');

function exchange(seq: number): CapturedExchange {
  // A body distinct per row (no dedupe), large enough that the file grows many times over the test.
  const body = `{"seq":${seq},"pad":"${String(seq).padStart(8, '0').repeat(250)}"}`;
  return {
    seq, protocol: 'http', connectionId: 1, startedAt: 1_700_000_000_000 + seq, ttfbMs: 1, durationMs: 2,
    method: 'GET', url: `http://h/items/${seq}`, status: 200,
    requestHeaders: ['accept', '*/*'], responseHeaders: ['content-type', 'application/json'],
    requestBody: { data: null, size: 0, truncated: false },
    responseBody: { data: Buffer.from(body), size: Buffer.byteLength(body), truncated: false }, error: null,
  };
}

test('the pinned sql.js takes both hooks; another script is left alone', async () => {
  const sql = await loadSqlJs();
  assert.equal(typeof sql.memfsFile, 'function', 'memfsFile: snapshots without export()');
  assert.equal(typeof sql.memfsGrow, 'function', 'memfsGrow: files grown in place');
  assert.equal(patchSqlJs('var Module={};Module.Database=function(){}'), null);
  const source = fs.readFileSync(require.resolve('sql.js/dist/sql-wasm.js'), 'utf8');
  assert.notEqual(patchSqlJs(source), null);
  // A build whose MEMFS grows files some other way: not patched at all (not half).
  assert.equal(patchSqlJs(source.replace(/new Uint8Array\((\w+)\),(\w+)\.(\w+)\.set/g, 'new Uint8Array($1+0),$2.$3.set')), null);
});

test('growInPlace keeps the bytes, grows a resizable buffer where it is, and MEMFS sees the capacity', () => {
  const first = growInPlace(Uint8Array.from([1, 2, 3]), 8);
  assert.deepEqual([...first.subarray(0, 3)], [1, 2, 3]);
  assert.equal(first.length, 8);
  assert.equal((first.buffer as ArrayBuffer & { resizable: boolean }).resizable, true);
  first[7] = 9;
  const second = growInPlace(first.subarray(0, 8), 1 << 20);
  assert.equal(second.buffer, first.buffer, 'the same buffer, grown');
  assert.equal(second.length, 1 << 20);
  assert.deepEqual([...second.subarray(0, 3)], [1, 2, 3]);
  assert.equal(second[7], 9);
});

test('save() writes the live file without export(): sql.js and the sqlite3 shell read every row, batch after batch', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'traffic.db');
  const db = await TrafficDb.open(file, { create: true });
  const redactor = new Redactor(defaultRedaction(), db.salt);
  db.apply({ lsn: 1, op: 'session', id: 1, session: { kind: 'reverse', target: 'http://h', listen: '127.0.0.1:1', startedAt: 1 } });
  // As the store worker does: a transaction held across batches, committed by save().
  db.holdTransaction();
  let seq = 0;
  for (let round = 0; round < 4; round++) {
    const rows = Array.from({ length: 1000 }, () => prepareExchange(exchange(++seq), redactor));
    db.apply({ lsn: round + 2, op: 'exchanges', sessionId: 1, rows });
    db.save();
    db.holdTransaction();
    assert.equal(db.lastSaveVia, 'memfs');
    const again = await TrafficDb.open(file);
    assert.equal(again.countExchanges(), seq, `round ${round}: every row`);
    assert.match(Buffer.from(again.exchange(seq)!.responseBody!.data).toString(), new RegExp(`^\\{"seq":${seq},`));
    again.close();
  }
  db.close();
  assert.ok(fs.statSync(file).size > 8 * 1024 * 1024, 'the file grew past several of MEMFS growth steps');
  if (!requireTool(t, 'sqlite3', 'sqlite3')) return;
  assert.equal(sqlite3(file, 'PRAGMA integrity_check'), 'ok');
  assert.equal(sqlite3(file, 'SELECT count(*), count(DISTINCT response_body_hash) FROM exchanges'), `${seq}|${seq}`);
});

/** A writer that grows a database and saves it again and again, printing the row count after each save. */
const WRITER = `
  const { TrafficDb } = require(${JSON.stringify(path.join(ROOT, 'src/core/store/database.ts'))});
  (async () => {
    const db = await TrafficDb.open(process.env.DB, { create: true });
    db.apply({ lsn: 1, op: 'session', id: 1, session: { kind: 'reverse', target: null, listen: null, startedAt: 1 } });
    let n = 0;
    for (let round = 0; round < 2000; round++) {
      db.query('WITH RECURSIVE s(v) AS (SELECT ? UNION ALL SELECT v + 1 FROM s WHERE v < ?) '
        + 'INSERT INTO exchanges (session_id, seq, protocol, started_at, method, url, request_headers) '
        + "SELECT 1, v, 'http', v, 'GET', 'http://h/' || hex(randomblob(2000)), '[]' FROM s", [n + 1, n + 500]);
      n += 500;
      process.stdout.write('saving\\n');
      db.save();
      process.stdout.write(n + '\\n');
    }
  })();`;

test('a writer killed mid-snapshot leaves a whole file: it opens, passes integrity_check and holds a saved count', { timeout: 120_000 }, async (t) => {
  const dir = tmpDir(t);
  const hasShell = requireTool(t, 'sqlite3', 'sqlite3');
  for (let round = 0; round < 4; round++) {
    const file = path.join(dir, `killed-${round}.db`);
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', WRITER], { cwd: ROOT, env: { ...process.env, DB: file }, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const saved = (): number[] => out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    // Several saves made (the file is several MB by then), then a kill: in odd rounds as a save starts (most likely
    // inside it: the write and fsync take milliseconds), in even ones between saves.
    const deadline = Date.now() + 60_000;
    const ready = (): boolean => saved().length >= 4 + round * 2 && (round % 2 === 0 || out.endsWith('saving\n'));
    while (!ready() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 1));
    assert.equal(child.exitCode, null, `the writer is still running: ${err}`);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const counts = saved();
    const last = counts[counts.length - 1];
    const db = await TrafficDb.open(file);
    const rows = db.countExchanges();
    db.close();
    // The last save printed, or the one after it if the kill came between its rename and its print.
    assert.ok(rows === last || rows === last + 500, `round ${round}: ${rows} rows, saves printed up to ${last}`);
    if (hasShell) assert.equal(sqlite3(file, 'PRAGMA integrity_check'), 'ok');
  }
});
