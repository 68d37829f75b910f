/**
 * Counts the records in a Kafka record set and reads their keys: RecordBatch v2 (magic 2: a 61-byte batch header,
 * then varint-framed records) and the older message sets (magic 0/1). Compressed batches are counted from their
 * header, keys not read. A set may end with a partial batch (Fetch responses cut at max bytes): it is left out.
 */
import { KafkaReader } from './reader';

export interface RecordSetSummary {
  records: number;
  keys: string[];
  compressed?: boolean;
}

const MAX_KEYS = 20;
const MAX_KEY_BYTES = 64;
const BATCH_HEADER_BYTES = 61;

/** A key as text when it is printable UTF-8, else hex; long keys cut with their size. */
export function formatKey(key: Buffer | null): string {
  if (key === null) return '<null>';
  const head = key.subarray(0, MAX_KEY_BYTES);
  const text = head.toString('utf8');
  const printable = !/[\x00-\x08\x0e-\x1f\ufffd]/.test(text);
  const shown = printable ? text : `0x${head.toString('hex')}`;
  return key.length > MAX_KEY_BYTES ? `${shown}…<${key.length.toLocaleString('en-US')} bytes>` : shown;
}

export function summarizeRecordSet(set: Buffer): RecordSetSummary {
  const out: RecordSetSummary = { records: 0, keys: [] };
  const r = new KafkaReader(set);
  while (r.remaining >= 17) {
    const start = r.offset;
    r.skip(8); // base offset
    const length = r.int32();
    if (length < 0 || r.remaining < length) break;
    const magic = set[start + 16];
    const body = new KafkaReader(set.subarray(start + 12, start + 12 + length));
    try {
      if (magic === 2) readBatch(body, out);
      else readLegacyMessage(body, magic, out);
    } catch {
      // a malformed batch: count what was read so far
    }
    r.offset = start + 12 + length;
  }
  return out;
}

function readBatch(r: KafkaReader, out: RecordSetSummary): void {
  if (r.remaining < BATCH_HEADER_BYTES - 12) return;
  r.skip(4 + 1 + 4); // partition leader epoch, magic, crc
  const attributes = r.int16();
  r.skip(4 + 8 + 8 + 8 + 2 + 4); // last offset delta, timestamps, producer id and epoch, base sequence
  const count = r.int32();
  if (attributes & 0x07) {
    out.records += Math.max(0, count);
    out.compressed = true;
    return;
  }
  for (let i = 0; i < count && r.remaining > 0; i++) {
    const length = r.varint();
    const end = r.offset + length;
    r.skip(1); // attributes
    r.varint(); // timestamp delta
    r.varint(); // offset delta
    const keyLength = r.varint();
    const key = keyLength < 0 ? null : r.take(keyLength);
    out.records++;
    if (out.keys.length < MAX_KEYS) out.keys.push(formatKey(key));
    r.offset = end;
  }
}

function readLegacyMessage(r: KafkaReader, magic: number, out: RecordSetSummary): void {
  r.skip(4 + 1); // crc, magic
  const attributes = r.int8();
  if (magic === 1) r.skip(8); // timestamp
  if (attributes & 0x07) {
    // A compressed wrapper holds an inner message set we do not inflate: count the wrapper.
    out.records++;
    out.compressed = true;
    return;
  }
  const key = r.bytes();
  out.records++;
  if (out.keys.length < MAX_KEYS) out.keys.push(formatKey(key));
}
