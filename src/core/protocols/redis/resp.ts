/**
 * An incremental RESP2/RESP3 reader: bytes in (any split), whole top-level values out. State is bounded: a header
 * line may be at most MAX_LINE bytes, a bulk string longer than KEEP_BULK is skipped by its length (only its size is
 * kept), an aggregate keeps its first MAX_ITEMS elements (and counts the rest), nesting stops at MAX_DEPTH. Anything
 * that is not RESP throws a RespError; the caller stops reading that stream.
 */
import { splitInline } from './inline';

export type RespValue =
  | { type: 'simple'; value: string }
  | { type: 'error'; value: string }
  | { type: 'integer'; value: number | string }
  | { type: 'bulk'; value: Buffer | null; size: number }
  | { type: 'null' }
  | { type: 'boolean'; value: boolean }
  | { type: 'double'; value: number | string }
  | { type: 'bignum'; value: string }
  | { type: 'verbatim'; format: string; value: Buffer | null; size: number }
  | { type: 'array' | 'set' | 'push' | 'map'; items: RespValue[]; count: number; inline?: true };

export class RespError extends Error {}

const MAX_LINE = 64 * 1024;
export const KEEP_BULK = 4 * 1024;
const MAX_ITEMS = 1_000;
const MAX_DEPTH = 32;

interface Frame {
  type: 'array' | 'set' | 'push' | 'map' | 'attribute' | 'stream';
  /** Elements still expected; -1 for a streamed aggregate (ends with `.`). */
  remaining: number;
  items: RespValue[];
  count: number;
  /** A streamed string's parts (`$?`), up to KEEP_BULK bytes. */
  parts?: Buffer[];
  size?: number;
}

/** A bulk payload being waited for (small) or skipped (large). */
interface Payload {
  kind: 'bulk' | 'verbatim' | 'error' | 'part';
  size: number;
  /** Bytes still to skip (payload + CRLF) when the payload is not kept. */
  skip: number;
}

export class RespReader {
  private _rest: Buffer | null = null;
  private readonly _stack: Frame[] = [];
  private _payload: Payload | null = null;
  private _startedAt = 0;
  private _at = 0;

  /**
   * @param _onValue a complete top-level value and the time (`at` of push) its first byte arrived
   * @param _inline whether a top-level line that is not RESP is an inline command (the client side)
   */
  constructor(
    private readonly _onValue: (value: RespValue, startedAt: number, endedAt: number) => void,
    private readonly _inline = false,
  ) {}

  /** Bytes kept between pushes (bounded by MAX_LINE + KEEP_BULK). */
  get buffered(): number {
    return this._rest?.length ?? 0;
  }

  /** True when the next byte starts a new top-level value. */
  get idle(): boolean {
    return this._rest === null && this._payload === null && this._stack.length === 0;
  }

