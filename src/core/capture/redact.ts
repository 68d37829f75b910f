import { createHmac } from 'node:crypto';
import type { HeaderPairs } from './types';

/**
 * Redaction at capture: secrets are replaced by `[REDACTED:xxxxxxxx]`, where the 8 hex digits are an HMAC of the
 * value under a per-database salt. Equal secrets get equal markers (so "the same token was reused" stays visible),
 * while the marker cannot be checked against a guessed secret without the salt.
 */
export interface RedactionOptions {
  enabled: boolean;
  /** Header names redacted whole (case-insensitive). */
  headers: string[];
  /** Field names (header, query parameter, JSON key, form field) matching this pattern are redacted. */
  fieldPattern: RegExp;
}

export const DEFAULT_REDACTED_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
export const DEFAULT_FIELD_WORDS = ['token', 'secret', 'password', 'passwd', 'api[-_]?key', 'apikey', 'credential', 'private[-_]?key', 'session[-_]?id'];

export function defaultRedaction(extraFields: string[] = []): RedactionOptions {
  return {
    enabled: true,
    headers: [...DEFAULT_REDACTED_HEADERS],
    fieldPattern: fieldPattern(extraFields),
  };
}

export function fieldPattern(extraFields: string[] = []): RegExp {
  const words = [...DEFAULT_FIELD_WORDS, ...extraFields.map(escapeRegExp)];
  return new RegExp(words.join('|'), 'i');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const REDACTED_PREFIX = '[REDACTED:';
/** Between the cookies of one Set-Cookie value; captured, so that split() keeps it at the odd indexes. */
const SET_COOKIE_SEPARATOR = /(\r?\n|,(?=\s*[^;=,\s]+=))/;
const MARKERS_MAX = 1_024;

export class Redactor {
  private readonly _headerSet: Set<string>;
  private readonly _markers = new Map<string, string>();
  /** Whether a header name (as sent) is redacted: the same few names come on every exchange. */
  private readonly _secretHeaders = new Map<string, boolean>();
  /** Any redacted header name, to tell quickly whether a JSON text may hold one as a key. */
  private readonly _headerNames: RegExp;
  constructor(private readonly _options: RedactionOptions, private readonly _salt: string) {
    this._headerSet = new Set(_options.headers.map((h) => h.toLowerCase()));
    this._headerNames = this._headerSet.size ? new RegExp([...this._headerSet].map(escapeRegExp).join('|'), 'i') : /$^/;
  }

  get enabled(): boolean {
    return this._options.enabled;
  }

  marker(value: string): string {
    // The same token comes back request after request: an HMAC costs more than the rest of a header's redaction.
    let m = this._markers.get(value);
    if (m === undefined) {
      const digest = createHmac('sha256', this._salt).update(value).digest('hex').slice(0, 8);
      m = `${REDACTED_PREFIX}${digest}]`;
      if (this._markers.size >= MARKERS_MAX) this._markers.clear();
      this._markers.set(value, m);
    }
    return m;
  }

  private _isSecretName(name: string): boolean {
    return this._options.fieldPattern.test(name);
  }

  /**
   * Whether body(data, 'application/json') could change this JSON text: false when no field name in it can match,
   * which a scan of the whole text shows, unless escapes (`\u0074oken`) could spell a name.
   */
  mayRedactJson(text: string): boolean {
    if (!this.enabled) return false;
    return text.includes('\\') || this._options.fieldPattern.test(text) || this._headerNames.test(text);
  }

  /** Returns new pairs and whether anything was redacted. */
  headers(pairs: HeaderPairs | null): { pairs: HeaderPairs | null; changed: boolean } {
    if (!pairs || !this.enabled) return { pairs, changed: false };
    // Copied only from the first secret on: most exchanges have none, and keep their pairs as they are.
    let out: HeaderPairs | null = null;
    for (let i = 0; i < pairs.length; i++) {
      const [name, value] = pairs[i];
      if (this._isSecretHeader(name)) {
        out ??= pairs.map(([n, v]) => [n, v]);
        out[i] = [name, this._headerValue(name.toLowerCase(), value)];
      }
    }
    return out === null ? { pairs, changed: false } : { pairs: out, changed: true };
  }

  private _isSecretHeader(name: string): boolean {
    let secret = this._secretHeaders.get(name);
    if (secret === undefined) {
      const lower = name.toLowerCase();
      secret = this._headerSet.has(lower) || this._isSecretName(lower);
      if (this._secretHeaders.size >= MARKERS_MAX) this._secretHeaders.clear();
      this._secretHeaders.set(name, secret);
    }
    return secret;
  }

  /** Keeps the auth scheme and cookie names readable: `Bearer [REDACTED:..]`, `sid=[REDACTED:..]`. */
  private _headerValue(lowerName: string, value: string): string {
    if (lowerName === 'authorization' || lowerName === 'proxy-authorization') {
      const m = /^(\w+)\s+(.+)$/.exec(value);
      if (m) return `${m[1]} ${this.marker(m[2])}`;
    }
    if (lowerName === 'cookie') {
      return value.split(/;\s*/).map((c) => this._cookiePair(c)).join('; ');
    }
    if (lowerName === 'set-cookie') {
      // One value may hold several cookies: joined by a newline (Firefox's HAR, fetch's Headers) or by a comma
      // before the next `name=` (a comma in `Expires=Wed, 21 Oct` is followed by no `=`).
      return value
        .split(SET_COOKIE_SEPARATOR)
        .map((part, i) => (i % 2 === 1 || part.trim() === '' ? part : this._setCookie(part)))
        .join('');
    }
    return this.marker(value);
  }

  private _setCookie(cookie: string): string {
    const [first, ...attrs] = cookie.split(';');
    return [this._cookiePair(first), ...attrs].join(';');
  }

  private _cookiePair(pair: string): string {
    const eq = pair.indexOf('=');
    if (eq < 0) return this.marker(pair);
    return `${pair.slice(0, eq)}=${this.marker(pair.slice(eq + 1))}`;
  }

  /** Redacts the password of `user:password@` and query parameters with secret names; leaves the rest byte-for-byte. */
  url(url: string): { url: string; changed: boolean } {
    if (!this.enabled) return { url, changed: false };
    const auth = this._userinfo(url);
    const q = auth.url.indexOf('?');
    if (q < 0) return auth;
    const hashAt = auth.url.indexOf('#', q);
    const query = auth.url.slice(q + 1, hashAt < 0 ? undefined : hashAt);
    const { text, changed } = this._form(query);
    if (!changed) return auth;
    return { url: auth.url.slice(0, q + 1) + text + (hashAt < 0 ? '' : auth.url.slice(hashAt)), changed };
  }

  /** `http://bob:secret@host/` → `http://bob:%5BREDACTED%3A..%5D@host/`: the user name stays, as curl and browsers show it. */
  private _userinfo(url: string): { url: string; changed: boolean } {
    if (!url.includes('@')) return { url, changed: false };
    const scheme = /^[a-z][a-z\d+.-]*:\/\//i.exec(url);
    if (!scheme) return { url, changed: false };
    const start = scheme[0].length;
    const end = url.slice(start).search(/[/?#]/);
    const authority = url.slice(start, end < 0 ? undefined : start + end);
    // The last `@` ends the userinfo (an unescaped `@` in a password comes before it), the first `:` ends the user.
    const at = authority.lastIndexOf('@');
    const colon = authority.indexOf(':');
    if (at < 0 || colon < 0 || colon > at || colon + 1 === at) return { url, changed: false };
    const password = authority.slice(colon + 1, at);
    return { url: url.slice(0, start + colon + 1) + encodeURIComponent(this.marker(password)) + url.slice(start + at), changed: true };
  }

  private _form(text: string): { text: string; changed: boolean } {
    let changed = false;
    const parts = text.split('&').map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part;
      let name = part.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // keep the raw name
      }
      if (!this._isSecretName(name)) return part;
      changed = true;
      return `${part.slice(0, eq)}=${encodeURIComponent(this.marker(part.slice(eq + 1)))}`;
    });
    return { text: parts.join('&'), changed };
  }

  /**
   * Redacts a decoded body: JSON fields by name at any depth, form fields, and, for text that does not parse
   * (a truncated JSON body), `"name": "value"` pairs found by pattern.
   */
  body(data: Uint8Array, contentType: string | undefined): { data: Uint8Array; changed: boolean } {
    if (!this.enabled || data.length === 0) return { data, changed: false };
    const ct = (contentType ?? '').toLowerCase();
    // Where the JSON starts, after a head to keep (a socket.io frame's `42`), or -1 when it does not look like JSON.
    const jsonAt = ct.includes('json') ? 0 : ct === '' ? untypedJsonAt(data) : -1;
    const looksJson = jsonAt >= 0;
    const isForm = ct.includes('application/x-www-form-urlencoded');
    if (!looksJson && !isForm && !ct.startsWith('text/')) return { data, changed: false };
    const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
    if (isForm) {
      const r = this._form(text);
      return r.changed ? { data: Buffer.from(r.text), changed: true } : { data, changed: false };
    }
    if (looksJson) {
      try {
        const parsed: unknown = JSON.parse(jsonAt === 0 ? text : text.slice(jsonAt));
        const r = this._json(parsed);
        return r.changed ? { data: Buffer.from(text.slice(0, jsonAt) + JSON.stringify(r.value)), changed: true } : { data, changed: false };
      } catch {
        // not complete JSON: fall through to the pattern
      }
    }
    let changed = false;
    const replaced = text.replace(/"([^"\\]{1,100})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g, (whole, name: string, sep: string, value: string) => {
      const header = this._headerSet.has(name.toLowerCase());
      if (!header && !this._isSecretName(name)) return whole;
      changed = true;
      return `"${name}"${sep}"${header ? this._headerValue(name.toLowerCase(), value) : this.marker(value)}"`;
    });
    return changed ? { data: Buffer.from(replaced), changed } : { data, changed: false };
  }

  /**
   * A parsed JSON value with secrets replaced: a value under a secret-named key (`"tokens": ["a", "b"]`, `"token":
   * {"access": "a"}`) holds secrets whose own names (or none) say nothing, so every string and number beneath it
   * becomes a marker; names, booleans and null stay.
   */
  private _json(value: unknown, underSecret = false): { value: unknown; changed: boolean } {
    if (underSecret && (typeof value === 'string' || typeof value === 'number')) return { value: this.marker(String(value)), changed: true };
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((v) => {
        const r = this._json(v, underSecret);
        changed ||= r.changed;
        return r.value;
      });
      return { value: out, changed };
    }
    if (value && typeof value === 'object') {
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        // A key named like a redacted header (gRPC metadata: `authorization`) is redacted as that header is.
        const header = !underSecret && typeof v === 'string' && this._headerSet.has(k.toLowerCase());
        const r = header ? { value: this._headerValue(k.toLowerCase(), v), changed: true } : this._json(v, underSecret || this._isSecretName(k));
        changed ||= r.changed;
        // A `__proto__` key assigned would set the prototype and vanish from the stored body.
        if (k === '__proto__') Object.defineProperty(out, k, { value: r.value, enumerable: true, writable: true, configurable: true });
        else out[k] = r.value;
      }
      return { value: out, changed };
    }
    return { value, changed: false };
  }
}

/**
 * Where the JSON of untyped bytes starts: 0 for an object or array after any whitespace (`\n {"password": ...}`),
 * the length of a socket.io packet head before one (`42["auth",{"token":...}]`), or -1.
 */
function untypedJsonAt(data: Uint8Array): number {
  let i = 0;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x09 || data[i] === 0x0a || data[i] === 0x0d)) i++;
  if (data[i] === 0x7b || data[i] === 0x5b) return 0;
  if (!(data[0] >= 0x30 && data[0] <= 0x39)) return -1;
  const head = SOCKET_IO_HEAD.exec(Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, SOCKET_IO_HEAD_MAX)).toString('latin1'));
  return head ? head[0].length : -1;
}

/**
 * A socket.io packet's head: engine.io and socket.io types, binary attachments (`451-`), a namespace (`/chat,`)
 * and an ack id (`4217[`), then the JSON (checked, not taken).
 */
const SOCKET_IO_HEAD = /^\d{1,12}-?(?:\/[^,[{]{0,100},)?\d{0,12}(?=[[{])/;
const SOCKET_IO_HEAD_MAX = 160;
