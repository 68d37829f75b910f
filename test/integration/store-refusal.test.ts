/**
 * The store refuses files that are not a healthy Chaos Testing database: a corrupt one, a foreign SQLite file, a
 * file that is not SQLite at all, an empty file, one from a newer schema, one a live capture is writing. Every verb
 * that opens the file exits non-zero with one line naming it, and the file stays byte-for-byte what it was.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { ROOT, assertCliError, listen, request, requireTool, runCli, sha256File, sqlite3, startObserve, tmpDir } from '../helpers';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'sample.har');

/** The verbs that open a database, each aimed at `file`. observe's target is never reached: it must refuse first. */
function verbs(file: string): Array<[string, string[]]> {
  return [
    ['observe', ['observe', '--port', '0', '--quiet', '--target', 'http://127.0.0.1:9', '--output', file, '--duration', '5']],
    ['list', ['list', '--db', file]],
    ['import', ['import', FIXTURE, '--db', file]],
    ['show', ['show', '1', '--db', file]],
    ['export', ['export', '--db', file]],
  ];
}

/** A real database written by the CLI (an import of the fixture). */
function healthyDb(dir: string, name = 'healthy.db'): string {
  const file = path.join(dir, name);
  const r = runCli(['import', FIXTURE, '--db', file]);
  assert.equal(r.code, 0, r.stderr);
  return file;
}

async function assertRefusedEverywhere(t: TestContext, file: string, reason: RegExp): Promise<void> {
  const dir = path.dirname(file);
  const before = sha256File(file);
  const listing = fs.readdirSync(dir).sort();
  for (const [verb, args] of verbs(file)) {
    await t.test(verb, () => {
      const r = runCli(args);
      const line = assertCliError(r, 1, [file]);
      assert.match(line, reason);
      assert.equal(sha256File(file), before, `${verb} changed ${file}`);
      // No lock, journal or temp file left behind either.
      assert.deepEqual(fs.readdirSync(dir).sort(), listing, `${verb} left files behind`);
    });
  }
}

test('a corrupt database (a valid file with a page in the middle overwritten) is refused, unchanged', { timeout: 120_000 }, async (t) => {
  const dir = tmpDir(t);
  const file = healthyDb(dir);
  const bytes = fs.readFileSync(file);
  const pageSize = bytes.readUInt16BE(16);
  const pages = bytes.length / pageSize;
  assert.ok(pages >= 4, `expected a multi-page database, got ${pages} pages`);
  const middle = Math.floor(pages / 2) * pageSize;
  for (let i = 0; i < pageSize; i++) bytes[middle + i] = (i * 37 + 11) & 0xff;
  fs.writeFileSync(file, bytes);
  if (requireTool(t, 'sqlite3', 'sqlite3')) {
    // The damage is real: SQLite itself says so.
    assert.notEqual(sqlite3(file, 'PRAGMA quick_check'), 'ok');
  }
  await assertRefusedEverywhere(t, file, /is corrupt/);
});

test('a foreign SQLite file (made with the sqlite3 shell) is refused, unchanged', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'sqlite3', 'sqlite3')) return;
  const dir = tmpDir(t);
  const file = path.join(dir, 'someone-elses.db');
  sqlite3(file, "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes(text) VALUES ('keep me');");
  await assertRefusedEverywhere(t, file, /SQLite database but not a Chaos Testing one/);
  assert.equal(sqlite3(file, 'SELECT text FROM notes'), 'keep me');
});

test('a file that is not SQLite is refused, unchanged', { timeout: 120_000 }, async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'notes.db');
  fs.writeFileSync(file, 'these are my notes, not a database\n'.repeat(20));
  await assertRefusedEverywhere(t, file, /not a SQLite database/);
});

test('a file of random bytes that is not SQLite is refused, unchanged', { timeout: 120_000 }, async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'random.db');
  const bytes = Buffer.alloc(8192);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 0xff;
  fs.writeFileSync(file, bytes);
  await assertRefusedEverywhere(t, file, /not a SQLite database/);
});

test('an empty file is refused, unchanged', { timeout: 120_000 }, async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'empty.db');
  fs.writeFileSync(file, '');
  await assertRefusedEverywhere(t, file, /empty file/);
  assert.equal(fs.statSync(file).size, 0);
});

test('a database from a newer schema is refused, unchanged', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'sqlite3', 'sqlite3')) return;
  const dir = tmpDir(t);
  const file = healthyDb(dir, 'future.db');
  sqlite3(file, 'PRAGMA user_version = 99');
  await assertRefusedEverywhere(t, file, /newer/);
});

test('a missing database: list, show and export fail with one line naming it, and create nothing', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'nothing-here.db');
  for (const args of [['list', '--db', file], ['show', '1', '--db', file], ['export', '--db', file], ['export', '--format', 'json', '--db', file]]) {
    const r = runCli(args);
    const line = assertCliError(r, 1, [file]);
    assert.match(line, /no traffic database/);
    assert.equal(r.stdout, '');
  }
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('a database a live capture is writing is refused by a second observe and import; the first keeps capturing', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'traffic.db');
  const backend = await listen(t, http.createServer((req, res) => res.end(`ok ${req.url}`)));
  const first = await startObserve(t, ['--target', backend.url, '--output', file]);
  assert.equal((await request(`${first.url}/before`)).status, 200);

  const second = runCli(['observe', '--port', '0', '--quiet', '--target', backend.url, '--output', file, '--duration', '5']);
  assert.match(assertCliError(second, 1, [file]), new RegExp(`another capture \\(pid ${first.proc.pid}\\)`));
  const imported = runCli(['import', FIXTURE, '--db', file]);
  assert.match(assertCliError(imported, 1, [file]), /another capture/);

  assert.equal((await request(`${first.url}/after`)).status, 200);
  assert.equal(await first.stop(), 0);
  const r = runCli(['list', '--db', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const listing = JSON.parse(r.stdout) as { sessions: unknown[]; exchanges: Array<{ path: string }> };
  assert.equal(listing.sessions.length, 1);
  assert.deepEqual(listing.exchanges.map((e) => e.path), ['/before', '/after']);
});
