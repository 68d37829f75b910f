/**
 * Clients that give up halfway: mid-upload and mid-download. The proxy keeps serving others, stores the aborted
 * exchange with an error, and frees the upstream side (the backend sees its connection close; none are left).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { TrafficDb } from '../../src/core/store/database';
import { listen, request, startObserve, tmpDir, trackConnections, waitFor } from '../helpers';

interface BackendRequest {
  url: string;
  received: number;
  sent: number;
  /** The backend's socket for this request closed. */
  socketClosed: boolean;
  finished: boolean;
}

const ROUNDS = 5;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

test('clients aborting mid-upload and mid-download: others are served, the exchange is stored with an error, no upstream socket leaks', { timeout: 90_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const requests: BackendRequest[] = [];
  const server = http.createServer((req, res) => {
    const r: BackendRequest = { url: req.url ?? '', received: 0, sent: 0, socketClosed: false, finished: false };
    requests.push(r);
    req.socket.once('close', () => (r.socketClosed = true));
    req.on('data', (c: Buffer) => (r.received += c.length));
    if (req.url?.startsWith('/download')) {
      // Streams for at most 10 s (or until the connection goes), respecting back-pressure.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const t0 = Date.now();
      const timer = setInterval(() => {
        if (Date.now() - t0 > 10_000) {
          clearInterval(timer);
          res.end();
          return;
        }
        if (res.writableLength < 1024 * 1024) {
          res.write(CHUNK);
          r.sent += CHUNK.length;
        }
      }, 5);
      res.once('close', () => clearInterval(timer));
      res.once('finish', () => (r.finished = true));
      return;
    }
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`ok ${req.url} ${r.received}`);
      r.finished = true;
    });
  });
  // Idle upstream connections close after 1 s, so any connection still open later is a leak.
  server.keepAliveTimeout = 1_000;
  const conns = trackConnections(server);
  const backend = await listen(t, server);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);

  for (let round = 0; round < ROUNDS; round++) {
    // Mid-upload: announce 4 MiB, send 256 KiB, wait until the backend has it, then drop the connection.
    const upUrl = `/upload/${round}`;
    const client = net.connect(proxy.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    client.write(`POST ${upUrl} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n`);
    for (let i = 0; i < 4; i++) client.write(CHUNK);
    const up = (await waitFor(() => requests.find((r) => r.url === upUrl && r.received >= 4 * CHUNK.length), 10_000, 'the upload to reach the backend'))!;
    client.destroy();
    await waitFor(() => up.socketClosed, 5_000, `the backend connection of ${upUrl} to close`);
    assert.equal(up.finished, false);

    // The proxy still serves, in the middle of it all.
    const ok = await request(`${proxy.url}/ok/${round}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'still here' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), `ok /ok/${round} 10`);

    // Mid-download: read a little of an endless stream, then drop it.
    const downUrl = `/download/${round}`;
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${proxy.url}${downUrl}`, { agent: false }, (res) => {
        assert.equal(res.statusCode, 200);
        let got = 0;
        res.on('data', (c: Buffer) => {
          got += c.length;
          if (got >= 256 * 1024) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => undefined);
      });
      req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    });
    const down = requests.find((r) => r.url === downUrl)!;
    await waitFor(() => down.socketClosed, 5_000, `the backend connection of ${downUrl} to close`);
    const sentAtClose = down.sent;
    assert.ok(sentAtClose < 64 * 1024 * 1024, `the backend streamed ${sentAtClose} bytes into a dead client`);
    assert.equal(down.finished, false);

    assert.equal((await request(`${proxy.url}/ok-again/${round}`)).status, 200);
  }

  // No upstream socket leaks: every backend connection closes (idle ones after the backend's 1 s keep-alive).
  await waitFor(() => conns.open() === 0, 10_000, 'all backend connections to close').catch(() => {
    const open = requests.filter((r) => !r.socketClosed).map((r) => r.url);
    throw new Error(`${conns.open()} backend connections still open; requests whose socket is open: ${open.join(', ')}`);
  });

  assert.equal(await proxy.stop(), 0);
  const store = await TrafficDb.open(db);
  t.after(() => store.close());
  const all = store.exchanges();
  const uploads = all.filter((e) => e.path?.startsWith('/upload/'));
  const downloads = all.filter((e) => e.path?.startsWith('/download/'));
  const oks = all.filter((e) => e.path?.startsWith('/ok'));
  assert.equal(uploads.length, ROUNDS);
  assert.equal(downloads.length, ROUNDS);
  assert.equal(oks.length, 2 * ROUNDS);
  for (const e of [...uploads, ...downloads]) {
    assert.ok(e.error, `${e.path} is stored with an error`);
    assert.match(e.error!, /client/i);
  }
  for (const e of downloads) assert.equal(e.status, 200, 'the download had started: its status was seen');
  for (const e of oks) {
    assert.equal(e.status, 200);
    assert.equal(e.error, null);
  }
  const upload = store.exchange(uploads[0].id)!;
  assert.ok(upload.requestBody && upload.requestBody.size >= 4 * CHUNK.length, 'the part of the upload that passed is counted');
  const download = store.exchange(downloads[0].id)!;
  assert.ok(download.responseBody && download.responseBody.size >= 256 * 1024, 'the part of the download that passed is counted');
});
