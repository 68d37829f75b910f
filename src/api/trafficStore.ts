/**
 * The traffic database from code: what `chaos-testing list`, `show`, `export` and `learn` read, through the same
 * reader (a running capture's latest exchanges included).
 */
import { exportHar, exportJson } from '../core/har/export';
import type { Har } from '../core/har/types';
import { learn } from '../core/learn/learn';
import type { BehaviourModel } from '../core/learn/model';
import { toOpenApi } from '../core/learn/openapi';
import { groupEndpoints, type EndpointCount } from '../core/learn/pathTemplate';
import type { ExchangeDetail, ExchangeQuery, ExchangeSummary, SessionRow, TrafficDb } from '../core/store/database';
import { openForReading } from '../core/store/reader';

/**
 * A traffic database opened for reading. Close it when done.
 *
 * @example
 * const store = await TrafficStore.open('.chaos/traffic.db');
 * try { for (const e of store.exchanges({ limit: 10 })) console.log(e.method, e.url, e.status); } finally { store.close(); }
 */
export class TrafficStore {
  private constructor(private readonly _db: TrafficDb) {}

  /** Opens a database; a missing, foreign or corrupt file is a StoreError (and is never modified). */
  static async open(file: string): Promise<TrafficStore> {
    return new TrafficStore(await openForReading(file));
  }

  /** The capture sessions, oldest first. */
  sessions(): SessionRow[] {
    return this._db.sessions();
  }

  /** Endpoints (method and path template) with their counts, protocols and statuses, optionally of one session. */
  endpoints(sessionId?: number): EndpointCount[] {
    return groupEndpoints(this._db.pathCounts(sessionId));
  }

  /** Exchanges (in the store's order), optionally of one session, paged with `limit` and `offset`. */
  exchanges(query: ExchangeQuery = {}): ExchangeSummary[] {
    return this._db.exchanges(query);
  }

  /** One exchange with headers, bodies and messages, or undefined. */
  exchange(id: number): ExchangeDetail | undefined {
    return this._db.exchange(id);
  }

  /** How many exchanges (of one session). */
  count(sessionId?: number): number {
    return this._db.countExchanges(sessionId);
  }

  /** The exchanges as a HAR 1.2 document (for browsers, mitmproxy, k6, ...). */
  toHar(sessionId?: number): Har {
    return exportHar(this._db, sessionId);
  }

  /** The exchanges with every stored field, as JSON-ready objects. */
  toJson(sessionId?: number): unknown {
    return exportJson(this._db, sessionId);
  }

  /** The behaviour learnt from the exchanges: endpoint templates, schemas, distributions, chained values, scenarios. */
  behaviour(sessionId?: number): BehaviourModel {
    return learn(this._db, { sessionId });
  }

  /** The learnt behaviour as an OpenAPI 3.1 document. */
  toOpenApi(sessionId?: number): Record<string, unknown> {
    return toOpenApi(this.behaviour(sessionId));
  }

  /** Closes the file (never written by a reader). */
  close(): void {
    this._db.close();
  }
}
