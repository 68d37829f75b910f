import * as fs from 'node:fs';
import * as path from 'node:path';
import { Redactor, defaultRedaction } from '../capture/redact';
import { pairsToRawHeaders, type CapturedExchange, type CapturedMessage, type HeaderPairs, type Protocol } from '../capture/types';
import { InputError, describeError } from '../errors';
import { ensureParentDir } from '../store/atomicWrite';
import { TrafficDb } from '../store/database';
import { acquireLock, releaseLock } from '../store/lock';
import { prepareExchange, prepareMessage } from '../store/prepare';
import type { RedactionSpec } from '../store/protocol';
import type { Har, HarEntry } from './types';

export interface ImportResult {
  sessionId: number;
  exchanges: number;
  messages: number;
  file: string;
}

/** Reads and checks a HAR file; errors name the file and the first thing wrong with it. */
export function readHar(file: string): Har {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${describeError(e)}`);
  }
  let har: Har;
  try {
    har = JSON.parse(text.replace(/^\uFEFF/, '')) as Har;
  } catch (e) {
    throw new InputError(`${file} is not JSON (${describeError(e)}); export a HAR from your browser's network tab or another proxy`);
  }
  if (!har || typeof har !== 'object' || !har.log || !Array.isArray(har.log.entries)) {
    throw new InputError(`${file} is not a HAR file: it has no log.entries array`);
  }
  har.log.entries.forEach((e, i) => {
    if (!e?.request?.method || !e.request.url) throw new InputError(`${file}: entry ${i} has no request.method or request.url`);
    const problem = fieldProblem(e);
    if (problem) throw new InputError(`${file}: entry ${i} has ${problem}; fix the entry, or export the HAR again`);
  });
  return har;
}

/** RFC 9110 §5.6.2: a method is a token. Anything else is no HTTP method, and would reach generated code. */
const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const URL_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);

/** A field of an entry whose type the import cannot take (HAR's types), or null. */
function fieldProblem(e: HarEntry): string | null {
  if (typeof e.request.method !== 'string' || typeof e.request.url !== 'string') return 'a request.method or request.url that is not a string';
  if (!METHOD_TOKEN.test(e.request.method)) return `request.method ${JSON.stringify(e.request.method.slice(0, 40))}, not an HTTP method`;
  if (e.request.method !== 'CONNECT' && !absoluteUrl(e.request.url)) return `request.url ${JSON.stringify(e.request.url.slice(0, 80))}, not an absolute http(s) or ws(s) URL`;
  const status: unknown = e.response?.status;
  if (status !== undefined && status !== null && !Number.isInteger(status)) return `response.status ${JSON.stringify(status)}, not a whole number`;
  const texts: Array<[string, unknown]> = [['request.postData.text', e.request.postData?.text], ['response.content.text', e.response?.content?.text]];
  for (const [where, v] of texts) if (v !== undefined && v !== null && typeof v !== 'string') return `a ${where} that is not a string`;
  const lists: Array<[string, unknown]> = [['request.headers', e.request.headers], ['response.headers', e.response?.headers]];
  for (const [where, v] of lists) {
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) return `a ${where} that is not a list`;
    const bad = v.findIndex((h: unknown) => !isNameValue(h));
    if (bad >= 0) return `${where}[${bad}], not a {name, value} of strings`;
  }
  const frames: unknown = e._webSocketMessages;
  if (frames !== undefined && frames !== null) {
    if (!Array.isArray(frames)) return 'a _webSocketMessages that is not a list';
    const bad = frames.findIndex((m: unknown) => !isFrame(m));
    if (bad >= 0) return `_webSocketMessages[${bad}], not a {type: send|receive, time, opcode, data}`;
  }
  return null;
}

function absoluteUrl(url: string): boolean {
  try {
    return URL_SCHEMES.has(new URL(url).protocol);
  } catch {
    return false;
  }
}

function isNameValue(h: unknown): boolean {
  const x = h as { name?: unknown; value?: unknown } | null;
  return typeof x === 'object' && x !== null && typeof x.name === 'string' && (typeof x.value === 'string' || typeof x.value === 'number');
}

function isFrame(m: unknown): boolean {
  const x = m as { type?: unknown; time?: unknown; opcode?: unknown; data?: unknown } | null;
  return typeof x === 'object' && x !== null && (x.type === 'send' || x.type === 'receive') && Number.isFinite(x.time) && Number.isInteger(x.opcode) && typeof x.data === 'string';
}

/** HAR's `HTTP/1.1`, `HTTP/2.0`, `h2`, `http/2.0` → the stored version ('1.0', '1.1', '2', '3'), or undefined. */
function httpVersionOf(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(?:https?\/|h)(\d)(?:\.(\d))?$/i.exec(v.trim());
  if (!m) return undefined;
  return m[1] === '1' ? `1.${m[2] ?? '1'}` : m[1];
}

function pairs(list: Array<{ name: string; value: string }> | undefined): HeaderPairs {
  return (list ?? []).map((h) => [String(h.name), String(h.value)]);
}

function bytes(text: string | undefined, encoding: string | undefined): Buffer | null {
  if (text === undefined || text === '') return null;
  return encoding === 'base64' ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
}

