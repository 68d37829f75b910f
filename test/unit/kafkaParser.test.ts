/**
 * The Kafka parser on hand-built frames for what kafkajs never sends: flexible versions (compact arrays and strings,
 * tagged fields, ApiVersions' v0 response header), magic 1 message sets, and a frame over the parser's buffer cap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { definition } from '../../src/core/protocols/kafka';
import type { WireCall } from '../../src/core/protocols/types';
import { KafkaWriter } from '../helpers/kafkaWriter';

function parse(): { calls: WireCall[]; client(b: Buffer): void; server(b: Buffer): void; end(): void } {
  const calls: WireCall[] = [];
  let clock = 0;
  const parser = definition.createParser({ now: () => (clock += 5), emit: (c) => calls.push(c) });
  return { calls, client: (b) => parser.client(b), server: (b) => parser.server(b), end: () => parser.end() };
}

function requestHeader(apiKey: number, version: number, correlationId: number, flexible: boolean): KafkaWriter {
  const w = new KafkaWriter(false).int16(apiKey).int16(version).int32(correlationId).string('app');
  return flexible ? w.uvarint(0) : w;
}

function recordBatch(keys: (string | null)[], value = Buffer.from('v')): Buffer {
  const records = keys.map((key, i) => {
    const body = new KafkaWriter().int8(0).varint(0).varint(i);
    if (key === null) body.varint(-1);
    else body.varint(Buffer.byteLength(key)).raw(Buffer.from(key));
    const rec = body.varint(value.length).raw(value).varint(0).build();
    return new KafkaWriter().varint(rec.length).raw(rec).build();
  });
  const afterLength = new KafkaWriter().int32(0).int8(2).int32(0).int16(0).int32(keys.length - 1).int64(0).int64(0).int64(-1).int16(-1).int32(-1).int32(keys.length).raw(Buffer.concat(records)).build();
  return new KafkaWriter().int64(0).int32(afterLength.length).raw(afterLength).build();
}

test('flexible ApiVersions v3: compact request strings, a v0 response header, a flexible body', () => {
  const p = parse();
  p.client(requestHeader(18, 3, 7, true).raw(new KafkaWriter(true).string('kcat').string('1.7').tags().build()).frame());
  const w = new KafkaWriter(true).int32(7).int16(0);
  w.array([[0, 0, 9], [1, 4, 13]], ([k, min, max]) => w.int16(k).int16(min).int16(max).tags());
  p.server(w.int32(0).tags().frame());
  assert.equal(p.calls.length, 1);
  assert.equal(p.calls[0].method, 'ApiVersions');
  assert.deepEqual(p.calls[0].request, { version: 3, clientId: 'app', clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' });
  assert.deepEqual(p.calls[0].response, { errorCode: 0, apis: ['Produce 0-9', 'Fetch 4-13'] });
});

test('flexible Produce v9 with keys, and a partition error in its response', () => {
  const p = parse();
  const w = requestHeader(0, 9, 1, true);
  const b = new KafkaWriter(true);
  b.string(null).int16(-1).int32(1000);
  b.array([{ topic: 'payments', parts: [[0, ['a', 'b']], [3, [null]]] as [number, (string | null)[]][] }], ({ topic, parts }) => {
    b.string(topic).array(parts, ([partition, keys]) => b.int32(partition).bytes(recordBatch(keys)).tags()).tags();
  });
  p.client(w.raw(b.tags().build()).frame());
  const r = new KafkaWriter(true).int32(1).tags();
  r.array(['payments'], (topic) => {
    r.string(topic).array([[0, 0], [3, 6]], ([partition, error]) => r.int32(partition).int16(error).int64(error ? -1 : 42).int64(-1).int64(0).array([], () => undefined).string(error ? 'moved' : null).tags()).tags();
  });
  p.server(r.int32(0).tags().frame());
  const [call] = p.calls;
  assert.equal(call.statement, 'Produce payments[0,3]');
  const req = call.request as { records: number; topics: { partitions: { keys: string[]; records: number }[] }[] };
  assert.equal(req.records, 3);
  assert.deepEqual(req.topics[0].partitions.map((x) => x.keys), [['a', 'b'], ['<null>']]);
  assert.equal(call.error, 'error 6 NOT_LEADER_OR_FOLLOWER on payments[3]: moved');
  assert.equal(call.ttfbMs, 5);
});

test('flexible Fetch v12 response: records, high watermark and errors per partition', () => {
  const p = parse();
  const b = new KafkaWriter(true).int32(-1).int32(500).int32(1).int32(1 << 20).int8(0).int32(0).int32(-1);
  b.array(['orders'], (topic) => b.string(topic).array([0, 1], (partition) => b.int32(partition).int32(-1).int64(0).int32(-1).int64(0).int32(1 << 20).tags()).tags());
  b.array([], () => undefined).string('').tags();
  p.client(requestHeader(1, 12, 2, true).raw(b.build()).frame());
  const r = new KafkaWriter(true).int32(2).tags().int32(0).int16(0).int32(0);
  r.array(['orders'], (topic) => {
    r.string(topic).array([0, 1], (partition) => {
      r.int32(partition).int16(partition ? 1 : 0).int64(partition ? 0 : 5).int64(5).int64(0).array(null, () => undefined).int32(-1);
      r.bytes(partition ? null : Buffer.concat([recordBatch(['x', 'y', 'z']), recordBatch(['w']).subarray(0, 30)])).tags();
    }).tags();
  });
  p.server(r.tags().frame());
  const [call] = p.calls;
  assert.equal(call.statement, 'Fetch orders[0,1]');
  const res = call.response as { records: number; topics: { partitions: unknown[] }[] };
  assert.equal(res.records, 3, 'the partial batch at the end is left out');
  assert.deepEqual(res.topics[0].partitions[0], { partition: 0, errorCode: 0, highWatermark: 5, records: 3, bytes: recordBatch(['x', 'y', 'z']).length + 30 });
  assert.equal(call.error, 'error 1 OFFSET_OUT_OF_RANGE on orders[1]');
});

test('flexible Metadata v9 for all topics, pipelined with another request and answered out of order', () => {
  const p = parse();
  p.client(Buffer.concat([
    requestHeader(3, 9, 10, true).raw(new KafkaWriter(true).array(null, () => undefined).int8(1).int8(0).int8(0).tags().build()).frame(),
    requestHeader(12, 4, 11, true).raw(new KafkaWriter(true).string('g').int32(1).string('m').string(null).tags().build()).frame(),
  ]));
  p.server(new KafkaWriter(true).int32(11).tags().int32(0).int16(27).tags().frame());
  const m = new KafkaWriter(true).int32(10).tags().int32(0);
  m.array([1], (id) => m.int32(id).string('b1').int32(9092).string(null).tags()).string('c').int32(1);
  m.array(['orders'], (t) => m.int16(0).string(t).int8(0).array([0], (x) => m.int16(0).int32(x).int32(1).int32(0).array([1], (n) => m.int32(n)).array([1], (n) => m.int32(n)).array([], () => undefined).tags()).int32(0).tags());
  p.server(m.int32(0).tags().frame());
  assert.deepEqual(p.calls.map((c) => [c.method, c.statement, c.error]), [['Heartbeat', 'Heartbeat', 'error 27 REBALANCE_IN_PROGRESS'], ['Metadata', 'Metadata *', null]]);
  assert.deepEqual((p.calls[1].response as { brokers: unknown[] }).brokers, [{ nodeId: 1, host: 'b1', port: 9092 }]);
});

test('acks=0 Produce v3 with a magic 1 message set is emitted at once; a 2 MiB one is cut, not buffered', () => {
  const p = parse();
  const message = (key: string): Buffer => {
    const m = new KafkaWriter().int32(0).int8(1).int8(0).int64(0).bytes(Buffer.from(key)).bytes(Buffer.from('v')).build();
    return new KafkaWriter().int64(0).int32(m.length).raw(m).build();
  };
  const produce = (set: Buffer, acks: number, id: number): Buffer => {
    const w = requestHeader(0, 3, id, false).string(null).int16(acks).int32(100);
    w.array(['logs'], (t) => w.string(t).array([0], (x) => w.int32(x).bytes(set)));
    return w.frame();
  };
  p.client(produce(Buffer.concat([message('old-1'), message('old-2')]), 0, 1));
  assert.equal(p.calls.length, 1);
  assert.deepEqual((p.calls[0].request as { topics: { partitions: unknown[] }[] }).topics[0].partitions[0], { partition: 0, bytes: 2 * message('x-aaa').length, records: 2, keys: ['old-1', 'old-2'] });
  const big = produce(recordBatch(['big'], Buffer.alloc(2 * 1024 * 1024, 1)), 1, 2);
  for (let at = 0; at < big.length; at += 65536) p.client(big.subarray(at, at + 65536));
  p.end();
  assert.equal(p.calls.length, 2);
  assert.equal(p.calls[1].error, 'connection closed before the reply');
  assert.equal((p.calls[1].request as { truncated: boolean }).truncated, true);
});

test('a TLS ClientHello is one note call, then the connection is left alone', () => {
  const p = parse();
  p.client(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]));
  p.server(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x7a]));
  p.end();
  assert.deepEqual(p.calls.map((c) => c.method), ['TLS']);
});

test('an acks=0 Produce over the 1 MiB frame cap is recorded at once as having no response, like a small one', () => {
  const p = parse();
  const w = requestHeader(0, 3, 5, false).string(null).int16(0).int32(100);
  w.array(['logs'], (t) => w.string(t).array([0], (x) => w.int32(x).bytes(recordBatch(['big'], Buffer.alloc(2 * 1024 * 1024, 1)))));
  const big = w.frame();
  for (let at = 0; at < big.length; at += 65536) p.client(big.subarray(at, at + 65536));
  assert.equal(p.calls.length, 1, 'emitted without waiting for the connection to end');
  assert.deepEqual([p.calls[0].error, p.calls[0].response], [null, { noResponse: 'acks=0' }]);
  assert.equal((p.calls[0].request as { truncated: boolean }).truncated, true);
  p.end();
  assert.equal(p.calls.length, 1);
});

test('a client frame that is not Kafka after pipelined requests: one note, and the requests in flight still get their replies', () => {
  const p = parse();
  const metadata = (id: number): Buffer => requestHeader(3, 1, id, false).int32(0).frame();
  const bogus = new KafkaWriter(false).int16(31000).int16(0).int32(9).string('x').frame();
  p.client(Buffer.concat([metadata(1), metadata(2), bogus]));
  assert.deepEqual(p.calls.map((c) => [c.method, c.error]), [['PARSER', 'a client frame that is not a Kafka request (api key 31000, version 0)']]);
  const reply = (id: number): Buffer => new KafkaWriter(false).int32(id).array([], () => undefined).int32(-1).array([], () => undefined).frame();
  p.server(Buffer.concat([reply(1), reply(2)]));
  p.end();
  assert.deepEqual(p.calls.map((c) => [c.method, c.error]), [['PARSER', 'a client frame that is not a Kafka request (api key 31000, version 0)'], ['Metadata', null], ['Metadata', null]]);
});
