/**
 * The Kafka parser on the frames kafkajs really sends, through the loopback relay to a minimal broker the test
 * starts (test/helpers/kafkaBroker.ts: no Kafka broker is installable here). The fetch goes through kafkajs's own
 * cluster and broker objects, since a consumer group would need a group coordinator the minimal broker lacks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { definition } from '../../../src/core/protocols/kafka';
import type { WireCall } from '../../../src/core/protocols/types';
import { startKafkaBroker } from '../../helpers/kafkaBroker';
import { startWireRelay } from '../../helpers/wireRelay';
import { recording, replay, type Chunk } from '../../helpers/wireRecording';

type Row = Record<string, unknown>;

/** kafkajs's Cluster, which Kafka keeps behind a private symbol: it gives us a broker to fetch from directly. */
function createCluster(kafka: Kafka): { connect(): Promise<void>; disconnect(): Promise<void>; addTargetTopic(t: string): Promise<void>; findBroker(q: { nodeId: string }): Promise<{ fetch(o: unknown): Promise<{ responses: unknown[] }> }> } {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  assert.ok(symbol, 'kafkajs no longer has its createCluster symbol');
  return (kafka as unknown as Record<symbol, (o: object) => ReturnType<typeof createCluster>>)[symbol]({});
}

const withoutTimes = (calls: WireCall[]): unknown[] => calls.map(({ startedAt: _s, ttfbMs: _t, durationMs: _d, ...rest }) => rest);

let session: Chunk[][] = [];

