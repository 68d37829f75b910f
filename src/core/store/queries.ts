import { templatePath } from '../learn/pathTemplate';
import { templateStatement } from '../learn/statementTemplate';
import { bodyAsText } from './bodyText';
import type { ExchangeDetail, StoredBody, StoredRun, TrafficDb } from './database';
import { WIRE_PROTOCOLS } from '../protocols/types';
import { ensureLinked, isWireProtocol } from './link';

/**
 * The questions the editor (tree, panels) asks of a traffic database, and their JSON-safe answers. The same
 * function answers them whether the database is held by a running capture's store worker or opened read-only,
 * so the editor sees one shape either way.
 */

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error';

export interface TrafficFilter {
  /** Case-insensitive substring of the URL or method. */
  text?: string;
  /** Keep only these status classes ('error' = no response). Empty or missing keeps all. */
  statuses?: StatusClass[];
}

export interface EndpointNode {
  method: string;
  template: string;
  protocol: string;
  count: number;
  statuses: number[];
  errors: number;
}

export interface HostNode {
  host: string;
  count: number;
  /** Protocols seen on this host, e.g. ['http'] or ['postgres']. */
  protocols: string[];
  endpoints: EndpointNode[];
}

export interface TrafficOverview {
  total: number;
  sessions: number;
  hosts: HostNode[];
}

export type SortColumn = 'id' | 'startedAt' | 'method' | 'url' | 'status' | 'durationMs' | 'responseBodySize';

export interface PageQuery extends TrafficFilter {
  offset: number;
  limit: number;
  sort?: SortColumn;
  descending?: boolean;
}

export interface ExchangeRow {
  id: number;
  protocol: string;
  startedAt: number;
  method: string;
  url: string;
  host: string | null;
  status: number | null;
  durationMs: number | null;
  responseBodySize: number;
  error: string | null;
  /** Database and cache calls linked to this exchange (set in the tree's endpoint lists). */
  calls?: number;
}

export interface PageResult {
  /** Rows matching the filter (not just this page). */
  total: number;
  offset: number;
  rows: ExchangeRow[];
}

export interface BodyView {
  text: string;
  /** Set when `text` is base64 of binary bytes. */
  encoding?: 'base64';
  /** `text` re-indented when the body is JSON. */
  pretty?: string;
  size: number;
  truncated: boolean;
  contentType: string | null;
}

export interface MessageView {
  direction: string;
  at: number;
  opcode: number;
  size: number;
  text: string | null;
  encoding?: 'base64';
}

/** An exchange as the panels show it: the stored detail with bodies and messages as text. */
export interface ExchangeView extends Omit<ExchangeDetail, 'seq' | 'path' | 'responseBodySize' | 'requestBody' | 'responseBody' | 'messages'> {
  requestBody: BodyView | null;
  responseBody: BodyView | null;
  messages: MessageView[];
  /** Database and cache calls made while this HTTP exchange was served, in order (see link.ts). */
  calls: ExchangeRow[];
}

export type TrafficQuery =
  | { kind: 'overview'; filter?: TrafficFilter }
  | { kind: 'endpoint'; host: string; method: string; template: string; filter?: TrafficFilter; limit: number }
  | { kind: 'page'; query: PageQuery }
  | { kind: 'exchange'; id: number }
  /** The calls linked to one exchange. */
  | { kind: 'calls'; id: number }
  /** Stored engine runs (the `runs` table), newest first, of one kind when given. */
  | { kind: 'runs'; runKind?: string; limit: number };

export interface TrafficAnswers {
  overview: TrafficOverview;
  endpoint: { total: number; rows: ExchangeRow[] };
  page: PageResult;
  exchange: ExchangeView | null;
  calls: ExchangeRow[];
  runs: StoredRun[];
}

export type AnswerOf<Q extends TrafficQuery> = TrafficAnswers[Q['kind']];

export function statusClassOf(status: number | null): StatusClass {
  if (status === null || status < 100) return 'error';
  return `${Math.min(5, Math.floor(status / 100))}xx` as StatusClass;
}

const SORT_SQL: Record<SortColumn, string> = {
  id: 'id',
  startedAt: 'started_at',
  method: 'method',
  url: 'url',
  status: 'status',
  durationMs: 'duration_ms',
  responseBodySize: 'response_body_size',
};

