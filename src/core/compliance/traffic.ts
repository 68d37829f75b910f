import { bodyAsText } from '../store/bodyText';
import type { StoredBody, TrafficDb } from '../store/database';
import type { TrafficExchange } from './rules/rule';

const MAX_BODY_CHARS = 1024 * 1024;

function text(body: StoredBody | null): string {
  if (!body || body.data.length === 0) return '';
  const t = bodyAsText(body.data, body.contentType);
  return t.encoding ? '' : t.text.slice(0, MAX_BODY_CHARS);
}

/** The database's HTTP exchanges one at a time, in id order (wire calls and tunnels are not audited). */
export function* trafficExchanges(db: TrafficDb): Generator<TrafficExchange> {
  for (const id of db.exchangeIds()) {
    const d = db.exchange(id);
    if (!d || (d.protocol !== 'http' && d.protocol !== 'https')) continue;
    yield {
      id,
      url: d.url,
      method: d.method,
      status: d.status,
      startedAt: d.startedAt,
      requestHeaders: d.requestHeaders,
      responseHeaders: d.responseHeaders ?? [],
      requestBody: text(d.requestBody),
      responseBody: text(d.responseBody),
      responseContentType: d.responseBody?.contentType ?? '',
    };
  }
}