test('kafkajs produce and fetch through the relay: ApiVersions, Metadata, Produce with counts and keys, Fetch', async (t) => {
  const broker = await startKafkaBroker(t, { partitions: 2 });
  const rec = recording(definition);
  const relay = await startWireRelay(t, rec.definition, { port: broker.port });
  broker.advertise(relay.port);
  const kafka = new Kafka({ clientId: 'chaos-test', brokers: [`127.0.0.1:${relay.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({
    topic: 'orders',
    messages: [
      { key: 'k-a', value: 'one', partition: 0 },
      { key: 'k-b', value: 'two', partition: 0 },
      { key: 'k-c', value: 'three', partition: 1 },
    ],
  });
  await producer.send({ topic: 'orders', acks: 0, messages: [{ key: 'fire', value: 'and forget', partition: 1 }] });

  const cluster = createCluster(kafka);
  await cluster.connect();
  await cluster.addTargetTopic('orders');
  const leader = await cluster.findBroker({ nodeId: '0' });
  const fetched = await leader.fetch({
    replicaId: -1,
    maxWaitTime: 10,
    topics: [{ topic: 'orders', partitions: [0, 1].map((partition) => ({ partition, fetchOffset: '0', maxBytes: 1 << 20 })) }],
  });
  assert.equal(fetched.responses.length, 1, 'kafkajs read the fetch response');
  await producer.disconnect();
  await cluster.disconnect();

  const calls = await relay.waitForCalls(1);
  const deadline = Date.now() + 5_000;
  while (!calls.some((c) => c.method === 'Fetch') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(relay.failures, []);

  const apiVersions = calls.find((c) => c.method === 'ApiVersions');
  assert.ok(apiVersions, 'ApiVersions recorded');
  assert.equal(apiVersions.error, null);
  assert.ok(((apiVersions.response as Row).apis as string[]).includes('Produce 0-7'));

  const metadata = calls.find((c) => c.method === 'Metadata' && c.statement.includes('orders'));
  assert.ok(metadata, `Metadata for orders recorded: ${calls.map((c) => c.statement).join(' | ')}`);
  assert.equal(metadata.statement, 'Metadata orders');
  const meta = metadata.response as { brokers: Row[]; topics: Row[] };
  assert.deepEqual(meta.brokers, [{ nodeId: 0, host: '127.0.0.1', port: relay.port }]);
  assert.equal(meta.topics[0].topic, 'orders');
  assert.equal(meta.topics[0].partitions, 2);

  const produces = calls.filter((c) => c.method === 'Produce');
  assert.equal(produces.length, 2, 'both sends recorded, the acks=0 one without a response');
  const [acked, fireAndForget] = produces;
  assert.equal(acked.statement, 'Produce orders[0,1]');
  const req = acked.request as { acks: number; records: number; topics: { topic: string; partitions: Row[] }[] };
  assert.equal(req.acks, -1);
  assert.equal(req.records, 3);
  const byPartition = Object.fromEntries(req.topics[0].partitions.map((p) => [p.partition, p]));
  assert.equal(byPartition[0].records, 2);
  assert.deepEqual(byPartition[0].keys, ['k-a', 'k-b']);
  assert.equal(byPartition[1].records, 1);
  assert.deepEqual(byPartition[1].keys, ['k-c']);
  assert.equal(acked.error, null);
  assert.ok(acked.durationMs !== null && acked.ttfbMs !== null && acked.ttfbMs <= acked.durationMs);
  const baseOffsets = (acked.response as { topics: { partitions: Row[] }[] }).topics[0].partitions.map((p) => p.baseOffset);
  assert.deepEqual(baseOffsets.sort(), [0, 0]);
  assert.equal((fireAndForget.request as Row).acks, 0);
  assert.deepEqual((fireAndForget.request as { topics: { partitions: Row[] }[] }).topics[0].partitions[0].keys, ['fire']);
  assert.deepEqual(fireAndForget.response, { noResponse: 'acks=0' });

  const fetch = calls.find((c) => c.method === 'Fetch');
  assert.ok(fetch, 'Fetch recorded');
  assert.match(fetch.statement, /^Fetch orders\[[01],[01]\]$/);
  const res = fetch.response as { records: number; topics: { partitions: Row[] }[] };
  assert.equal(res.records, 4, 'the 3 acked records and the acks=0 one come back');
  const fetchedBy = Object.fromEntries(res.topics[0].partitions.map((p) => [p.partition, p]));
  assert.deepEqual([fetchedBy[0].records, fetchedBy[0].highWatermark, fetchedBy[0].errorCode], [2, 2, 0]);
  assert.deepEqual([fetchedBy[1].records, fetchedBy[1].highWatermark], [2, 2]);
  assert.equal(fetch.error, null);
  session = rec.sessions;
});

test('a fetch of a topic the broker does not know carries its partition error', async (t) => {
  const broker = await startKafkaBroker(t);
  const relay = await startWireRelay(t, definition, { port: broker.port });
  broker.advertise(relay.port);
  const kafka = new Kafka({ clientId: 'chaos-test', brokers: [`127.0.0.1:${relay.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const cluster = createCluster(kafka);
  await cluster.connect();
  await cluster.addTargetTopic('orders');
  const leader = await cluster.findBroker({ nodeId: '0' });
  await leader.fetch({ replicaId: -1, maxWaitTime: 10, topics: [{ topic: 'ghost', partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 1024 }] }] }).catch(() => undefined);
  await cluster.disconnect();
  const deadline = Date.now() + 5_000;
  while (!relay.calls.some((c) => c.method === 'Fetch') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const fetch = relay.calls.find((c) => c.method === 'Fetch');
  assert.ok(fetch);
  assert.equal(fetch.error, 'error 3 UNKNOWN_TOPIC_OR_PARTITION on ghost[0]');
});

test('fuzz: the recorded kafkajs session split, truncated and corrupted', { timeout: 20_000 }, () => {
  assert.ok(session.length >= 2, 'the first test recorded the sessions');
  const expected = session.map((s) => withoutTimes(replay(definition, s).calls));
  assert.ok(expected.flat().length >= 5);
  const sessionIndex = fc.integer({ min: 0, max: session.length - 1 });
  fc.assert(
    fc.property(sessionIndex, fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }), (i, cuts) => {
      assert.deepEqual(withoutTimes(replay(definition, session[i], { cuts }).calls), expected[i]);
    }),
    { numRuns: 60 },
  );
  fc.assert(
    fc.property(sessionIndex, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), (i, cutAt, flips, cuts) => {
      const chunks = session[i].map((c) => ({ side: c.side, bytes: Buffer.from(c.bytes) }));
      const total = chunks.reduce((n, c) => n + c.bytes.length, 0);
      for (const [at, value] of flips) {
        let k = at % total;
        const c = chunks.find((x) => (k < x.bytes.length ? true : ((k -= x.bytes.length), false)));
        if (c) c.bytes[k] = value;
      }
      let keep = cutAt % (total + 1);
      const truncated = chunks.map((c) => {
        const take = Math.min(keep, c.bytes.length);
        keep -= take;
        return { side: c.side, bytes: c.bytes.subarray(0, take) };
      });
      const { parser } = replay(definition, truncated, { cuts });
      assert.ok((parser as unknown as { bufferedBytes: number }).bufferedBytes <= 2 * 1024 * 1024);
    }),
    { numRuns: 200 },
  );
});
