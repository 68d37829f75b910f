import type { TrafficDb } from '../store/database';
import { ensureLinked } from '../store/link';
import type { EndpointCall } from './model';
import { templateStatement } from './statementTemplate';

/** One linked call, as learn groups it. */
export interface LinkedCall {
  protocol: string;
  host: string | null;
  method: string;
  template: string;
}

/** The database and cache calls linked to each HTTP exchange (parent id → calls in the order made). */
export function callsByParent(db: TrafficDb, sessionId?: number): Map<number, LinkedCall[]> {
  ensureLinked(db);
  const where = sessionId === undefined ? '' : 'AND session_id = ?';
  const rows = db.query(`SELECT parent_id, protocol, host, method, url FROM exchanges WHERE parent_id IS NOT NULL ${where} ORDER BY started_at, id`, sessionId === undefined ? [] : [sessionId]);
  const out = new Map<number, LinkedCall[]>();
  for (const r of rows) {
    const parent = Number(r.parent_id);
    const protocol = String(r.protocol);
    const call = { protocol, host: (r.host as string | null) ?? null, method: String(r.method), template: templateStatement(protocol, String(r.url)) };
    const list = out.get(parent);
    if (list) list.push(call);
    else out.set(parent, [call]);
  }
  return out;
}

/** Accumulates the calls of one endpoint's exchanges into its `calls` list. */
export class EndpointCalls {
  private readonly _byKey = new Map<string, EndpointCall>();
  private readonly _requests = new Map<string, Set<number>>();

  add(exchangeId: number, calls: LinkedCall[]): void {
    for (const c of calls) {
      const key = `${c.protocol}\0${c.host ?? ''}\0${c.method}\0${c.template}`;
      let e = this._byKey.get(key);
      if (!e) this._byKey.set(key, (e = { protocol: c.protocol, host: c.host, method: c.method, statement: c.template, count: 0, requests: 0 }));
      e.count++;
      let seen = this._requests.get(key);
      if (!seen) this._requests.set(key, (seen = new Set()));
      seen.add(exchangeId);
      e.requests = seen.size;
    }
  }

  /** In the order first made. */
  list(): EndpointCall[] {
    return [...this._byKey.values()];
  }
}

/** "postgres SELECT id FROM users WHERE id = $1 (2 per request)" — one line of the text model and of test comments. */
export function callLine(c: EndpointCall): string {
  const per = c.requests > 0 && c.count > c.requests ? ` (×${Math.round((c.count / c.requests) * 10) / 10} per request)` : '';
  return `${c.protocol} ${c.statement}${per}`;
}
