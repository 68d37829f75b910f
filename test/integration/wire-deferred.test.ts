/**
 * Wire decoding deferred to the store worker (src/core/protocols/deferredDecoder.ts), against a real redis-server:
 * every pipelined command is stored in order when the capture stops, and the worker yields the CPU (nice 19) only
 * in a capture of wire protocols alone; with an HTTP listener beside it, it keeps its priority.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import test from 'node:test';
import { CaptureRun } from '../../src/core/capture/captureRun';
import { queryStore, startSampleBackend, tmpDir } from '../helpers';
import { startRedisServer } from '../helpers/redisServer';

/** Thread ids of this process and their nice values (Linux). */
function threadNice(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, nice field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

/** Sends `count` SET commands in one write (a pipeline) and resolves once every reply is in. */
function pipelineSets(port: number, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let replies = 0;
    socket.on('data', (c: Buffer) => {
      for (const b of c) if (b === 0x0a) replies++;
      if (replies >= count) {
        socket.end();
        resolve();
      }
    });
    socket.on('error', reject);
    const commands: string[] = [];
    for (let i = 0; i < count; i++) commands.push(`*3\r\n$3\r\nSET\r\n$${`k${i}`.length}\r\nk${i}\r\n$${String(i).length}\r\n${i}\r\n`);
    socket.write(commands.join(''));
  });
}

test('a wire-only capture decodes in a low-priority store worker and stores every pipelined command in order', { skip: process.platform !== 'linux' && 'thread priorities are read from /proc (Linux)' }, async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const dir = tmpDir(t, 'chaos-deferred-');
  const before = threadNice();
  const run = await CaptureRun.start({ output: path.join(dir, 'traffic.db'), listeners: [{ name: 'cache', protocol: 'redis', host: '127.0.0.1', port: 0, target: `127.0.0.1:${redis.port}` }] });
  let stopped = false;
  t.after(async () => void (stopped || (await run.stop())));
  const niced = [...threadNice()].filter(([tid, nice]) => !before.has(tid) && nice === 19);
  assert.equal(niced.length, 1, 'one new thread (the store worker) runs at nice 19');

  const port = Number(run.listeners[0].listen.split(':').pop());
  await pipelineSets(port, 5000);
  await pipelineSets(port, 3);
  const summary = await run.stop();
  stopped = true;
  assert.equal(summary.stored, 5003);
  const rows = (await queryStore(path.join(dir, 'traffic.db'), "SELECT url, connection_id FROM exchanges WHERE protocol = 'redis' ORDER BY seq")) as Array<{ url: string; connection_id: number }>;
  assert.equal(rows.length, 5003, 'every command is a row');
  assert.deepEqual(rows.slice(0, 3).map((r) => r.url), ['SET k0 0', 'SET k1 1', 'SET k2 2']);
  assert.equal(rows[4999].url, 'SET k4999 4999', 'in the order sent');
  assert.deepEqual(rows.slice(5000).map((r) => r.url), ['SET k0 0', 'SET k1 1', 'SET k2 2']);
  assert.notEqual(rows[0].connection_id, rows[5000].connection_id, 'each connection keeps its id');
});

test('with an HTTP listener beside a wire one, the store worker keeps its priority', { skip: process.platform !== 'linux' && 'thread priorities are read from /proc (Linux)' }, async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const backend = await startSampleBackend(t);
  const dir = tmpDir(t, 'chaos-deferred-');
  const before = threadNice();
  const run = await CaptureRun.start({
    output: path.join(dir, 'traffic.db'),
    listeners: [
      { name: 'cache', protocol: 'redis', host: '127.0.0.1', port: 0, target: `127.0.0.1:${redis.port}` },
      { name: 'http', protocol: 'http', host: '127.0.0.1', port: 0, target: backend.url },
    ],
  });
  const fresh = [...threadNice()].filter(([tid]) => !before.has(tid));
  await run.stop();
  assert.ok(fresh.length > 0, 'the store worker started');
  assert.deepEqual(fresh.filter(([, nice]) => nice !== 0), [], 'no thread of the capture was reniced');
});
