/**
 * The proxy's lean upstream pool (src/core/capture/upstreamPool.ts) on real sockets: what one response leaves on a
 * kept connection must not reach the next request on it.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { test, type TestContext } from 'node:test';
import { loadParser, poolKey, UpstreamPool, type UpstreamConnection } from '../../src/core/capture/upstreamPool';
import { listenCounting } from '../helpers';

interface Reply {
  status: number;
  headers: string[];
  body: string;
}

async function backend(t: TestContext): Promise<{ port: number; counter: { connections: number } }> {
  const counter = { connections: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === '/trailer') {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-t' });
      res.write('with ');
      res.addTrailers({ 'x-t': '1' });
      res.end('trailer');
      return;
    }
    res.end('plain');
  });
  const port = await listenCounting(t, server, 'connection', counter);
  return { port, counter };
}

function get(pool: UpstreamPool, port: number, path: string): { conn: UpstreamConnection; reply: Promise<Reply> } {
  let conn!: UpstreamConnection;
  const reply = new Promise<Reply>((resolve, reject) => {
    let status = 0;
    let headers: string[] = [];
    const body: Buffer[] = [];
    conn = pool.request(poolKey('127.0.0.1', port, false), '127.0.0.1', port, null, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, false, false, 5_000, {
      onResponse: (s, _m, h) => ((status = s), (headers = h)),
      onBody: (chunk) => body.push(Buffer.from(chunk)),
      onEnd: () => resolve({ status, headers, body: Buffer.concat(body).toString() }),
      onError: reject,
    });
  });
  return { conn, reply };
}

function newPool(t: TestContext): UpstreamPool {
  const parser = loadParser();
  assert.ok(parser, "Node's HTTP parser binding loads");
  const pool = new UpstreamPool(parser);
  t.after(() => pool.destroy());
  return pool;
}

test("a chunked response's trailers do not become the next response's headers on the kept connection", async (t) => {
  const { port, counter } = await backend(t);
  const pool = newPool(t);
  const first = await get(pool, port, '/trailer').reply;
  assert.equal(first.body, 'with trailer');
  const second = await get(pool, port, '/plain').reply;
  assert.equal(counter.connections, 1, 'both went over one kept connection');
  assert.equal(second.body, 'plain');
  const names = second.headers.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  assert.ok(!names.includes('x-t'), `the second response's headers: ${names.join(', ')}`);
});

test('an idle connection destroyed before its close event is not handed to the next request', async (t) => {
  const { port, counter } = await backend(t);
  const pool = newPool(t);
  const first = get(pool, port, '/plain');
  assert.equal((await first.reply).status, 200);
  // Destroyed but still listed as idle until 'close' fires (as after stray bytes from the upstream, or its timer).
  first.conn.socket.destroy();
  const second = await get(pool, port, '/plain').reply;
  assert.equal(second.status, 200);
  assert.equal(second.body, 'plain');
  assert.equal(counter.connections, 2, 'the second request opened a connection of its own');
});