  push(chunk: Buffer, at: number): void {
    this._at = at;
    if (this.idle && chunk.length) this._startedAt = at;
    const buf = this._rest ? Buffer.concat([this._rest, chunk]) : chunk;
    this._rest = null;
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.idle && i > 0) this._startedAt = at;
      const p = this._payload;
      if (p) {
        if (p.skip > 0) {
          const take = Math.min(p.skip, n - i);
          p.skip -= take;
          i += take;
          if (p.skip === 0) {
            this._payload = null;
            this._payloadDone(p, null);
          }
          continue;
        }
        if (n - i < p.size + 2) break;
        if (buf[i + p.size] !== 13 || buf[i + p.size + 1] !== 10) throw new RespError('bulk string not followed by CRLF');
        const data = buf.subarray(i, i + p.size);
        i += p.size + 2;
        this._payload = null;
        this._payloadDone(p, data);
        continue;
      }
      const nl = buf.indexOf(10, i);
      if (nl < 0) {
        if (n - i > MAX_LINE) throw new RespError(`line longer than ${MAX_LINE} bytes`);
        break;
      }
      const end = nl > i && buf[nl - 1] === 13 ? nl - 1 : nl;
      this._line(buf, i, end);
      i = nl + 1;
    }
    if (i < n) this._rest = buf.subarray(i);
  }

  private _line(buf: Buffer, start: number, end: number): void {
    const kind = buf[start];
    const text = (): string => buf.toString('latin1', start + 1, end);
    switch (kind) {
      case 0x2b: // +
        return this._value({ type: 'simple', value: buf.toString('utf8', start + 1, end) });
      case 0x2d: // -
        return this._value({ type: 'error', value: buf.toString('utf8', start + 1, end) });
      case 0x3a: // :
        return this._value({ type: 'integer', value: toNumber(text()) });
      case 0x5f: // _
        return this._value({ type: 'null' });
      case 0x23: // #
        return this._value({ type: 'boolean', value: text() === 't' });
      case 0x2c: // ,
        return this._value({ type: 'double', value: toNumber(text()) });
      case 0x28: // (
        return this._value({ type: 'bignum', value: text() });
      case 0x24: // $
      case 0x21: // !
      case 0x3d: // =
      case 0x3b: // ; a streamed string's part
        return this._bulkHeader(kind, text());
      case 0x2a: // *
        return this._aggregate('array', text(), 1);
      case 0x7e: // ~
        return this._aggregate('set', text(), 1);
      case 0x3e: // >
        return this._aggregate('push', text(), 1);
      case 0x25: // %
        return this._aggregate('map', text(), 2);
      case 0x7c: // |
        return this._aggregate('attribute', text(), 2);
      case 0x2e: {
        // . ends a streamed aggregate
        const top = this._stack[this._stack.length - 1];
        if (!top || top.remaining !== -1 || top.type === 'stream') throw new RespError("'.' outside a streamed aggregate");
        this._stack.pop();
        return this._closed(top);
      }
      default:
        if (this._inline && this._stack.length === 0) return this._inlineCommand(buf.toString('utf8', start, end));
        throw new RespError(`unexpected type byte 0x${(kind ?? 0).toString(16)}`);
    }
  }

  private _bulkHeader(kind: number, text: string): void {
    if (kind === 0x24 && text === '?') {
      this._push({ type: 'stream', remaining: -1, items: [], count: 0, parts: [], size: 0 });
      return;
    }
    const size = toLength(text);
    if (kind === 0x3b) {
      const top = this._stack[this._stack.length - 1];
      if (!top || top.type !== 'stream') throw new RespError("';' outside a streamed string");
      if (size === 0) {
        this._stack.pop();
        const data = Buffer.concat(top.parts ?? []);
        return this._value({ type: 'bulk', value: top.size! > KEEP_BULK ? null : data, size: top.size! });
      }
    } else if (size === -1) {
      return this._value(kind === 0x24 ? { type: 'bulk', value: null, size: 0 } : { type: 'null' });
    }
    if (size < 0) throw new RespError(`bad length ${text}`);
    const payloadKind = kind === 0x24 ? 'bulk' : kind === 0x21 ? 'error' : kind === 0x3d ? 'verbatim' : 'part';
    this._payload = { kind: payloadKind, size, skip: size > KEEP_BULK ? size + 2 : 0 };
  }

  private _payloadDone(p: Payload, data: Buffer | null): void {
    switch (p.kind) {
      case 'bulk':
        return this._value({ type: 'bulk', value: data, size: p.size });
      case 'error':
        return this._value({ type: 'error', value: data ? data.toString('utf8') : `<${p.size} bytes>` });
      case 'verbatim': {
        const format = data && data.length >= 4 && data[3] === 0x3a ? data.toString('latin1', 0, 3) : 'txt';
        return this._value({ type: 'verbatim', format, value: data && data.length >= 4 ? data.subarray(4) : data, size: Math.max(0, p.size - 4) });
      }
      case 'part': {
        const top = this._stack[this._stack.length - 1];
        top.size = (top.size ?? 0) + p.size;
        if (data && top.size <= KEEP_BULK) top.parts!.push(data);
        return;
      }
    }
  }

  private _aggregate(type: Frame['type'], text: string, per: number): void {
    if (text === '?') return this._push({ type, remaining: -1, items: [], count: 0 });
    const count = toLength(text);
    if (count === -1) return this._value({ type: 'null' });
    if (count < 0) throw new RespError(`bad count ${text}`);
    if (count === 0) return this._closed({ type, remaining: 0, items: [], count: 0 });
    this._push({ type, remaining: count * per, items: [], count: 0 });
  }

  private _push(frame: Frame): void {
    if (this._stack.length >= MAX_DEPTH) throw new RespError(`nesting deeper than ${MAX_DEPTH}`);
    this._stack.push(frame);
  }

  private _inlineCommand(line: string): void {
    // Unbalanced quotes: redis refuses the line; the words as typed still say what was sent.
    const words = splitInline(line) ?? line.trim().split(/\s+/).filter(Boolean).map((w) => Buffer.from(w));
    if (!words.length) return;
    const items: RespValue[] = words.map((w) => ({ type: 'bulk', value: w, size: w.length }));
    this._value({ type: 'array', items, count: items.length, inline: true });
  }

  /** A finished value goes into the open aggregate, or out when there is none. */
  private _value(v: RespValue): void {
    for (;;) {
      const top = this._stack[this._stack.length - 1];
      if (!top) {
        this._onValue(v, this._startedAt, this._at);
        return;
      }
      if (top.type === 'stream') throw new RespError('a value inside a streamed string');
      top.count++;
      if (top.items.length < MAX_ITEMS * (top.type === 'map' ? 2 : 1)) top.items.push(v);
      if (top.remaining > 0 && --top.remaining === 0) {
        this._stack.pop();
        const closed = this._toValue(top);
        if (!closed) return;
        v = closed;
        continue;
      }
      return;
    }
  }

  private _closed(frame: Frame): void {
    const v = this._toValue(frame);
    if (v) this._value(v);
  }

  /** Attributes (RESP3 `|`) are out-of-band metadata: dropped, the value they annotate follows. */
  private _toValue(frame: Frame): RespValue | null {
    if (frame.type === 'attribute') return null;
    if (frame.type === 'stream') throw new RespError('unfinished streamed string');
    return { type: frame.type, items: frame.items, count: frame.type === 'map' ? frame.count / 2 : frame.count };
  }
}

function toLength(text: string): number {
  if (!/^-?\d{1,12}$/.test(text)) throw new RespError(`bad length '${text.slice(0, 20)}'`);
  return Number(text);
}

function toNumber(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) || (Number.isFinite(n) && !/^-?\d+$/.test(text)) ? n : text;
}
