/**
 * kill -9 durability: a capture killed mid-traffic leaves a file that opens (journal replayed) and that the sqlite3
 * shell reads; every exchange the client had received a second before the kill is in it; the next capture takes
 * the stale lock over and adds a session, and its clean stop folds the journal into the file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrafficDb } from '../../src/core/store/database';
import { exchangesIn, journalPath, readJournal } from '../../src/core/store/journal';
import { listen, request, requireTool, sqlite3, startObserve, startSampleBackend, tmpDir, type Observer } from '../helpers';

const APPLICATION_ID = String(0x43484153);

test('kill -9 mid-capture keeps every exchange received 1 s before the kill; the next observe takes over', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'sqlite3', 'sqlite3')) return;
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await listen(t, http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`ok ${req.method} ${req.url} ${Buffer.concat(chunks).length}`);
    });
  }));

  /** Path → when the client had the whole response (epoch ms). */
  const received = new Map<string, number>();

  /** Steady traffic from 4 clients until the proxy dies (bounded by count and time), then SIGKILL after `killAfterMs`. */
  async function capturedThenKilled(round: number, killAfterMs: number): Promise<{ killedAt: number; proxy: Observer }> {
    const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
    let stop = false;
    const deadline = Date.now() + killAfterMs + 5_000;
    const client = async (w: number): Promise<void> => {
      for (let i = 0; i < 5_000 && !stop && Date.now() < deadline; i++) {
        const p = `/round${round}/client${w}/${i}`;
        const post = i % 3 === 0;
        try {
          const r = await request(proxy.url + p, post ? { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `body of ${p}` } : {});
          if (r.status !== 200) return;
          assert.equal(r.body.toString(), `ok ${post ? 'POST' : 'GET'} ${p} ${post ? `body of ${p}`.length : 0}`);
          received.set(p, Date.now());
        } catch {
          return; // the proxy is gone
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    await sleep(killAfterMs);
    const killedAt = Date.now();
    proxy.proc.kill('SIGKILL');
    await proxy.stop();
    stop = true;
    await Promise.all(clients);
    assert.equal(proxy.proc.signalCode, 'SIGKILL');
    return { killedAt, proxy };
  }

  /** Exchanges in the file itself plus those only in the journal (frames past the file's applied_lsn). */
  function onDiskAndJournaled(): { file: number; journal: number } {
    const file = Number(sqlite3(db, 'SELECT COUNT(*) FROM exchanges'));
    const applied = Number(sqlite3(db, "SELECT value FROM meta WHERE key = 'applied_lsn'") || 0);
    let journal = 0;
    for (const op of readJournal(journalPath(db))) if (op.lsn > applied) journal += exchangesIn(op);
    return { file, journal };
  }

  /** Opens the file as the tools do (journal replayed) and checks that every durable exchange is there, once. */
  async function assertDurable(killedAt: number, round: number): Promise<number> {
    const counts = onDiskAndJournaled();
    const store = await TrafficDb.open(db);
    try {
      // Opening replays exactly what the killed writer journaled after its last snapshot.
      assert.equal(store.countExchanges(), counts.file + counts.journal, `file ${counts.file} + journal ${counts.journal}`);
      const paths = new Map<string, number>();
      for (const e of store.exchanges()) paths.set(e.path ?? '', (paths.get(e.path ?? '') ?? 0) + 1);
      const durable = [...received].filter(([p, at]) => p.startsWith(`/round${round}/`) && at <= killedAt - 1_000).map(([p]) => p);
      assert.ok(durable.length >= 20, `round ${round}: only ${durable.length} responses arrived over a second before the kill`);
      const missing = durable.filter((p) => !paths.has(p));
      assert.deepEqual(missing, [], `round ${round}: ${missing.length} of ${durable.length} durable exchanges are missing`);
      const twice = [...paths].filter(([, n]) => n > 1);
      assert.deepEqual(twice, [], 'an exchange was stored twice');
      const sample = store.exchange(store.exchanges().find((e) => e.path === durable[0])!.id)!;
      assert.equal(sample.status, 200);
      assert.match(Buffer.from(sample.responseBody!.data).toString(), /^ok (GET|POST) \/round/);
      return durable.length;
    } finally {
      store.close();
    }
  }

  /** The file on disk (without the journal) is a sound SQLite database of ours. */
  function assertSqliteReads(): void {
    assert.equal(sqlite3(db, 'PRAGMA integrity_check'), 'ok');
    assert.equal(sqlite3(db, 'PRAGMA application_id'), APPLICATION_ID);
    assert.match(sqlite3(db, 'SELECT COUNT(*) FROM exchange_view'), /^\d+$/);
  }

  // Round 1: a fresh file, killed mid-capture.
  const one = await capturedThenKilled(1, 2_500);
  assert.ok(fs.existsSync(`${db}.lock`), 'the killed capture left its lock (the next one must take it over)');
  assert.equal(fs.readFileSync(`${db}.lock`, 'utf8').trim(), String(one.proxy.proc.pid));
  const durable1 = await assertDurable(one.killedAt, 1);
  assertSqliteReads();

  // Round 2: the stale lock is taken over; killed again, on top of a replayed journal.
  const two = await capturedThenKilled(2, 2_500);
  assert.match(two.proxy.stderr(), /recording to/);
  await assertDurable(one.killedAt, 1);
  await assertDurable(two.killedAt, 2);
  assertSqliteReads();

  // Round 3: a clean capture adds a third session and folds everything into the file itself.
  const three = await startObserve(t, ['--target', backend.url, '--output', db]);
  assert.equal((await request(`${three.url}/round3/only`)).status, 200);
  assert.equal(await three.stop(), 0);
  assert.ok(!fs.existsSync(`${db}.lock`), 'lock released on a clean stop');
  assert.ok(!fs.existsSync(`${db}.chaos-journal`), 'journal removed on a clean stop');

  const store = await TrafficDb.open(db);
  t.after(() => store.close());
  const sessions = store.sessions();
  assert.deepEqual(sessions.map((s) => s.id), [1, 2, 3]);
  assert.equal(sessions[0].stoppedAt, null, 'a killed session has no stop time');
  assert.equal(sessions[1].stoppedAt, null);
  assert.ok(sessions[2].stoppedAt, 'the clean session has a stop time');
  assert.equal(sessions[2].exchanges, 1);
  assert.ok(sessions[0].exchanges >= durable1);

  // What the sqlite3 shell reads from the file alone now matches what the store holds.
  assertSqliteReads();
  assert.equal(sqlite3(db, 'SELECT COUNT(*) FROM exchanges'), String(store.countExchanges()));
  assert.equal(sqlite3(db, "SELECT COUNT(*) FROM exchanges WHERE path = '/round3/only' AND session_id = 3"), '1');
  const durableOnDisk = [...received].filter(([p, at]) => p.startsWith('/round1/') && at <= one.killedAt - 1_000).map(([p]) => p);
  const onDisk = new Set(sqlite3(db, 'SELECT path FROM exchanges WHERE session_id = 1').split('\n'));
  assert.deepEqual(durableOnDisk.filter((p) => !onDisk.has(p)), []);
});

test('a temp file left by a writer killed mid-snapshot is removed by the next capture', async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const stray = path.join(dir, '.traffic.db.999999.1700000000000.tmp');
  const unrelated = path.join(dir, '.other.db.999999.1.tmp');
  fs.writeFileSync(stray, 'half a snapshot');
  fs.writeFileSync(unrelated, 'not ours');
  const backend = await startSampleBackend(t);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  assert.equal(fs.existsSync(stray), false);
  assert.equal(fs.existsSync(unrelated), true);
  assert.equal(await proxy.stop(), 0);
});
