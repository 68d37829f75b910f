import type { SqlValue } from 'sql.js';
import { bodyAsText } from '../store/bodyText';
import type { HeaderPairs } from '../capture/types';
import type { TrafficDb } from '../store/database';
import type { TrafficExchange } from './rules/rule';

const MAX_BODY_CHARS = 1024 * 1024;
const PAGE = 500;

// One query per page of exchanges with both bodies joined (per-exchange lookups cost four queries each).
const PAGE_SQL = `
  SELECT e.id, e.url, e.method, e.status, e.started_at, e.duration_ms, e.request_headers, e.response_headers,
         rq.data AS request_body, e.request_content_type, rs.data AS response_body, e.response_content_type
  FROM exchanges e
  LEFT JOIN bodies rq ON rq.hash = e.request_body_hash
  LEFT JOIN bodies rs ON rs.hash = e.response_body_hash
  WHERE e.id > ? AND e.protocol IN ('http', 'https')
  ORDER BY e.id LIMIT ${PAGE}`;

function text(data: SqlValue, contentType: SqlValue): string {
  if (!(data instanceof Uint8Array) || data.length === 0) return '';
  const t = bodyAsText(data, contentType as string | null);
  return t.encoding ? '' : t.text.slice(0, MAX_BODY_CHARS);
}

/** The database's HTTP exchanges one at a time, in id order (wire calls, WebSockets and tunnels are not audited). */
export function* trafficExchanges(db: TrafficDb): Generator<TrafficExchange> {
  let after = 0;
  for (;;) {
    const rows = db.query(PAGE_SQL, [after]);
    for (const r of rows) {
      yield {
        id: Number(r.id),
        url: String(r.url),
        method: String(r.method),
        status: r.status === null ? null : Number(r.status),
        startedAt: Number(r.started_at),
        durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
        requestHeaders: JSON.parse(String(r.request_headers)) as HeaderPairs,
        responseHeaders: r.response_headers === null ? [] : (JSON.parse(String(r.response_headers)) as HeaderPairs),
        requestBody: text(r.request_body, r.request_content_type),
        responseBody: text(r.response_body, r.response_content_type),
        responseContentType: (r.response_content_type as string | null) ?? '',
      };
    }
    if (rows.length < PAGE) return;
    after = Number(rows[rows.length - 1].id);
  }
}
