/**
 * Synthetic traffic for the panel tests: a real TrafficDb filled with N exchanges whose fields vary
 * deterministically (methods, resources, every status class, durations, sizes), and a TrafficBackend over it
 * that answers with the store's own queries, as the extension's backend does.
 */
import type { TrafficBackend } from '../../src/extension/panels/backend';
import { TrafficDb } from '../../src/core/store/database';
import type { PreparedBody, PreparedExchange } from '../../src/core/store/prepare';
import { exchangeView, page } from '../../src/core/store/queries';

export const BASE_TIME = Date.UTC(2025, 0, 31, 12, 0, 0);
export const RESOURCES = ['users', 'orders', 'items', 'carts', 'search'] as const;
export const SAMPLE_JSON = { user: { id: 7, name: 'Ada', roles: ['admin', 'dev'] }, ok: true };

const jsonBody = (): PreparedBody => {
  const data = Buffer.from(JSON.stringify(SAMPLE_JSON));
  return { hash: 'sample-json', data, size: data.length, truncated: false, contentType: 'application/json; charset=utf-8' };
};

/** Status of exchange `i` (1-based): mostly 2xx, some 3xx/4xx/5xx, a few 1xx and failures (null). */
export function statusOf(i: number): number | null {
  if (i % 50 === 0) return null;
  if (i % 1000 === 1) return 101;
  if (i % 25 === 0) return 500;
  if (i % 10 === 3) return 404;
  if (i % 20 === 7) return 302;
  return i % 3 === 0 ? 201 : 200;
}

export function methodOf(i: number): string {
  return ['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE'][i % 10];
}

export function urlOf(i: number): string {
  const resource = RESOURCES[i % RESOURCES.length];
  return resource === 'search' ? `http://api.test/v1/search?q=term${i % 7}` : `http://api.test/v1/${resource}/${i}`;
}

export function syntheticExchange(i: number): PreparedExchange {
  const status = statusOf(i);
  const url = urlOf(i);
  const u = new URL(url);
  return {
    seq: i, protocol: 'http', connectionId: 1 + (i % 16), startedAt: BASE_TIME + i * 10,
    ttfbMs: status === null ? null : 1 + (i % 40), durationMs: status === null ? null : ((i * 37) % 1500) + 0.5,
    method: methodOf(i), url, host: u.host, path: u.pathname, status,
    requestHeaders: [['accept', 'application/json'], ['user-agent', 'chaos-test'], ['x-trace', `t${i}`]],
    responseHeaders: status === null ? null : [['content-type', 'application/json; charset=utf-8'], ['x-request-id', `r${i}`]],
    requestBody: null,
    responseBody: status === null ? null : { ...jsonBody(), size: (i * 131) % 20_000 },
    error: status === null ? 'ECONNRESET: the target closed the connection' : null,
    redacted: i % 2 === 0,
  };
}

/** An in-memory TrafficDb with exchanges 1..count (ids equal their index). */
export async function syntheticDb(count: number): Promise<TrafficDb> {
  const db = await TrafficDb.memory();
  db.apply({ lsn: 1, op: 'session', id: 1, session: { kind: 'reverse', target: 'http://api.test', listen: '127.0.0.1:0', startedAt: BASE_TIME } });
  let lsn = 2;
  for (let from = 1; from <= count; from += 10_000) {
    const rows: PreparedExchange[] = [];
    for (let i = from; i < Math.min(count + 1, from + 10_000); i++) rows.push(syntheticExchange(i));
    db.apply({ lsn: lsn++, op: 'exchanges', sessionId: 1, rows });
  }
  return db;
}

export interface DbBackend extends TrafficBackend {
  /** Tells the panels the traffic changed. */
  fireChanged(): void;
  readonly copied: number[];
  readonly resent: number[];
  readonly pageQueries: number;
  readonly listeners: number;
}

/** A TrafficBackend answering from `db` with the store's queries (the SQL the extension runs). */
export function dbBackend(db: TrafficDb): DbBackend {
  const listeners = new Set<() => void>();
  const copied: number[] = [];
  const resent: number[] = [];
  let pageQueries = 0;
  return {
    page: async (q) => {
      pageQueries++;
      return page(db, q);
    },
    exchange: async (id) => {
      const d = db.exchange(id);
      return d ? exchangeView(d) : null;
    },
    copyCurl: async (id) => {
      if (!db.exchange(id)) throw new Error(`exchange #${id} does not exist`);
      copied.push(id);
    },
    resend: async (id) => {
      resent.push(id);
    },
    onDidChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    fireChanged: () => {
      for (const l of [...listeners]) l();
    },
    copied,
    resent,
    get pageQueries() {
      return pageQueries;
    },
    get listeners() {
      return listeners.size;
    },
  };
}

/**
 * Appends three unusual exchanges after `lastId` (ids lastId+1..+3): a binary (PNG) response, a truncated text
 * response, and a WebSocket upgrade with messages. Returns their ids.
 */
export function appendSpecialExchanges(db: TrafficDb, lastId: number, lsn: number): { binary: number; truncated: number; websocket: number } {
  const base = syntheticExchange(lastId + 1);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const text = Buffer.from('line of a long log\n'.repeat(50));
  const rows: PreparedExchange[] = [
    { ...base, seq: lastId + 1, url: 'http://api.test/v1/logo.png', path: '/v1/logo.png', status: 200, method: 'GET', error: null,
      responseBody: { hash: 'png', data: png, size: png.length, truncated: false, contentType: 'image/png' } },
    { ...base, seq: lastId + 2, url: 'http://api.test/v1/logs', path: '/v1/logs', status: 200, method: 'GET', error: null,
      responseBody: { hash: 'log-head', data: text, size: 1_000_000, truncated: true, contentType: 'text/plain' } },
    { ...base, seq: lastId + 3, protocol: 'ws', url: 'ws://api.test/v1/live', path: '/v1/live', status: 101, method: 'GET', error: null, responseBody: null },
  ];
  db.apply({ lsn, op: 'exchanges', sessionId: 1, rows });
  db.apply({ lsn: lsn + 1, op: 'messages', sessionId: 1, rows: [
    { exchangeSeq: lastId + 3, direction: 'client', at: BASE_TIME + 1, opcode: 1, size: 15, data: Buffer.from('{"subscribe":1}'), truncated: false },
    { exchangeSeq: lastId + 3, direction: 'server', at: BASE_TIME + 2, opcode: 2, size: 4, data: Buffer.from([1, 2, 3, 4]), truncated: false },
  ] });
  return { binary: lastId + 1, truncated: lastId + 2, websocket: lastId + 3 };
}
