/**
 * A minimal Kafka broker on 127.0.0.1, because no Kafka broker is installable here: enough of the protocol for
 * kafkajs's producer.send and one fetch. It answers ApiVersions (v0-2), Metadata (v6: itself as the only broker,
 * every topic asked for with `partitions` partitions), Produce (v7: keeps the record batches, assigns base offsets,
 * no answer for acks=0) and Fetch (v11: returns the batches produced from the offset asked). It advertises exactly
 * those versions, so kafkajs uses them. `advertise(port)` makes clients reconnect through a relay.
 */
import * as net from 'node:net';
import type { TestContext } from 'node:test';
import { KafkaReader } from '../../src/core/protocols/kafka/reader';
import { KafkaWriter } from './kafkaWriter';

const SUPPORTED: Record<number, number> = { 0: 7, 1: 11, 3: 6, 18: 2 };
const NODE_ID = 0;

interface Batch {
  baseOffset: number;
  count: number;
  bytes: Buffer;
}

export interface KafkaBroker {
  port: number;
  /** The port clients are told to connect to (a relay in front of the broker). */
  advertise(port: number): void;
  /** Batches kept per `topic/partition`. */
  log: Map<string, Batch[]>;
  /** API keys of the requests received, in order. */
  received: number[];
}

export async function startKafkaBroker(t: TestContext, options: { partitions?: number } = {}): Promise<KafkaBroker> {
  const partitions = options.partitions ?? 2;
  const log = new Map<string, Batch[]>();
  const topics = new Set<string>();
  const received: number[] = [];
  let advertisedPort = 0;
  const sockets = new Set<net.Socket>();

  const nextOffset = (key: string): number => {
    const batches = log.get(key) ?? [];
    const last = batches[batches.length - 1];
    return last ? last.baseOffset + last.count : 0;
  };

  const handlers: Record<number, (r: KafkaReader, w: KafkaWriter, version: number) => boolean> = {
    18: (_r, w, version) => {
      w.int16(0).array(Object.entries(SUPPORTED), ([key, max]) => w.int16(Number(key)).int16(0).int16(max));
      if (version >= 1) w.int32(0);
      return true;
    },
    3: (r, w) => {
      const n = r.arrayLength(); // -1: all topics
      const names: string[] = [];
      for (let i = 0; i < n; i++) names.push(r.string() ?? '');
      for (const name of names) topics.add(name);
      const answer = n < 0 ? [...topics] : names;
      w.int32(0).array([NODE_ID], () => w.int32(NODE_ID).string('127.0.0.1').int32(advertisedPort).string(null));
      w.string('chaos-testing').int32(NODE_ID);
      w.array(answer, (name) => {
        w.int16(0).string(name).int8(0);
        w.array([...Array(partitions).keys()], (p) => w.int16(0).int32(p).int32(NODE_ID).array([NODE_ID], (n) => w.int32(n)).array([NODE_ID], (n) => w.int32(n)).array([], () => undefined));
      });
      return true;
    },
    0: (r, w) => {
      r.string(); // transactional id
      const acks = r.int16();
      r.int32();
      const produced = r.array(() => ({
        topic: r.string() ?? '',
        partitions: r.array(() => ({ partition: r.int32(), records: r.bytes() ?? Buffer.alloc(0) })),
      }));
      const results = produced.map(({ topic, partitions: parts }) => ({
        topic,
        partitions: parts.map(({ partition, records }) => ({ partition, baseOffset: append(`${topic}/${partition}`, records) })),
      }));
      if (acks === 0) return false;
      w.array(results, ({ topic, partitions: parts }) => {
        w.string(topic).array(parts, ({ partition, baseOffset }) => w.int32(partition).int16(0).int64(baseOffset).int64(-1).int64(0));
      });
      w.int32(0);
      return true;
    },
    1: (r, w) => {
      r.skip(4 + 4 + 4 + 4 + 1 + 4 + 4);
      const asked = r.array(() => ({
        topic: r.string() ?? '',
        partitions: r.array(() => {
          const partition = r.int32();
          r.int32();
          const fetchOffset = r.int64();
          r.int64();
          r.int32();
          return { partition, fetchOffset };
        }),
      }));
      w.int32(0).int16(0).int32(0);
      w.array(asked, ({ topic, partitions: parts }) => {
        w.string(topic).array(parts, ({ partition, fetchOffset }) => {
          const key = `${topic}/${partition}`;
          const batches = (log.get(key) ?? []).filter((b) => b.baseOffset + b.count > fetchOffset);
          const hw = nextOffset(key);
          w.int32(partition).int16(topics.has(topic) ? 0 : 3).int64(hw).int64(hw).int64(0).array([], () => undefined).int32(-1);
          w.bytes(Buffer.concat(batches.map((b) => b.bytes)));
        });
      });
      return true;
    },
  };

  /** Keeps each RecordBatch v2 of a produced set under the partition's next offsets; returns the first. */
  function append(key: string, set: Buffer): number {
    const first = nextOffset(key);
    const batches = log.get(key) ?? [];
    for (let at = 0; at + 61 <= set.length; ) {
      const length = set.readInt32BE(at + 8);
      const bytes = Buffer.from(set.subarray(at, at + 12 + length));
      const count = bytes.readInt32BE(23) + 1;
      const baseOffset = batches.length ? batches[batches.length - 1].baseOffset + batches[batches.length - 1].count : 0;
      bytes.writeBigInt64BE(BigInt(baseOffset), 0); // outside the CRC, which starts at the attributes
      batches.push({ baseOffset, count, bytes });
      at += 12 + length;
    }
    log.set(key, batches);
    return first;
  }

  function answer(socket: net.Socket, body: Buffer): void {
    const r = new KafkaReader(body);
    const apiKey = r.int16();
    const version = r.int16();
    const correlationId = r.int32();
    r.string(); // client id
    received.push(apiKey);
    const w = new KafkaWriter().int32(correlationId);
    const handler = handlers[apiKey];
    if (!handler || version > SUPPORTED[apiKey]) {
      socket.destroy(); // a real broker closes on requests it cannot parse
      return;
    }
    if (handler(r, w, version)) socket.write(w.frame());
  }

  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        answer(socket, buffered.subarray(4, 4 + size));
        buffered = buffered.subarray(4 + size);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  advertisedPort = port;
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port, advertise: (p) => (advertisedPort = p), log, received };
}
