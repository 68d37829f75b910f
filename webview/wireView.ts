/**
 * A database or cache call in the exchange panel: the statement (SQL highlighted), its parameters and its result
 * summary (rows, affected, reply type, error, transaction state); and, for an HTTP exchange, the calls it made.
 * The wire capture stores the request and the result as JSON bodies; any shape is shown, known fields first.
 */
import { el } from './dom';
import { formatMs } from './format';
import type { ExchangeRow, ExchangeView } from './protocol';
import { renderSql } from './sqlHighlight';

const WIRE = new Set(['postgres', 'mysql', 'redis', 'kafka', 'grpc']);
const SQL = new Set(['postgres', 'mysql']);

export function isWireCall(protocol: string): boolean {
  return WIRE.has(protocol);
}

function parsed(body: ExchangeView['requestBody']): unknown {
  if (!body || body.encoding) return undefined;
  try {
    return JSON.parse(body.text) as unknown;
  } catch {
    return body.text || undefined;
  }
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** A two-column table of a value's fields (an array by index), or null when there is nothing to show. */
function factsTable(value: unknown, testid: string): HTMLElement | null {
  if (value === undefined || value === null) return null;
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [`$${i + 1}`, v]) : typeof value === 'object' ? Object.entries(value) : [['value', value]];
  if (!entries.length) return null;
  return el('table', { class: 'ct-facts', testid },
    el('tbody', {}, ...entries.map(([k, v]) => el('tr', { attrs: { 'data-key': k } }, el('th', { attrs: { scope: 'row' } }, k), el('td', {}, show(v))))));
}

/** The parameter list inside a request summary: params, args or parameters, else the whole request. */
function parametersOf(request: unknown): unknown {
  if (request && typeof request === 'object' && !Array.isArray(request)) {
    const o = request as Record<string, unknown>;
    for (const k of ['params', 'parameters', 'args', 'arguments']) if (o[k] !== undefined) return o[k];
  }
  return request;
}

export function renderCall(x: ExchangeView): HTMLElement {
  const request = parsed(x.requestBody);
  const response = parsed(x.responseBody);
  const params = factsTable(parametersOf(request), 'call-params');
  return el('section', { class: 'ct-call', testid: 'call' },
    el('h3', { class: 'ct-heading' }, `${x.protocol} ${x.method} on ${x.host ?? 'unknown host'}`),
    SQL.has(x.protocol) ? renderSql(x.url, 'call-statement') : el('pre', { class: 'ct-pre', testid: 'call-statement' }, x.url),
    el('h3', { class: 'ct-heading' }, 'Parameters'),
    params ?? el('p', { class: 'ct-muted', testid: 'call-params' }, 'No parameters.'),
    el('h3', { class: 'ct-heading' }, 'Result'),
    x.error && el('div', { class: 'ct-error-block', testid: 'call-error', attrs: { role: 'alert' } }, x.error),
    factsTable(response, 'call-result') ?? el('p', { class: 'ct-muted', testid: 'call-result' }, x.error ? 'No result.' : 'No result summary.'),
    x.parentId !== null && el('p', { class: 'ct-muted', testid: 'call-parent' }, `Made while serving HTTP exchange #${x.parentId}.`),
  );
}

/** The calls an HTTP exchange made, in order; a click opens one. */
export function renderLinkedCalls(calls: ExchangeRow[], open: (id: number) => void): HTMLElement {
  if (!calls.length) return el('p', { class: 'ct-muted', testid: 'calls' }, 'No database or cache calls were linked to this exchange.');
  return el('table', { class: 'ct-calls', testid: 'calls' },
    el('tbody', {}, ...calls.map((c) => el('tr', { testid: 'linked-call', attrs: { 'data-id': c.id } },
      el('td', {}, c.protocol),
      el('td', {}, el('a', { attrs: { href: '#', role: 'button' }, on: { click: (e) => { e.preventDefault(); open(c.id); } } }, `${c.method} ${c.url}`)),
      el('td', {}, formatMs(c.durationMs)),
      el('td', { class: c.error ? 'ct-error-text' : '' }, c.error ?? ''),
    ))));
}
