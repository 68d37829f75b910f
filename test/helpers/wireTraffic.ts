/**
 * Traffic with database and cache calls, shaped as the wire capture stores them (protocol, statement in `url`,
 * host:port, JSON request and response summaries), written through the store's own paths: `TrafficDb.apply`
 * (as the journal replays) or a real StoreWriter and its worker.
 */
import type { CapturedExchange } from '../../src/core/capture/types';
import { TrafficDb } from '../../src/core/store/database';
import { sha256Hex, type PreparedBody, type PreparedExchange } from '../../src/core/store/prepare';

export const T0 = Date.UTC(2025, 2, 1, 9, 0, 0);
export const API = '127.0.0.1:9000';
export const PG = '127.0.0.1:5432';
export const REDIS = '127.0.0.1:6379';

export interface HttpSpec {
  method: string;
  path: string;
  /** ms after T0 */
  at: number;
  duration: number;
  status?: number;
  host?: string;
  conn?: number;
  response?: unknown;
}

export interface WireSpec {
  protocol: 'postgres' | 'mysql' | 'redis' | 'kafka' | 'grpc';
  method: string;
  statement: string;
  at: number;
  duration: number;
  conn: number;
  host?: string;
  request?: unknown;
  response?: unknown;
  error?: string | null;
}

function jsonBody(v: unknown): PreparedBody | null {
  if (v === undefined) return null;
  const data = Buffer.from(JSON.stringify(v));
  return { hash: sha256Hex(data), data, size: data.length, truncated: false, contentType: 'application/json' };
}

export function httpRow(seq: number, s: HttpSpec): PreparedExchange {
  const host = s.host ?? API;
  const status = s.status ?? 200;
  return {
    seq, protocol: 'http', connectionId: s.conn ?? seq, startedAt: T0 + s.at, ttfbMs: s.duration / 2, durationMs: s.duration,
    method: s.method, url: `http://${host}${s.path}`, host, path: s.path, status,
    requestHeaders: [['accept', 'application/json']], responseHeaders: [['content-type', 'application/json']],
    requestBody: null, responseBody: jsonBody(s.response ?? { ok: true }), error: null, redacted: false,
  };
}

export function wireRow(seq: number, s: WireSpec): PreparedExchange {
  return {
    seq, protocol: s.protocol, connectionId: s.conn, startedAt: T0 + s.at, ttfbMs: s.duration / 2, durationMs: s.duration,
    method: s.method, url: s.statement, host: s.host ?? (s.protocol === 'redis' ? REDIS : PG), path: null, status: null,
    requestHeaders: [], responseHeaders: null,
    requestBody: jsonBody(s.request), responseBody: jsonBody(s.response ?? {}), error: s.error ?? null, redacted: false,
  };
}

/** A database in memory holding `rows` in one session (ids follow the order given, from 1). */
export async function dbWithRows(rows: PreparedExchange[]): Promise<TrafficDb> {
  const db = await TrafficDb.memory();
  db.apply({ lsn: 1, op: 'session', id: 1, session: { kind: 'reverse', target: `http://${API}`, listen: '127.0.0.1:0', startedAt: T0 } });
  db.apply({ lsn: 2, op: 'exchanges', sessionId: 1, rows });
  return db;
}

/** The same rows as the proxies hand them to a StoreWriter. */
export function captured(row: PreparedExchange): CapturedExchange {
  const body = (b: PreparedBody | null): CapturedExchange['requestBody'] => (b ? { data: b.data, size: b.size, truncated: false } : { data: null, size: 0, truncated: false });
  const raw = (pairs: Array<[string, string]> | null): string[] | null => (pairs ? pairs.flat() : null);
  const wire = !row.url.includes('://');
  return {
    seq: row.seq, protocol: row.protocol as CapturedExchange['protocol'], connectionId: row.connectionId ?? 0, startedAt: row.startedAt,
    ttfbMs: row.ttfbMs, durationMs: row.durationMs, method: row.method, url: row.url, status: row.status,
    requestHeaders: raw(row.requestHeaders) ?? [], responseHeaders: raw(row.responseHeaders),
    requestBody: body(row.requestBody), responseBody: body(row.responseBody), error: row.error,
    ...(wire && row.host ? { target: row.host } : {}),
  };
}

/** parent_id of every exchange, by id. */
export function parents(db: TrafficDb): Map<number, number | null> {
  return new Map(db.query('SELECT id, parent_id FROM exchanges ORDER BY id').map((r) => [Number(r.id), r.parent_id === null ? null : Number(r.parent_id)]));
}

/**
 * A small API and its database: GET /users/1 and /users/2 each read the user (postgres) with the cache in front
 * (redis GET, then SET on a miss); POST /users inserts in a transaction; a migration runs before any request.
 * Returns the rows and the ids of interest.
 */
export function sampleApiRows(): PreparedExchange[] {
  let seq = 0;
  const rows: PreparedExchange[] = [];
  const http = (s: HttpSpec): void => void rows.push(httpRow(++seq, s));
  const wire = (s: WireSpec): void => void rows.push(wireRow(++seq, s));
  wire({ protocol: 'postgres', method: 'QUERY', statement: 'CREATE TABLE IF NOT EXISTS users (id serial PRIMARY KEY, name text)', at: 0, duration: 3, conn: 1, response: { tag: 'CREATE TABLE' } });
  for (const [i, id] of [[0, 1], [1, 2]] as const) {
    const at = 100 + i * 100;
    http({ method: 'GET', path: `/users/${id}`, at, duration: 20, response: { id, name: `user ${id}` } });
    wire({ protocol: 'redis', method: 'GET', statement: `GET user:${id}`, at: at + 1, duration: 1, conn: 7, response: { replyType: 'null' } });
    wire({ protocol: 'postgres', method: 'EXECUTE', statement: 'SELECT id, name FROM users WHERE id = $1', at: at + 3, duration: 4, conn: 1, request: { params: [String(id)] }, response: { rows: 1, tag: 'SELECT 1', transaction: 'idle' } });
    wire({ protocol: 'redis', method: 'SET', statement: `SET user:${id} <24 bytes>`, at: at + 8, duration: 1, conn: 7, response: { replyType: 'simple', value: 'OK' } });
  }
  http({ method: 'POST', path: '/users', at: 400, duration: 30, status: 201, response: { id: 3, name: 'Ada' } });
  wire({ protocol: 'postgres', method: 'QUERY', statement: 'BEGIN', at: 402, duration: 1, conn: 1, response: { tag: 'BEGIN', transaction: 'in transaction' } });
  wire({ protocol: 'postgres', method: 'EXECUTE', statement: "INSERT INTO users (name) VALUES ('Ada') RETURNING id", at: 404, duration: 5, conn: 1, response: { rows: 1, tag: 'INSERT 0 1', transaction: 'in transaction' } });
  wire({ protocol: 'postgres', method: 'QUERY', statement: 'COMMIT', at: 410, duration: 2, conn: 1, response: { tag: 'COMMIT', transaction: 'idle' } });
  return rows;
}