/** A HAR string field as it is, or undefined when it is missing or not a string. */
function textOr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function protocolOf(entry: HarEntry): Protocol {
  if (entry._protocol && ['http', 'https', 'ws', 'wss', 'tunnel'].includes(entry._protocol)) return entry._protocol as Protocol;
  if (entry.request.method === 'CONNECT') return 'tunnel';
  if (entry._webSocketMessages?.length || entry.response?.status === 101) return entry.request.url.startsWith('https') || entry.request.url.startsWith('wss') ? 'wss' : 'ws';
  return entry.request.url.startsWith('https') ? 'https' : 'http';
}

export function harToCaptured(har: Har): { exchanges: CapturedExchange[]; messages: CapturedMessage[] } {
  const exchanges: CapturedExchange[] = [];
  const messages: CapturedMessage[] = [];
  har.log.entries.forEach((e, i) => {
    const seq = i + 1;
    const t = e.timings ?? { send: 0, wait: 0, receive: 0 };
    const pos = (n: number | undefined): number => (typeof n === 'number' && n > 0 ? n : 0);
    const ttfb = pos(t.blocked) + pos(t.dns) + pos(t.connect) + pos(t.send) + pos(t.wait);
    const reqData = bytes(e.request.postData?.text, e.request.postData?.encoding);
    const resData = bytes(e.response?.content?.text, e.response?.content?.encoding);
    const reqSize = e.request.bodySize > 0 ? e.request.bodySize : reqData?.length ?? 0;
    const resSize = e.response?.content?.size > 0 ? e.response.content.size : resData?.length ?? 0;
    const status = e.response?.status ? e.response.status : null;
    exchanges.push({
      seq,
      protocol: protocolOf(e),
      connectionId: Number(e.connection) || 0,
      startedAt: Date.parse(e.startedDateTime) || 0,
      ttfbMs: ttfb,
      durationMs: typeof e.time === 'number' && e.time >= 0 ? e.time : null,
      method: e.request.method,
      url: e.request.url,
      status,
      requestHeaders: pairsToRawHeaders(pairs(e.request.headers)),
      responseHeaders: status === null && !e.response?.headers?.length ? null : pairsToRawHeaders(pairs(e.response?.headers)),
      requestBody: { data: reqData, size: Math.max(reqSize, reqData?.length ?? 0), truncated: Boolean(e.request.postData?._truncated), mimeType: textOr(e.request.postData?.mimeType) },
      responseBody: { data: resData, size: Math.max(resSize, resData?.length ?? 0), truncated: Boolean(e.response?.content?._truncated), mimeType: textOr(e.response?.content?.mimeType) },
      error: e._error ?? null,
      httpVersion: httpVersionOf(e.request.httpVersion),
    });
    for (const m of e._webSocketMessages ?? []) {
      const data = bytes(m.data, m._encoding) ?? Buffer.alloc(0);
      messages.push({
        exchangeSeq: seq,
        direction: m.type === 'send' ? 'client' : 'server',
        at: m.time * 1000,
        opcode: m.opcode,
        size: m._size ?? data.length,
        data,
        truncated: Boolean(m._truncated),
      });
    }
  });
  return { exchanges, messages };
}

/** Imports a HAR file as a new session of the database (created if missing), redacting as a capture would. */
export async function importHar(harFile: string, dbFile: string, redaction: RedactionSpec = { enabled: true, extraFields: [] }): Promise<ImportResult> {
  const har = readHar(harFile);
  const { exchanges, messages } = harToCaptured(har);
  const file = path.resolve(dbFile);
  ensureParentDir(file);
  acquireLock(file);
  try {
    const db = await TrafficDb.open(file, { create: true });
    try {
      const options = defaultRedaction(redaction.extraFields);
      options.enabled = redaction.enabled;
      const redactor = new Redactor(options, db.salt);
      let lsn = db.appliedLsn;
      const sessionId = db.nextSessionId();
      // A loop, not Math.min(...list): spreading 100k+ arguments overflows the stack.
      const startedAt = exchanges.length ? exchanges.reduce((min, e) => Math.min(min, e.startedAt), Infinity) : Date.now();
      db.apply({ lsn: ++lsn, op: 'session', id: sessionId, session: { kind: 'import', target: path.resolve(harFile), listen: null, startedAt } });
      db.apply({ lsn: ++lsn, op: 'exchanges', sessionId, rows: exchanges.map((e) => prepareExchange(e, redactor, { alreadyDecoded: true })) });
      db.apply({ lsn: ++lsn, op: 'messages', sessionId, rows: messages.map((m) => prepareMessage(m, redactor)) });
      const end = exchanges.length ? exchanges.reduce((max, e) => Math.max(max, e.startedAt + (e.durationMs ?? 0)), -Infinity) : startedAt;
      db.apply({ lsn: ++lsn, op: 'finish', sessionId, stoppedAt: end, dropped: 0 });
      db.save();
      return { sessionId, exchanges: exchanges.length, messages: messages.length, file };
    } finally {
      db.close();
    }
  } finally {
    releaseLock(file);
  }
}
