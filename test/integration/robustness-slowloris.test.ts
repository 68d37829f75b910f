/**
 * Slowloris: with --header-timeout 1000, clients that dribble their headers (or send nothing) are cut off within
 * a few seconds, never reach the backend, and honest clients are served the whole time.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { listen, request, startObserve, tmpDir } from '../helpers';

interface SlowResult {
  /** What the proxy sent back (408 or nothing). */
  reply: string;
  /** ms from connecting until the proxy closed the connection, or null if it never did. */
  cutAfterMs: number | null;
  bytesSent: number;
}

/** Connects and sends the request line, then one header byte every `everyMs`, for at most `maxMs`. */
function slowClient(port: number, everyMs: number, maxMs: number, silent = false): Promise<SlowResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const t0 = Date.now();
    let reply = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(limit);
      socket.destroy();
      resolve({ reply, cutAfterMs: closed ? Date.now() - t0 : null, bytesSent: sent });
    };
    const limit = setTimeout(() => finish(false), maxMs);
    socket.on('data', (c: Buffer) => (reply += c.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      if (silent) return;
      const start = 'GET /slow HTTP/1.1\r\nHost: x\r\n';
      socket.write(start);
      sent += start.length;
      const header = 'X-Padding: ' + 'a'.repeat(200);
      let i = 0;
      timer = setInterval(() => {
        if (socket.destroyed || i >= header.length) return;
        socket.write(header[i++]);
        sent++;
      }, everyMs);
    });
  });
}

test('--header-timeout cuts off slow-header clients within seconds while others are served', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const seen: string[] = [];
  const backend = await listen(t, http.createServer((req, res) => {
    seen.push(req.url ?? '');
    res.end('fast');
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--header-timeout', '1000']);

  // Twenty dribbling clients and five silent ones, each allowed to go on for at most 10 s.
  const slow = [
    ...Array.from({ length: 20 }, () => slowClient(proxy.port, 100, 10_000)),
    ...Array.from({ length: 5 }, () => slowClient(proxy.port, 100, 10_000, true)),
  ];

  // Meanwhile honest clients keep getting answers (bounded: at most 40 requests, 100 ms apart).
  const served: number[] = [];
  const honest = (async () => {
    for (let i = 0; i < 40; i++) {
      const t0 = Date.now();
      const r = await request(`${proxy.url}/fast/${i}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'fast');
      served.push(Date.now() - t0);
      await new Promise((res) => setTimeout(res, 100));
    }
  })();

  const results = await Promise.all(slow);
  await honest;
  for (const [i, r] of results.entries()) {
    assert.notEqual(r.cutAfterMs, null, `slow client ${i} was never cut off (sent ${r.bytesSent} bytes)`);
    assert.ok(r.cutAfterMs! <= 4_000, `slow client ${i} was cut off only after ${r.cutAfterMs} ms`);
    assert.ok(r.reply === '' || /^HTTP\/1\.1 408 /.test(r.reply), `slow client ${i} got ${JSON.stringify(r.reply)}`);
  }
  // The dribblers were answered 408 (they had started a request).
  assert.ok(results.slice(0, 20).every((r) => /^HTTP\/1\.1 408 /.test(r.reply)), results.map((r) => r.reply.split('\r\n')[0]).join(', '));
  assert.equal(served.length, 40);
  assert.ok(Math.max(...served) < 3_000, `an honest request waited ${Math.max(...served)} ms`);
  assert.deepEqual(seen.filter((u) => u === '/slow'), [], 'a slow request reached the backend');
  assert.equal(seen.length, 40);
  assert.equal(await proxy.stop(), 0);
});
