/**
 * 100 MB bodies streamed through the capture proxy in both directions: the far end gets every byte, the proxy's
 * memory stays flat (bodies are observed as they pass, never buffered), and the store keeps a capped prefix plus
 * the full size and the sha256 of the whole body.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { listen, openStore, queryStore, rssBytes, sampleRss, startObserve, tmpDir } from '../helpers';

const SIZE = 100 * 1024 * 1024;
const CHUNK = 64 * 1024;
const MiB = 1024 * 1024;
const MAX_RSS_GROWTH = 150 * MiB;

/** `size` random bytes generated as they are read; hashes them and keeps the first `keep` bytes for comparison. */
function randomSource(size: number, keep: number): { stream: Readable; sha256(): string; head(): Buffer } {
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let kept = 0;
  let produced = 0;
  let digest: string | undefined;
  const stream = new Readable({
    highWaterMark: CHUNK,
    read() {
      if (produced >= size) {
        digest = hash.digest('hex');
        this.push(null);
        return;
      }
      const c = randomBytes(Math.min(CHUNK, size - produced));
      produced += c.length;
      hash.update(c);
      if (kept < keep) {
        const part = c.subarray(0, Math.min(c.length, keep - kept));
        head.push(Buffer.from(part));
        kept += part.length;
      }
      this.push(c);
    },
  });
  return {
    stream,
    sha256: () => {
      assert.ok(digest, 'source not fully read');
      return digest;
    },
    head: () => Buffer.concat(head),
  };
}

/** Consumes a stream, returning its size and sha256 (nothing kept). */
function drain(stream: Readable): Promise<{ size: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      hash.update(c);
    });
    stream.on('end', () => resolve({ size, sha256: hash.digest('hex') }));
    stream.on('error', reject);
  });
}

test('a 100 MB upload streams through intact, RSS stays bounded, the store keeps a 1 MiB prefix and the full hash', { timeout: 180_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await listen(t, http.createServer((req, res) => {
    void drain(req).then((r) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r));
    });
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  const pid = proxy.proc.pid!;
  const baseline = rssBytes(pid)!;
  assert.ok(baseline > 0);

  const source = randomSource(SIZE, MiB);
  const rss = sampleRss(pid);
  const reply = await new Promise<{ size: number; sha256: string }>((resolve, reject) => {
    const req = http.request(`${proxy.url}/upload`, {
      method: 'PUT',
      agent: false,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) },
    }, (res) => {
      assert.equal(res.statusCode, 200);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as { size: number; sha256: string }));
      res.on('error', reject);
    });
    req.on('error', reject);
    source.stream.pipe(req);
  });
  const peak = rss.stop();
  t.diagnostic(`proxy RSS ${(baseline / MiB).toFixed(1)} MB → peak ${(peak / MiB).toFixed(1)} MB`);

  assert.equal(reply.size, SIZE);
  assert.equal(reply.sha256, source.sha256());
  assert.ok(peak - baseline < MAX_RSS_GROWTH, `proxy RSS grew by ${((peak - baseline) / MiB).toFixed(1)} MB (baseline ${(baseline / MiB).toFixed(1)} MB)`);

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const [summary] = store.exchanges();
  assert.ok(summary, 'the upload was stored');
  const ex = store.exchange(summary.id)!;
  assert.equal(ex.method, 'PUT');
  assert.equal(ex.path, '/upload');
  assert.equal(ex.status, 200);
  assert.equal(ex.error, null);
  assert.ok(ex.requestBody);
  assert.equal(ex.requestBody.size, SIZE);
  assert.equal(ex.requestBody.truncated, true);
  assert.equal(ex.requestBody.data.length, MiB);
  assert.ok(Buffer.from(ex.requestBody.data).equals(source.head()), 'stored prefix is the first 1 MiB sent');
  const [row] = await queryStore(db, 'SELECT request_body_hash, request_body_size, request_body_truncated FROM exchanges WHERE id = ?', [summary.id]);
  assert.deepEqual(row, { request_body_hash: source.sha256(), request_body_size: SIZE, request_body_truncated: 1 });
  // The response (small JSON) is whole.
  assert.equal(ex.responseBody?.truncated, false);
  assert.equal(JSON.parse(Buffer.from(ex.responseBody!.data).toString()).sha256, source.sha256());
});

test('a 100 MB download streams through intact, RSS stays bounded, the store keeps a --body-cap prefix and the full hash', { timeout: 180_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const cap = 256 * 1024;
  let source: ReturnType<typeof randomSource> | undefined;
  const backend = await listen(t, http.createServer((req, res) => {
    source = randomSource(SIZE, cap);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) });
    source.stream.pipe(res);
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--body-cap', '256KiB']);
  const pid = proxy.proc.pid!;
  const baseline = rssBytes(pid)!;

  const rss = sampleRss(pid);
  const got = await new Promise<{ size: number; sha256: string; status: number }>((resolve, reject) => {
    const req = http.get(`${proxy.url}/download`, { agent: false }, (res) => {
      drain(res).then((r) => resolve({ ...r, status: res.statusCode ?? 0 }), reject);
    });
    req.on('error', reject);
  });
  const peak = rss.stop();
  t.diagnostic(`proxy RSS ${(baseline / MiB).toFixed(1)} MB → peak ${(peak / MiB).toFixed(1)} MB`);

  assert.equal(got.status, 200);
  assert.equal(got.size, SIZE);
  assert.ok(source);
  assert.equal(got.sha256, source.sha256());
  assert.ok(peak - baseline < MAX_RSS_GROWTH, `proxy RSS grew by ${((peak - baseline) / MiB).toFixed(1)} MB (baseline ${(baseline / MiB).toFixed(1)} MB)`);

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const [summary] = store.exchanges();
  assert.ok(summary, 'the download was stored');
  const ex = store.exchange(summary.id)!;
  assert.equal(ex.method, 'GET');
  assert.equal(ex.status, 200);
  assert.equal(ex.error, null);
  assert.equal(ex.requestBody, null);
  assert.ok(ex.responseBody);
  assert.equal(ex.responseBody.size, SIZE);
  assert.equal(ex.responseBody.truncated, true);
  assert.equal(ex.responseBody.data.length, cap);
  assert.ok(Buffer.from(ex.responseBody.data).equals(source.head()), 'stored prefix is the first 256 KiB received');
  const [row] = await queryStore(db, 'SELECT response_body_hash, response_body_size, response_body_truncated FROM exchanges WHERE id = ?', [summary.id]);
  assert.deepEqual(row, { response_body_hash: source.sha256(), response_body_size: SIZE, response_body_truncated: 1 });
  assert.ok(ex.durationMs! >= ex.ttfbMs!);
});
