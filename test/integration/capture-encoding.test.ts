/**
 * Compressed responses (gzip, deflate, br): the client gets the compressed bytes exactly as the server sent
 * them; the store holds the decoded body, with the wire size and the hash of the wire bytes.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { listen, openStore, queryStore, request, startObserve, tmpDir } from '../helpers';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const PLAIN = JSON.stringify({
  items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item number ${i}`, tags: ['alpha', 'beta', 'gamma'] })),
});

const ENCODINGS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  br: (b) => zlib.brotliCompressSync(b),
};

test('gzip, deflate and br responses reach the client unchanged and are stored decoded', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const wire: Record<string, Buffer> = {};
  for (const [enc, compress] of Object.entries(ENCODINGS)) wire[enc] = compress(Buffer.from(PLAIN));
  // Raw deflate (no zlib wrapper), as some servers send it.
  wire['deflate-raw'] = zlib.deflateRawSync(Buffer.from(PLAIN));
  const backend = await listen(t, http.createServer((req, res) => {
    const enc = req.url!.slice(1);
    const body = wire[enc];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': enc === 'deflate-raw' ? 'deflate' : enc, 'content-length': String(body.length) });
    res.end(body);
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);

  const names = Object.keys(wire);
  for (const enc of names) {
    const r = await request(`${proxy.url}/${enc}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], enc === 'deflate-raw' ? 'deflate' : enc);
    assert.ok(r.body.equals(wire[enc]), `${enc}: the client got the compressed bytes as sent`);
  }

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const rows = store.exchanges();
  assert.deepEqual(rows.map((r) => r.path), names.map((n) => `/${n}`));
  for (const [i, enc] of names.entries()) {
    const ex = store.exchange(rows[i].id)!;
    assert.ok(ex.responseBody, `${enc}: body stored`);
    assert.equal(Buffer.from(ex.responseBody.data).toString(), PLAIN, `${enc}: stored decoded`);
    assert.equal(ex.responseBody.size, wire[enc].length, `${enc}: size is the wire size`);
    assert.equal(ex.responseBody.truncated, false);
    assert.equal(ex.responseBody.contentType, 'application/json');
    const [row] = await queryStore(db, 'SELECT response_body_hash FROM exchanges WHERE id = ?', [rows[i].id]);
    assert.equal(row.response_body_hash, sha256(wire[enc]), `${enc}: keyed by the hash of the wire bytes`);
  }
});

for (const enc of Object.keys(ENCODINGS)) {
  test(`a ${enc} response larger than --body-cap is stored as a decoded prefix with the full wire hash`, { timeout: 60_000 }, async (t) => {
    const dir = tmpDir(t);
    const db = path.join(dir, 'traffic.db');
    // Hex text: compresses about 2:1, so the compressed body is far over the 4 KiB cap.
    const plain = Buffer.from(randomBytes(40_000).toString('hex'));
    const packed = ENCODINGS[enc](plain);
    assert.ok(packed.length > 16 * 1024);
    const backend = await listen(t, http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': enc });
      res.end(packed);
    }));
    const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--body-cap', '4KiB']);
    const r = await request(`${proxy.url}/big.txt`);
    assert.ok(r.body.equals(packed));
    assert.equal(await proxy.stop(), 0);

    const store = await openStore(t, db);
    const ex = store.exchange(store.exchanges()[0].id)!;
    const body = ex.responseBody!;
    assert.equal(body.size, packed.length);
    assert.equal(body.truncated, true);
    const stored = Buffer.from(body.data);
    // 4 KiB of compressed bytes decode to more than 4 KiB of text, all of it a true prefix of the plain body.
    assert.ok(stored.length > 4096, `decoded prefix is ${stored.length} bytes`);
    assert.ok(stored.equals(plain.subarray(0, stored.length)), 'the stored text is a prefix of the plain body');
    const [row] = await queryStore(db, 'SELECT response_body_hash, response_body_truncated FROM exchanges WHERE id = ?', [ex.id]);
    assert.deepEqual(row, { response_body_hash: sha256(packed), response_body_truncated: 1 });
  });
}

test('a gzip request body is forwarded as sent and stored decoded', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const gz = zlib.gzipSync(Buffer.from(PLAIN));
  let received: Buffer | undefined;
  const backend = await listen(t, http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received = Buffer.concat(chunks);
      res.end('ok');
    });
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  const r = await request(`${proxy.url}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gz });
  assert.equal(r.status, 200);
  assert.ok(received?.equals(gz), 'the server got the gzip bytes');
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const ex = store.exchange(store.exchanges()[0].id)!;
  assert.equal(Buffer.from(ex.requestBody!.data).toString(), PLAIN);
  assert.equal(ex.requestBody!.size, gz.length);
});

test('a body that claims an encoding it does not have is stored as the wire bytes', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const bogus = Buffer.from('this is not gzip at all');
  const backend = await listen(t, http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    res.end(bogus);
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  const r = await request(`${proxy.url}/lie`);
  assert.ok(r.body.equals(bogus));
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const ex = store.exchange(store.exchanges()[0].id)!;
  assert.ok(Buffer.from(ex.responseBody!.data).equals(bogus));
  assert.equal(ex.error, null);
});
