/**
 * Renders one ExchangeView: the summary line, request and response (headers, body) and WebSocket messages in
 * tabs, and the error. Builds DOM nodes only; the panel entry wires the buttons and the tab choice.
 */
import { el } from './dom';
import { base64Bytes, formatBytes, formatClock, formatDateTime, formatMs, statusKind, statusText, utf8Bytes } from './format';
import type { ExchangeView } from './protocol';
import { isWireCall, renderCall, renderLinkedCalls } from './wireView';

type HeaderPairs = ExchangeView['requestHeaders'];
type BodyView = NonNullable<ExchangeView['responseBody']>;
type MessageView = ExchangeView['messages'][number];

/** Messages beyond this many are counted, not drawn. */
const MAX_MESSAGES = 2000;

const OPCODES: Record<number, string> = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

export function renderSummary(x: ExchangeView): HTMLElement {
  const meta = [
    `duration ${formatMs(x.durationMs)}`,
    `ttfb ${formatMs(x.ttfbMs)}`,
    formatDateTime(x.startedAt),
    x.connectionId === null ? null : `connection #${x.connectionId}`,
    x.protocol,
    `session ${x.sessionId}`,
  ].filter((m): m is string => m !== null);
  return el('header', { class: 'ct-summary', testid: 'summary' },
    el('div', { class: 'ct-summary-line' },
      el('span', { class: 'ct-method', testid: 'method' }, x.method),
      el('span', { class: 'ct-url', testid: 'url', title: x.url }, x.url),
      el('span', { class: 'ct-arrow', attrs: { 'aria-hidden': 'true' } }, '→'),
      isWireCall(x.protocol) && x.status === null
        ? el('span', { class: `ct-status ct-${x.error ? 'error' : 's2xx'}`, testid: 'status' }, x.error ? 'error' : 'ok')
        : el('span', { class: `ct-status ct-${statusKind(x.status)}`, testid: 'status' }, statusText(x.status, x.error)),
    ),
    el('div', { class: 'ct-meta', testid: 'meta' }, meta.join(' · ')),
    x.redacted && el('div', { class: 'ct-note', testid: 'redacted' }, 'Secrets in this exchange (credentials, cookies, tokens) were redacted when it was stored.'),
    x.error && el('div', { class: 'ct-error-block', testid: 'error', attrs: { role: 'alert' } }, x.error),
  );
}

export function renderHeaders(headers: HeaderPairs | null, testid: string): HTMLElement {
  if (!headers) return el('p', { class: 'ct-muted', testid }, 'No response headers.');
  if (!headers.length) return el('p', { class: 'ct-muted', testid }, 'No headers.');
  return el('table', { class: 'ct-headers', testid },
    el('thead', {}, el('tr', {}, el('th', { attrs: { scope: 'col' } }, 'Name'), el('th', { attrs: { scope: 'col' } }, 'Value'))),
    el('tbody', {}, ...headers.map(([name, value]) => el('tr', {}, el('td', { class: 'ct-header-name' }, name), el('td', { class: 'ct-header-value' }, value)))),
  );
}

export function renderBody(body: BodyView | null, testid: string): HTMLElement {
  const box = el('section', { class: 'ct-body', testid, attrs: { 'aria-label': 'Body' } });
  if (!body) {
    box.append(el('p', { class: 'ct-muted', testid: `${testid}-none` }, 'No body.'));
    return box;
  }
  const facts = [body.contentType ?? 'no content type', formatBytes(body.size)];
  if (body.pretty !== undefined) facts.push('JSON, pretty-printed');
  box.append(el('div', { class: 'ct-body-facts' }, facts.join(' · ')));
  if (body.truncated) {
    const shown = body.encoding === 'base64' ? base64Bytes(body.text) : utf8Bytes(body.text);
    box.append(el('p', { class: 'ct-note', testid: `${testid}-truncated` }, `Truncated: showing first ${shown.toLocaleString('en-US')} of ${body.size.toLocaleString('en-US')} bytes.`));
  }
  if (body.size === 0 && body.text === '') {
    box.append(el('p', { class: 'ct-muted' }, 'Empty body.'));
  } else if (body.encoding === 'base64') {
    box.append(
      el('p', { class: 'ct-muted', testid: `${testid}-binary` }, `Binary body (${formatBytes(base64Bytes(body.text))} stored), not shown as text.`),
      el('details', {}, el('summary', {}, 'Show as base64'), el('pre', { class: 'ct-pre ct-base64' }, body.text)),
    );
  } else {
    box.append(el('pre', { class: `ct-pre${body.pretty !== undefined ? ' ct-json' : ''}`, testid: `${testid}-text`, attrs: { tabindex: 0 } }, body.pretty ?? body.text));
  }
  return box;
}

function messagePayload(m: MessageView): string {
  if (m.text === null) return `(${formatBytes(m.size)}, not kept)`;
  if (m.encoding === 'base64') return `binary, ${formatBytes(m.size)}`;
  return m.text;
}

export function renderMessages(messages: MessageView[]): HTMLElement {
  if (!messages.length) return el('p', { class: 'ct-muted', testid: 'messages' }, 'No messages.');
  const shown = messages.slice(0, MAX_MESSAGES);
  return el('div', { testid: 'messages' },
    el('table', { class: 'ct-messages' },
      el('thead', {}, el('tr', {}, ...['', 'Time', 'Type', 'Size', 'Data'].map((h) => el('th', { attrs: { scope: 'col' } }, h)))),
      el('tbody', {}, ...shown.map((m) => el('tr', { class: `ct-dir-${m.direction}` },
        el('td', { title: m.direction === 'client' ? 'client → server' : 'server → client' }, m.direction === 'client' ? '↑' : '↓'),
        el('td', {}, formatClock(m.at)),
        el('td', {}, OPCODES[m.opcode] ?? String(m.opcode)),
        el('td', {}, formatBytes(m.size)),
        el('td', { class: 'ct-message-data' }, messagePayload(m)),
      ))),
    ),
    messages.length > shown.length && el('p', { class: 'ct-note' }, `Showing the first ${shown.length} of ${messages.length} messages.`),
  );
}

export interface Section {
  label: string;
  testid: string;
  count?: number;
  content: HTMLElement[];
}

/**
 * The tabs of an exchange, in order. Messages only for WebSocket exchanges (or any that has some); a database or
 * cache call shows its statement and result; an HTTP exchange that made calls lists them.
 */
export function sectionsOf(x: ExchangeView, open: (id: number) => void = () => undefined): Section[] {
  if (isWireCall(x.protocol)) {
    return [
      { label: 'Call', testid: 'tab-call', content: [renderCall(x)] },
      { label: 'Raw', testid: 'tab-raw', content: [renderBody(x.requestBody, 'request-body'), renderBody(x.responseBody, 'response-body')] },
    ];
  }
  const sections: Section[] = [
    { label: 'Request', testid: 'tab-request', content: [renderHeaders(x.requestHeaders, 'request-headers'), renderBody(x.requestBody, 'request-body')] },
    { label: 'Response', testid: 'tab-response', content: [renderHeaders(x.responseHeaders, 'response-headers'), renderBody(x.responseBody, 'response-body')] },
  ];
  if (x.messages.length || x.protocol === 'ws' || x.protocol === 'wss') {
    sections.push({ label: 'Messages', testid: 'tab-messages', count: x.messages.length, content: [renderMessages(x.messages)] });
  }
  if (x.calls?.length) sections.push({ label: 'Calls', testid: 'tab-calls', count: x.calls.length, content: [renderLinkedCalls(x.calls, open)] });
  return sections;
}
