import { WIRE_PROTOCOLS } from '../protocols/types';
import type { TrafficDb } from './database';

/**
 * Links database and cache calls to the HTTP request the backend was serving when it made them (parent_id).
 *
 * The heuristic, from timings alone (the proxies see no trace ids):
 * 1. Candidates: the HTTP(S) exchanges whose window [started_at, started_at + duration_ms] contains the call's
 *    window; only when none does exactly, each edge widened by TOLERANCE_MS for clock rounding. None → the call
 *    is left unlinked (startup, a background job, a request the proxy did not see).
 * 2. The innermost candidate wins (the one that started last): an outer request on another host is waiting on an
 *    inner one (a backend calling another service through the proxy), and the inner one made the call.
 * 3. Other candidates on the innermost one's host are concurrent requests to the same backend: timings cannot
 *    tell which of them made the call. Connection affinity decides: a request holds its pooled connection while
 *    it works, so if exactly one of them also holds, alone, another call on the same wire connection (protocol,
 *    host, connection id), the call goes to it. Otherwise it is left unlinked and counted as ambiguous: a wrong
 *    link would have the behaviour model claim an endpoint touches what it does not.
 *
 * The plan is a pure function of the rows, so linking again gives the same links (idempotent); `linkWireCalls`
 * writes only what changed.
 */

export const TOLERANCE_MS = 1;

export interface LinkRow {
  id: number;
  protocol: string;
  host: string | null;
  connectionId: number | null;
  startedAt: number;
  durationMs: number | null;
}

export interface LinkPlan {
  /** Call id → parent HTTP exchange id (null: unlinked). Every wire call is in it. */
  parents: Map<number, number | null>;
  linked: number;
  ambiguous: number;
  /** Calls outside any HTTP request. */
  outside: number;
}

const WIRE = new Set<string>(WIRE_PROTOCOLS);
const PARENT_PROTOCOLS = new Set(['http', 'https']);

export function isWireProtocol(protocol: string): boolean {
  return WIRE.has(protocol);
}

const end = (r: LinkRow): number => r.startedAt + (r.durationMs ?? 0);
const connectionKey = (r: LinkRow): string => `${r.protocol}\0${r.host ?? ''}\0${r.connectionId ?? ''}`;

/** The HTTP exchanges containing a call, innermost (started last) first. */
function candidatesOf(call: LinkRow, http: LinkRow[], starts: number[], longest: number): LinkRow[] {
  const from = end(call) - TOLERANCE_MS - longest;
  const to = call.startedAt + TOLERANCE_MS;
  // First HTTP exchange that starts at or after `from` (binary search), then every one starting up to `to`.
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  const out: LinkRow[] = [];
  for (let i = lo; i < http.length && http[i].startedAt <= to; i++) {
    if (end(http[i]) + TOLERANCE_MS >= end(call)) out.push(http[i]);
  }
  // The tolerance is for rounding: requests containing the call exactly come first. Otherwise a request that
  // began just after a sub-millisecond call (the client's next one) would be the innermost and take it.
  const exact = out.filter((h) => h.startedAt <= call.startedAt && end(h) >= end(call));
  return (exact.length ? exact : out).sort((a, b) => b.startedAt - a.startedAt || b.id - a.id);
}

export function planLinks(rows: LinkRow[]): LinkPlan {
  const http = rows.filter((r) => PARENT_PROTOCOLS.has(r.protocol)).sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
  const calls = rows.filter((r) => WIRE.has(r.protocol));
  const starts = http.map((r) => r.startedAt);
  const longest = http.reduce((m, r) => Math.max(m, r.durationMs ?? 0), 0);
  const plan: LinkPlan = { parents: new Map(), linked: 0, ambiguous: 0, outside: 0 };

  // First pass: calls one request alone contains (or nested on other hosts) are linked; the rest wait for affinity.
  const contested: Array<{ call: LinkRow; rivals: LinkRow[] }> = [];
  for (const call of calls) {
    const candidates = candidatesOf(call, http, starts, longest);
    if (!candidates.length) {
      plan.parents.set(call.id, null);
      plan.outside++;
      continue;
    }
    const rivals = candidates.filter((c) => c.host === candidates[0].host);
    if (rivals.length === 1) plan.parents.set(call.id, rivals[0].id);
    else contested.push({ call, rivals });
  }
  // Which requests hold which wire connections, from the calls linked without doubt.
  const holders = new Map<string, Set<number>>();
  for (const call of calls) {
    const parent = plan.parents.get(call.id);
    if (parent === undefined || parent === null) continue;
    const key = connectionKey(call);
    let set = holders.get(key);
    if (!set) holders.set(key, (set = new Set()));
    set.add(parent);
  }
  for (const { call, rivals } of contested) {
    const held = holders.get(connectionKey(call));
    const holding = call.connectionId === null || !held ? [] : rivals.filter((r) => held.has(r.id));
    if (holding.length === 1) plan.parents.set(call.id, holding[0].id);
    else {
      plan.parents.set(call.id, null);
      plan.ambiguous++;
    }
  }
  for (const p of plan.parents.values()) if (p !== null) plan.linked++;
  return plan;
}

