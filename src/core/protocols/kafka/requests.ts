/**
 * Decodes the request bodies we summarize: Produce (topics, partitions, record counts, keys), Fetch (topics,
 * partitions, offsets), Metadata (topics asked for), ApiVersions, and the topics of a few others when cheap.
 * Every other API (SaslAuthenticate's credentials among them) is named only, its body left unread.
 */
import { API } from './apis';
import { KafkaReader } from './reader';
import { summarizeRecordSet } from './records';

export interface DecodedRequest {
  /** What follows the API name in the statement: `orders[0,1]`. */
  target: string;
  request?: Record<string, unknown>;
  /** Produce with acks=0 gets no response. */
  expectsResponse: boolean;
}

const MAX_SHOWN = 10;

/** `orders[0,1] payments[2]`, the first few of each. */
export function formatTopics(topics: { topic: string; partitions?: number[] }[]): string {
  const shown = topics.slice(0, MAX_SHOWN).map(({ topic, partitions }) => {
    if (!partitions) return topic;
    const list = partitions.slice(0, MAX_SHOWN * 2).join(',');
    return `${topic}[${list}${partitions.length > MAX_SHOWN * 2 ? ',…' : ''}]`;
  });
  return shown.join(' ') + (topics.length > MAX_SHOWN ? ` …(+${topics.length - MAX_SHOWN})` : '');
}

export function decodeRequest(apiKey: number, version: number, r: KafkaReader): DecodedRequest {
  switch (apiKey) {
    case API.Produce:
      return produce(version, r);
    case API.Fetch:
      return fetch(version, r);
    case API.Metadata:
      return metadata(version, r);
    case API.ApiVersions:
      return apiVersions(version, r);
    case API.ListOffsets:
      return { target: formatTopics(listOffsetsTopics(version, r)), expectsResponse: true };
    case API.OffsetFetch:
      return offsetFetch(version, r);
    case API.DeleteTopics:
      return { target: version <= 5 ? r.array(() => r.string() ?? '').join(' ') : '', expectsResponse: true };
    default:
      return { target: '', expectsResponse: true };
  }
}

/** Produce's acks, read from the fields before the record sets, which a frame cut at the cap still holds. */
export function produceAcks(version: number, r: KafkaReader): number {
  if (version >= 3) r.string(); // transactional id
  return r.int16();
}

function produce(version: number, r: KafkaReader): DecodedRequest {
  const start = r.offset;
  const transactionalId = version >= 3 ? r.string() : null;
  r.offset = start;
  const acks = produceAcks(version, r);
  r.int32(); // timeout
  let records = 0;
  const topics = r.array(() => {
    const topic = r.string() ?? '';
    const partitions = r.array(() => {
      const partition = r.int32();
      const set = r.bytes();
      r.taggedFields();
      const summary = set ? summarizeRecordSet(set) : { records: 0, keys: [] };
      records += summary.records;
      return { partition, bytes: set?.length ?? 0, ...summary };
    });
    r.taggedFields();
    return { topic, partitions };
  });
  const request: Record<string, unknown> = { acks, records, topics };
  if (transactionalId !== null) request.transactionalId = transactionalId;
  return { target: formatTopics(topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => p.partition) }))), request, expectsResponse: acks !== 0 };
}

function fetch(version: number, r: KafkaReader): DecodedRequest {
  if (version < 15) r.int32(); // replica id
  const maxWaitMs = r.int32();
  r.int32(); // min bytes
  if (version >= 3) r.int32(); // max bytes
  if (version >= 4) r.int8(); // isolation level
  if (version >= 7) r.skip(8); // session id and epoch
  const topics = r.array(() => {
    const topic = version >= 13 ? r.uuid() : (r.string() ?? '');
    const partitions = r.array(() => {
      const partition = r.int32();
      if (version >= 9) r.int32(); // current leader epoch
      const fetchOffset = r.int64();
      if (version >= 12) r.int32(); // last fetched epoch
      if (version >= 5) r.int64(); // log start offset
      r.int32(); // partition max bytes
      r.taggedFields();
      return { partition, fetchOffset };
    });
    r.taggedFields();
    return { topic, partitions };
  });
  return {
    target: formatTopics(topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => p.partition) }))),
    request: { maxWaitMs, topics },
    expectsResponse: true,
  };
}

function metadata(version: number, r: KafkaReader): DecodedRequest {
  const n = r.arrayLength();
  const topics: string[] = [];
  for (let i = 0; i < n; i++) {
    if (version >= 10) r.uuid();
    topics.push(r.string() ?? '');
    r.taggedFields();
  }
  // v0 asks for all topics with an empty list, later versions with null.
  const all = n < 0 || (version === 0 && n === 0);
  return { target: all ? '*' : topics.join(','), request: { topics: all ? null : topics }, expectsResponse: true };
}

function apiVersions(version: number, r: KafkaReader): DecodedRequest {
  if (version < 3) return { target: '', expectsResponse: true };
  const clientSoftwareName = r.string();
  const clientSoftwareVersion = r.string();
  return { target: '', request: { clientSoftwareName, clientSoftwareVersion }, expectsResponse: true };
}

function listOffsetsTopics(version: number, r: KafkaReader): { topic: string; partitions: number[] }[] {
  r.int32(); // replica id
  if (version >= 2) r.int8(); // isolation level
  return r.array(() => {
    const topic = r.string() ?? '';
    const partitions = r.array(() => {
      const partition = r.int32();
      if (version >= 4) r.int32(); // current leader epoch
      r.int64(); // timestamp
      if (version === 0) r.int32(); // max num offsets
      r.taggedFields();
      return partition;
    });
    r.taggedFields();
    return { topic, partitions };
  });
}

function offsetFetch(version: number, r: KafkaReader): DecodedRequest {
  if (version >= 8) return { target: '', expectsResponse: true };
  const group = r.string() ?? '';
  const n = r.arrayLength();
  const topics: { topic: string; partitions: number[] }[] = [];
  for (let i = 0; i < n; i++) {
    const topic = r.string() ?? '';
    topics.push({ topic, partitions: r.array(() => r.int32()) });
    r.taggedFields();
  }
  return { target: `${group}${topics.length ? ` ${formatTopics(topics)}` : ''}`, request: { group }, expectsResponse: true };
}
