/**
 * A wire capture never drops calls because the store is behind: with a store that may hold only 8,000 records (32,000 for wire calls) in
 * flight, a pipeline of 60,000 Redis commands (real redis-server, real ioredis) is held back at the client and every
 * command is recorded; nothing is counted as dropped.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import Redis from 'ioredis';
import { WireCapture } from '../../src/core/protocols/wireCapture';
import { definition } from '../../src/core/protocols/redis/index';
import { StoreWriter } from '../../src/core/store/writer';
import { queryStore, tmpDir } from '../helpers';
import { startRedisServer } from '../helpers/redisServer';

test('a store that falls behind holds the client back instead of dropping its calls', { timeout: 60_000 }, async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const file = path.join(tmpDir(t), 'traffic.db');
  const writer = await StoreWriter.open(file, { maxPendingRecords: 8_000 });
  await writer.startSession({ kind: 'reverse', target: `127.0.0.1:${redis.port}`, listen: '127.0.0.1:0', startedAt: Date.now() });
  let seq = 0;
  const capture = new WireCapture(definition, { name: 'cache', listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: redis.port }, nextSeq: () => ++seq }, writer);
  const { port } = await capture.listen();
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: true });
  await client.connect();
  const pipeline = client.pipeline();
  for (let i = 0; i < 60_000; i++) pipeline.set(`k:${i}`, String(i));
  const replies = await pipeline.exec();
  assert.equal(replies?.length, 60_000);
  assert.ok(replies!.every(([err, v]) => err === null && v === 'OK'));
  client.disconnect();
  await capture.close();
  await writer.close();
  assert.equal(writer.stats.dropped, 0);
  const [{ n }] = await queryStore(file, "SELECT count(*) AS n FROM exchanges WHERE protocol = 'redis' AND method = 'SET'");
  assert.equal(n, 60_000);
});