/** The rows linking reads (every HTTP exchange and every wire call). */
export function linkRows(db: TrafficDb): Array<LinkRow & { parentId: number | null }> {
  const wire = WIRE_PROTOCOLS.map((p) => `'${p}'`).join(', ');
  return db.query(`SELECT id, protocol, host, connection_id, started_at, duration_ms, parent_id FROM exchanges WHERE protocol IN ('http', 'https', ${wire})`).map((r) => ({
    id: Number(r.id),
    protocol: String(r.protocol),
    host: (r.host as string | null) ?? null,
    connectionId: r.connection_id === null ? null : Number(r.connection_id),
    startedAt: Number(r.started_at),
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    parentId: r.parent_id === null ? null : Number(r.parent_id),
  }));
}

export interface LinkResult {
  /** [call id, parent id or null] pairs whose stored parent differs from the plan's. */
  changes: Array<[number, number | null]>;
  linked: number;
  ambiguous: number;
  outside: number;
}

/** The plan for a database, and the parent_id changes it asks for (none when linked already). */
/** SQL: the row is a wire call. */
const WIRE_SQL = `protocol IN (${WIRE_PROTOCOLS.map((p) => `'${p}'`).join(', ')})`;

export function linkChanges(db: TrafficDb): LinkResult {
  // Only wire calls get parents: without any (an HTTP-only capture) there is nothing to plan, and no need to read
  // every row (200k of them held in memory at a capture's stop).
  if (!db.query(`SELECT 1 AS x FROM exchanges WHERE ${WIRE_SQL} LIMIT 1`).length) {
    return { changes: [], linked: 0, ambiguous: 0, outside: 0 };
  }
  // Nothing to link to and no link to undo (a wire-only capture): no need to read every row.
  if (!db.query("SELECT 1 AS x FROM exchanges WHERE protocol IN ('http', 'https') OR parent_id IS NOT NULL LIMIT 1").length) {
    return { changes: [], linked: 0, ambiguous: 0, outside: db.query(`SELECT COUNT(*) AS n FROM exchanges WHERE ${WIRE_SQL}`)[0]?.n as number ?? 0 };
  }
  const rows = linkRows(db);
  const plan = planLinks(rows);
  const changes: Array<[number, number | null]> = [];
  for (const r of rows) {
    if (!plan.parents.has(r.id)) continue;
    const want = plan.parents.get(r.id)!;
    if (want !== r.parentId) changes.push([r.id, want]);
  }
  return { changes, linked: plan.linked, ambiguous: plan.ambiguous, outside: plan.outside };
}

/** What the database held when it was last linked: count and last id change with every insert and delete. */
const linkedAt = new WeakMap<TrafficDb, string>();

/**
 * Links the calls of a database opened for reading (or held by a capture's worker), in memory, when its
 * exchanges changed since the last time: the learn engine and the editor's queries call this before they read
 * parent_id. A capture's stop writes the links into the file (see storeWorker).
 */
export function ensureLinked(db: TrafficDb): void {
  const [r] = db.query('SELECT COUNT(*) AS n, MAX(id) AS last FROM exchanges');
  const stamp = `${String(r?.n)}:${String(r?.last)}`;
  if (linkedAt.get(db) === stamp) return;
  const hasWire = db.query(`SELECT 1 AS x FROM exchanges WHERE ${WIRE_SQL} LIMIT 1`).length > 0;
  if (hasWire) db.setParents(linkChanges(db).changes);
  linkedAt.set(db, stamp);
}
