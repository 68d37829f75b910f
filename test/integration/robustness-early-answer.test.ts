/**
 * An upstream that answers an upload before reading all of it (a 413 after 2 MiB of a 5 MiB body) while the client
 * keeps sending: the client gets the answer, the body bytes that keep coming after the exchange is recorded are not
 * watched any more (they once crashed the proxy: the body's hash was already final), and the proxy keeps serving.
 * Reverse (through the fast lane, which hands such a body to http.Server) and forward mode.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { listenCounting, rawHttp, startObserve, tmpDir } from '../helpers';

const TOTAL = 5 * 1024 * 1024;
const PIECE = 256 * 1024;

/** Reads 2 MiB of the request, answers 413 and closes, never reading the rest. */
async function earlyAnswerer(t: TestContext): Promise<number> {
  const server = net.createServer((s) => {
    let n = 0;
    let answered = false;
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      n += d.length;
      if (d.includes('GET /ok')) {
        s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
        return;
      }
      if (!answered && n >= 2 * 1024 * 1024) {
        answered = true;
        s.end('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\nConnection: close\r\n\r\ntoo big!');
      }
    });
  });
  return listenCounting(t, server, 'connection', { connections: 0 });
}

/**
 * Sends the 5 MiB upload in paced pieces; resolves with what came back once the answer is in and the whole upload
 * was written (the proxy has then read body bytes after recording the exchange), or the proxy closed, or 10 s passed.
 */
function pacedUpload(port: number, target: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    let sent = 0;
    s.write(`POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${TOTAL}\r\n\r\n`);
    const pace = setInterval(() => {
      if (sent >= TOTAL && out.includes('too big!')) return done();
      if (sent >= TOTAL || s.destroyed) return;
      s.write(Buffer.alloc(PIECE, 0x78));
      sent += PIECE;
    }, 20);
    const done = (): void => {
      clearInterval(pace);
      clearTimeout(limit);
      s.destroy();
      resolve(out);
    };
    const limit = setTimeout(done, 10_000);
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', done);
  });
}

for (const mode of ['reverse', 'forward'] as const) {
  test(`${mode}: an upload the upstream answers early gets the answer, and the proxy keeps serving`, { timeout: 60_000 }, async (t) => {
    const upstream = await earlyAnswerer(t);
    const origin = `http://127.0.0.1:${upstream}`;
    const db = path.join(tmpDir(t), 'traffic.db');
    const proxy = await startObserve(t, mode === 'reverse' ? ['--target', origin, '--output', db] : ['--mode', 'forward', '--output', db]);
    const prefix = mode === 'reverse' ? '' : origin;
    const reply = await pacedUpload(proxy.port, `${prefix}/up`);
    assert.match(reply, /^HTTP\/1\.1 413 /);
    await new Promise((r) => setTimeout(r, 300)); // the rest of the upload has arrived, or been refused, by now
    assert.equal(proxy.proc.exitCode, null, `the proxy is still running: ${proxy.stderr()}`);
    const after = await rawHttp(proxy.port, `GET ${prefix}/ok HTTP/1.1\r\nHost: 127.0.0.1:${upstream}\r\nConnection: close\r\n\r\n`);
    assert.match(after.text, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(proxy.stderr(), /ERR_|Error:/);
  });
}
