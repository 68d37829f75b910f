/**
 * Decodes the response bodies we summarize: Produce (per-partition errors and base offsets), Fetch (record counts,
 * error codes, high watermarks), Metadata (brokers, topics), ApiVersions, and the top-level error code of the APIs
 * that have one. An error anywhere becomes the call's error: "error 3 UNKNOWN_TOPIC_OR_PARTITION on orders[1]".
 */
import { API, TOP_LEVEL_ERROR, apiName, describeError } from './apis';
import { KafkaReader } from './reader';
import { summarizeRecordSet } from './records';

export interface DecodedResponse {
  response?: Record<string, unknown>;
  error: string | null;
}

export function decodeResponse(apiKey: number, version: number, r: KafkaReader): DecodedResponse {
  switch (apiKey) {
    case API.Produce:
      return produce(version, r);
    case API.Fetch:
      return fetch(version, r);
    case API.Metadata:
      return metadata(version, r);
    case API.ApiVersions:
      return apiVersions(version, r);
    default:
      return topLevelError(apiKey, version, r);
  }
}

function firstError(errors: string[]): string | null {
  if (!errors.length) return null;
  return errors.length === 1 ? errors[0] : `${errors[0]} (and ${errors.length - 1} more)`;
}

function produce(version: number, r: KafkaReader): DecodedResponse {
  const errors: string[] = [];
  const topics = r.array(() => {
    const topic = r.string() ?? '';
    const partitions = r.array(() => {
      const partition = r.int32();
      const errorCode = r.int16();
      const baseOffset = r.int64();
      if (version >= 2) r.int64(); // log append time
      if (version >= 5) r.int64(); // log start offset
      let errorMessage: string | null = null;
      if (version >= 8) {
        r.array(() => {
          r.int32();
          r.string();
          r.taggedFields();
        });
        errorMessage = r.string();
      }
      r.taggedFields();
      if (errorCode !== 0) errors.push(`${describeError(errorCode, `${topic}[${partition}]`)}${errorMessage ? `: ${errorMessage}` : ''}`);
      return { partition, errorCode, baseOffset };
    });
    r.taggedFields();
    return { topic, partitions };
  });
  return { response: { topics }, error: firstError(errors) };
}

function fetch(version: number, r: KafkaReader): DecodedResponse {
  if (version >= 1) r.int32(); // throttle time
  const errors: string[] = [];
  let errorCode = 0;
  if (version >= 7) {
    errorCode = r.int16();
    r.int32(); // session id
    if (errorCode !== 0) errors.push(describeError(errorCode));
  }
  let records = 0;
  const topics = r.array(() => {
    const topic = version >= 13 ? r.uuid() : (r.string() ?? '');
    const partitions = r.array(() => {
      const partition = r.int32();
      const partitionError = r.int16();
      const highWatermark = r.int64();
      if (version >= 4) r.int64(); // last stable offset
      if (version >= 5) r.int64(); // log start offset
      if (version >= 4) {
        r.array(() => {
          r.int64();
          r.int64();
          r.taggedFields();
        });
      }
      if (version >= 11) r.int32(); // preferred read replica
      const set = r.bytes();
      r.taggedFields();
      const summary = set ? summarizeRecordSet(set) : { records: 0, keys: [] };
      records += summary.records;
      if (partitionError !== 0) errors.push(describeError(partitionError, `${topic}[${partition}]`));
      return { partition, errorCode: partitionError, highWatermark, records: summary.records, bytes: set?.length ?? 0 };
    });
    r.taggedFields();
    return { topic, partitions };
  });
  return { response: { errorCode, records, topics }, error: firstError(errors) };
}

function metadata(version: number, r: KafkaReader): DecodedResponse {
  if (version >= 3) r.int32(); // throttle time
  const brokers = r.array(() => {
    const nodeId = r.int32();
    const host = r.string();
    const port = r.int32();
    if (version >= 1) r.string(); // rack
    r.taggedFields();
    return { nodeId, host, port };
  });
  if (version >= 2) r.string(); // cluster id
  const controllerId = version >= 1 ? r.int32() : null;
  const errors: string[] = [];
  const topics = r.array(() => {
    const errorCode = r.int16();
    const topic = r.string() ?? '';
    if (version >= 10) r.uuid();
    if (version >= 1) r.int8(); // is internal
    const partitions = r.array(() => {
      r.int16(); // partition error
      const partition = r.int32();
      const leader = r.int32();
      if (version >= 7) r.int32(); // leader epoch
      r.array(() => r.int32()); // replicas
      r.array(() => r.int32()); // in-sync replicas
      if (version >= 5) r.array(() => r.int32()); // offline replicas
      r.taggedFields();
      return { partition, leader };
    });
    if (version >= 8) r.int32(); // topic authorized operations
    r.taggedFields();
    if (errorCode !== 0) errors.push(describeError(errorCode, topic));
    return { topic, errorCode, partitions: partitions.length, leaders: partitions.slice(0, 32) };
  });
  return { response: { brokers, controllerId, topics }, error: firstError(errors) };
}

function apiVersions(version: number, r: KafkaReader): DecodedResponse {
  const errorCode = r.int16();
  // A broker that does not support the version asked for answers in v0 with UNSUPPORTED_VERSION.
  const flexible = version >= 3 && errorCode !== 35;
  const body = new KafkaReader(r.buf, flexible);
  body.offset = r.offset;
  const apis = body.array(() => {
    const key = body.int16();
    const min = body.int16();
    const max = body.int16();
    body.taggedFields();
    return `${apiName(key)} ${min}-${max}`;
  });
  return { response: { errorCode, apis }, error: errorCode !== 0 ? describeError(errorCode) : null };
}

function topLevelError(apiKey: number, version: number, r: KafkaReader): DecodedResponse {
  const where = TOP_LEVEL_ERROR[apiKey];
  if (!where || version > where.until) return { error: null };
  if (version >= where.throttleFrom) r.int32();
  const errorCode = r.int16();
  return { response: { errorCode }, error: errorCode !== 0 ? describeError(errorCode) : null };
}
