import type { HeaderPairs } from '../capture/types';
import type { ChainUse, ExchangeFacts } from '../learn/model';
import type { ExchangeView } from '../store/queries';
import type { Bindings } from './bindings';
import { getPointer, jsonOf, mapStrings, setPointer } from './jsonPointer';
import { forwardableHeaders } from './resend';
import { Secrets } from './secrets';
import { decodeOrKeep } from '../uri';

/** A recorded request made ready to send again: chained values re-bound, secrets filled or dropped. */
export interface ReplayRequest {
  method: string;
  /** Path and query, e.g. /api/users/7?expand=1 */
  pathAndQuery: string;
  headers: HeaderPairs;
  body: Buffer | null;
  rebound: string[];
  notes: string[];
}

/** Why a recorded exchange cannot be replayed faithfully, or undefined when it can. */
export function unreplayable(ex: ExchangeView): string | undefined {
  if (ex.protocol !== 'http' && ex.protocol !== 'https') return `${ex.protocol} exchanges`;
  if (ex.status === null) return 'exchanges recorded without a response';
  if (ex.requestBody?.truncated) return 'request bodies truncated at capture';
  return undefined;
}

/** What a use's recorded value is shown as: a redacted secret stays a marker, never the value that replaced it. */
function shown(use: ChainUse, next: string): string {
  return Secrets.hasMarker(use.value) ? `${use.where} ${use.value} → the replayed value` : `${use.where} ${use.value} → ${next}`;
}

export function buildRequest(ex: ExchangeView, facts: ExchangeFacts | undefined, bindings: Bindings, secrets: Secrets): ReplayRequest {
  const url = new URL(ex.url);
  const segments = url.pathname.split('/');
  const query = [...url.searchParams.entries()];
  let queryChanged = false;
  let headers = forwardableHeaders(ex.requestHeaders).filter(([n]) => n.toLowerCase() !== 'host');
  const rawBody = ex.requestBody && ex.requestBody.size > 0 ? ex.requestBody : null;
  let json = rawBody ? jsonOf(rawBody) : undefined;
  let bodyChanged = false;
  const rebound: string[] = [];
  const notes: string[] = [];

  for (const use of facts?.uses ?? []) {
    const next = bindings.lookup(use);
    if (next === undefined) {
      // A redacted value is reported once, below, where it is filled from the environment or dropped.
      if (!Secrets.hasMarker(use.value)) notes.push(`${use.where}: the value chained from exchange ${use.origin.exchangeId} was not produced by its replay; sent as recorded`);
      continue;
    }
    const [kind, rest] = [use.where.slice(0, use.where.indexOf(':')), use.where.slice(use.where.indexOf(':') + 1)];
    let applied = false;
    if (kind === 'path') {
      const k = Number(rest);
      if (segments[k] !== undefined && decodeOrKeep(segments[k]) === use.value) {
        segments[k] = encodeURIComponent(next);
        applied = true;
      }
    } else if (kind === 'query') {
      for (const pair of query) {
        if (pair[0] === rest && pair[1] === use.value) {
          pair[1] = next;
          applied = queryChanged = true;
        }
      }
    } else if (kind === 'body' && json !== undefined) {
      const current = getPointer(json, rest);
      if (current !== undefined && String(current) === use.value) {
        applied = setPointer(json, rest, typeof current === 'number' && Number.isFinite(Number(next)) ? Number(next) : next);
        bodyChanged ||= applied;
      }
    } else if (kind === 'header') {
      headers = headers.map(([n, v]) => {
        if (n.toLowerCase() !== rest || !v.includes(use.value)) return [n, v];
        applied = true;
        return [n, v.split(use.value).join(next)];
      });
    }
    if (applied) rebound.push(shown(use, next));
  }

  // Secrets left after re-binding come from the environment; a header without one is dropped, other places keep the marker.
  headers = headers.flatMap(([n, v]): HeaderPairs => {
    if (!Secrets.hasMarker(v)) return [[n, v]];
    const filled = secrets.fill(v);
    if ('text' in filled) return [[n, filled.text]];
    notes.push(`header ${n.toLowerCase()} dropped: it was redacted at capture; ${Secrets.advice(filled.unfilled)}`);
    return [];
  });
  for (const pair of query) {
    if (!Secrets.hasMarker(pair[1])) continue;
    const filled = secrets.fill(pair[1]);
    if ('text' in filled) pair[1] = filled.text;
    else notes.push(`query ${pair[0]} sent redacted: ${Secrets.advice(filled.unfilled)}`);
    queryChanged = true;
  }
  let body: Buffer | null = null;
  if (rawBody && json !== undefined) {
    const unfilled = new Set<string>();
    const withSecrets = mapStrings(json, (s) => {
      if (!Secrets.hasMarker(s)) return s;
      const filled = secrets.fill(s);
      if ('text' in filled) return filled.text;
      filled.unfilled.forEach((u) => unfilled.add(u));
      return s;
    });
    if (unfilled.size) notes.push(`body sent with redacted values: ${Secrets.advice([...unfilled])}`);
    bodyChanged ||= JSON.stringify(withSecrets) !== JSON.stringify(json);
    json = withSecrets;
    body = bodyChanged ? Buffer.from(JSON.stringify(json), 'utf8') : Buffer.from(rawBody.text, 'utf8');
  } else if (rawBody) {
    let text = rawBody.text;
    if (!rawBody.encoding && Secrets.hasMarker(text)) {
      const filled = secrets.fill(text);
      if ('text' in filled) text = filled.text;
      else notes.push(`body sent with redacted values: ${Secrets.advice(filled.unfilled)}`);
    }
    body = Buffer.from(text, rawBody.encoding === 'base64' ? 'base64' : 'utf8');
  }

  const search = queryChanged ? `?${new URLSearchParams(query).toString()}` : url.search;
  return { method: ex.method, pathAndQuery: `${segments.join('/')}${search}`, headers, body, rebound, notes };
}