/** SQL WHERE clause and parameters for a filter. */
function whereOf(filter: TrafficFilter | undefined, extra: string[] = [], params: Array<string | number> = []): { sql: string; params: Array<string | number> } {
  const clauses = [...extra];
  const text = filter?.text?.trim();
  if (text) {
    clauses.push("(instr(lower(url), ?) > 0 OR lower(method) = ?)");
    params.push(text.toLowerCase(), text.toLowerCase());
  }
  const statuses = filter?.statuses ?? [];
  if (statuses.length && statuses.length < 6) {
    const parts: string[] = [];
    for (const s of statuses) {
      if (s === 'error') parts.push('status IS NULL');
      else {
        const lo = Number(s[0]) * 100;
        parts.push(s === '5xx' ? `status >= ${lo}` : `(status >= ${lo} AND status < ${lo + 100})`);
      }
    }
    clauses.push(`(${parts.join(' OR ')})`);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** What exchanges of one endpoint share: the path template, or a wire call's statement template. */
export function templateOf(protocol: string, path: string): string {
  if (protocol === 'tunnel') return path;
  return isWireProtocol(protocol) ? templateStatement(protocol, path) : templatePath(path);
}

function rowOf(r: Record<string, unknown>): ExchangeRow {
  return {
    id: Number(r.id),
    protocol: String(r.protocol),
    startedAt: Number(r.started_at),
    method: String(r.method),
    url: String(r.url),
    host: (r.host as string | null) ?? null,
    status: r.status === null ? null : Number(r.status),
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    responseBodySize: Number(r.response_body_size),
    error: (r.error as string | null) ?? null,
  };
}

const WIRE_SQL = WIRE_PROTOCOLS.map((p) => `'${p}'`).join(', ');

const ROW_COLUMNS = 'id, started_at, method, url, host, path, status, duration_ms, response_body_size, error, protocol';

export function overview(db: TrafficDb, filter?: TrafficFilter): TrafficOverview {
  const w = whereOf(filter);
  const rows = db.query(
    `SELECT COALESCE(host, '') AS host, method, COALESCE(path, url) AS path, protocol, COUNT(*) AS n,
       GROUP_CONCAT(DISTINCT status) AS statuses,
       SUM(CASE WHEN protocol IN (${WIRE_SQL}) THEN error IS NOT NULL ELSE status IS NULL END) AS errors
     FROM exchanges ${w.sql} GROUP BY host, method, COALESCE(path, url), protocol`,
    w.params,
  );
  const hosts = new Map<string, HostNode>();
  const endpoints = new Map<string, EndpointNode>();
  for (const r of rows) {
    const hostName = String(r.host) || '(no host)';
    let host = hosts.get(hostName);
    if (!host) hosts.set(hostName, (host = { host: hostName, count: 0, protocols: [], endpoints: [] }));
    const protocol = String(r.protocol);
    if (!host.protocols.includes(protocol)) host.protocols.push(protocol);
    const template = templateOf(protocol, String(r.path));
    const key = `${hostName}\0${r.method}\0${template}\0${protocol}`;
    let ep = endpoints.get(key);
    if (!ep) {
      ep = { method: String(r.method), template, protocol, count: 0, statuses: [], errors: 0 };
      endpoints.set(key, ep);
      host.endpoints.push(ep);
    }
    const n = Number(r.n);
    ep.count += n;
    host.count += n;
    ep.errors += Number(r.errors ?? 0);
    for (const s of String(r.statuses ?? '').split(',').filter(Boolean).map(Number)) if (!ep.statuses.includes(s)) ep.statuses.push(s);
  }
  for (const h of hosts.values()) {
    for (const e of h.endpoints) e.statuses.sort((a, b) => a - b);
    h.endpoints.sort((a, b) => a.template.localeCompare(b.template) || a.method.localeCompare(b.method));
  }
  const total = [...hosts.values()].reduce((n, h) => n + h.count, 0);
  return { total, sessions: db.sessions().length, hosts: [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host)) };
}

/** The latest exchanges of one endpoint (newest first). Templates are not stored, so paths are matched here. */
export function endpointExchanges(db: TrafficDb, q: Extract<TrafficQuery, { kind: 'endpoint' }>): { total: number; rows: ExchangeRow[] } {
  const hostClause = q.host === '(no host)' ? '(host IS NULL OR host = \'\')' : 'host = ?';
  const w = whereOf(q.filter, [hostClause, 'method = ?'], q.host === '(no host)' ? [q.method] : [q.host, q.method]);
  const all = db.query(`SELECT ${ROW_COLUMNS} FROM exchanges ${w.sql} ORDER BY id DESC`, w.params);
  const rows: ExchangeRow[] = [];
  let total = 0;
  for (const r of all) {
    const path = String(r.path ?? r.url);
    if (templateOf(String(r.protocol), path) !== q.template) continue;
    total++;
    if (rows.length < q.limit) rows.push(rowOf(r));
  }
  const counts = callCounts(db, rows.filter((r) => !isWireProtocol(r.protocol)).map((r) => r.id));
  for (const r of rows) if (counts.has(r.id)) r.calls = counts.get(r.id);
  return { total, rows };
}

/** How many calls are linked to each of `ids` (one scan: parent_id has no index, by design). */
function callCounts(db: TrafficDb, ids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  if (!ids.length) return out;
  for (const r of db.query(`SELECT parent_id, COUNT(*) AS n FROM exchanges WHERE parent_id IN (${ids.map(() => '?').join(', ')}) GROUP BY parent_id`, ids)) {
    out.set(Number(r.parent_id), Number(r.n));
  }
  return out;
}

/** The calls linked to exchange `id`, in the order they were made. */
export function linkedCalls(db: TrafficDb, id: number): ExchangeRow[] {
  return db.query(`SELECT ${ROW_COLUMNS} FROM exchanges WHERE parent_id = ? ORDER BY started_at, id`, [id]).map(rowOf);
}

export function page(db: TrafficDb, q: PageQuery): PageResult {
  const w = whereOf(q);
  const total = Number(db.query(`SELECT COUNT(*) AS n FROM exchanges ${w.sql}`, w.params)[0]?.n ?? 0);
  const column = SORT_SQL[q.sort ?? 'id'] ?? 'id';
  const dir = q.descending ? 'DESC' : 'ASC';
  const limit = Math.max(0, Math.min(1000, Math.floor(q.limit)));
  const offset = Math.max(0, Math.floor(q.offset));
  const rows = db
    .query(`SELECT ${ROW_COLUMNS} FROM exchanges ${w.sql} ORDER BY ${column} ${dir}, id ${dir} LIMIT ? OFFSET ?`, [...w.params, limit, offset])
    .map(rowOf);
  return { total, offset, rows };
}

function bodyView(b: StoredBody | null): BodyView | null {
  if (!b) return null;
  const { text, encoding } = bodyAsText(b.data, b.contentType, b.truncated);
  const view: BodyView = { text, size: b.size, truncated: b.truncated, contentType: b.contentType };
  if (encoding) view.encoding = encoding;
  else if (!b.truncated && (/json/i.test(b.contentType ?? '') || /^\s*[[{]/.test(text))) {
    try {
      view.pretty = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON after all
    }
  }
  return view;
}

export function exchangeView(d: ExchangeDetail): ExchangeView {
  return {
    id: d.id,
    sessionId: d.sessionId,
    protocol: d.protocol,
    startedAt: d.startedAt,
    method: d.method,
    url: d.url,
    host: d.host,
    status: d.status,
    ttfbMs: d.ttfbMs,
    durationMs: d.durationMs,
    connectionId: d.connectionId,
    error: d.error,
    redacted: d.redacted,
    parentId: d.parentId,
    httpVersion: d.httpVersion,
    upstreamHttpVersion: d.upstreamHttpVersion,
    calls: [],
    requestHeaders: d.requestHeaders,
    responseHeaders: d.responseHeaders,
    requestBody: bodyView(d.requestBody),
    responseBody: bodyView(d.responseBody),
    messages: d.messages.map((m) => {
      const body = m.data ? bodyAsText(m.data, m.opcode === 1 ? 'text/plain' : 'application/octet-stream') : null;
      const v: MessageView = { direction: m.direction, at: m.at, opcode: m.opcode, size: m.size, text: body?.text ?? null };
      if (body?.encoding) v.encoding = body.encoding;
      return v;
    }),
  };
}

/** Answers one query against an open database. */
export function answer(db: TrafficDb, q: TrafficQuery): TrafficAnswers[TrafficQuery['kind']] {
  if (q.kind === 'runs') return db.runs(q.runKind, Math.max(1, Math.min(1000, q.limit)));
  if (q.kind !== 'page') ensureLinked(db);
  switch (q.kind) {
    case 'overview':
      return overview(db, q.filter);
    case 'endpoint':
      return endpointExchanges(db, q);
    case 'page':
      return page(db, q.query);
    case 'exchange': {
      const d = db.exchange(q.id);
      if (!d) return null;
      const view = exchangeView(d);
      if (!isWireProtocol(d.protocol)) view.calls = linkedCalls(db, d.id);
      return view;
    }
    case 'calls':
      return linkedCalls(db, q.id);
  }
}
