/**
 * A small incremental HTTP/1.1 response parser for the load generator: the status, where the body ends
 * (Content-Length, chunked, or the connection's close) and whether the server keeps the connection. Bodies are
 * skipped unless asked for (chained values). One response at a time: the generator does not pipeline. The bytes fed
 * may be reused by the caller after `feed` returns: whatever is kept is copied. The head is read byte by byte for the
 * three headers that frame the body, without making strings (this runs once per response of a load run).
 */

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
/** A response head larger than this is not a server we can measure (and would grow memory without bound). */
const MAX_HEAD = 64 * 1024;
/** A chunk size: hex digits, no sign, at most 16 of them (beyond that no body is real). */
const CHUNK_SIZE = /^[0-9a-fA-F]{1,16}$/;
const HEAD_INCOMPLETE = -1;
const NOT_HTTP = -2;
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CONTENT_LENGTH = ascii('content-length');
const TRANSFER_ENCODING = ascii('transfer-encoding');
const CONNECTION = ascii('connection');
const CHUNKED = ascii('chunked');
const CLOSE = ascii('close');
const KEEP_ALIVE = ascii('keep-alive');

/** Whether buf[from, to) is `word` (lower case letters and '-'), in any case. */
function isWord(buf: Uint8Array, from: number, to: number, word: Uint8Array): boolean {
  if (to - from !== word.length) return false;
  for (let i = 0; i < word.length; i++) if ((buf[from + i] | 0x20) !== word[i]) return false;
  return true;
}

/** Whether buf[from, to) contains `word` (lower case letters and '-'), in any case. */
function hasWord(buf: Uint8Array, from: number, to: number, word: Uint8Array): boolean {
  for (let i = from; i + word.length <= to; i++) if (isWord(buf, i, i + word.length, word)) return true;
  return false;
}

/** Where the colon after a name of `n` bytes at `name` is, or -1 when the name there is not that long. */
function colonAt(buf: Uint8Array, name: number, n: number, end: number): number {
  return name + n < end && buf[name + n] === 58 ? name + n : -1;
}

/** What a response's caller is told: its status, its body when asked for (else null), whether the server closes. */
export type ResponseDone = (status: number, body: Buffer | null, close: boolean) => void;

export interface ParsedResponse {
  status: number;
  /** The body when it was asked for, else null. */
  body: Buffer | null;
  /** The server closes the connection after this response (Connection: close, or a body read until close). */
  close: boolean;
}

export class ResponseParser {
  /** Set before a request is sent: its response has no body (HEAD), and whether to keep the body. */
  bodiless = false;
  keepBody = false;
  private _state = State.Head;
  private _head: Buffer | null = null;
  /** The framing headers of the head being read: Content-Length (-1 when absent), chunked, Connection. */
  private _contentLength = -1;
  private _chunked = false;
  /** The last head read whole (its framing fields are the ones set), and its first bytes as 32-bit words. */
  private _lastHead: Buffer | null = null;
  private _lastWords: Int32Array | null = null;
  /** The last chunk fed, and its bytes as 32-bit words when it starts on a word boundary (`_viewWords`). */
  private _wordsOf: Buffer | null = null;
  private _words: Int32Array | null = null;
  private _connectionClose = false;
  private _connectionKeepAlive = false;
  private _remaining = 0;
  private _status = 0;
  private _http10 = false;
  private _close = false;
  private _chunkLine = '';
  private _bodyParts: Buffer[] | null = null;
  private _trailerLine = 0;
  /** The whole length of the last response when its head is `_lastHead` and a Content-Length frames it, else -1. */
  private _repeatLength = -1;

  /** Whether a response is under way (bytes of it have arrived). */
  get midResponse(): boolean {
    return this._state !== State.Head || this._head !== null;
  }

  /**
   * Feeds `length` bytes of `chunk` (all by default); calls `done` for each complete response. Returns false when the
   * bytes are not HTTP/1.x (the connection must be dropped).
   */
  feed(chunk: Buffer, done: ResponseDone, length = chunk.length): boolean {
    // The common case of a load run: the same response again, whole in one read. Its status and framing stand.
    if (length === this._repeatLength && this._state === State.Head && this._head === null && !this.keepBody && !this.bodiless && this._sameHead(chunk, 0, length) > 0) {
      done(this._status, null, this._close);
      return true;
    }
    let pos = 0;
    const len = length;
    while (pos < len) {
      switch (this._state) {
        case State.Head: {
          let bodyAt: number;
          if (this._head) {
            // The rest of a head split over reads: found by its blank line first, then read whole (rare).
            const had = this._head.length;
            const buf = Buffer.concat([this._head, chunk.subarray(pos, len)]);
            const end = buf.indexOf(CRLFCRLF, Math.max(0, had - 3));
            if (end < 0) {
              if (buf.length > MAX_HEAD) return false;
              this._head = buf;
              return true;
            }
            this._head = null;
            bodyAt = this._rememberHead(buf, 0, this._readHead(buf, 0, end + 4));
            if (bodyAt < had) return false; // not HTTP, or a head that does not end where its blank line is
            pos += bodyAt - had;
          } else {
            bodyAt = this._sameHead(chunk, pos, len);
            if (bodyAt < 0) bodyAt = this._rememberHead(chunk, pos, this._readHead(chunk, pos, len));
            if (bodyAt === NOT_HTTP) return false;
            if (bodyAt === HEAD_INCOMPLETE) {
              if (len - pos > MAX_HEAD) return false;
              this._head = Buffer.from(chunk.subarray(pos, len));
              return true;
            }
            pos = bodyAt;
          }
          this._startBody();
          if (this._state === State.Head) this._finish(done); // no body
          break;
        }
        case State.Length: {
          const n = Math.min(this._remaining, len - pos);
          if (this._bodyParts) this._bodyParts.push(Buffer.from(chunk.subarray(pos, pos + n)));
          this._remaining -= n;
          pos += n;
          if (this._remaining === 0) this._finish(done);
          break;
        }
        case State.ChunkSize: {
          let nl = chunk.indexOf(10, pos);
          if (nl >= len) nl = -1;
          if (nl < 0) {
            this._chunkLine += chunk.toString('latin1', pos, len);
            if (this._chunkLine.length > 1024) return false;
            return true;
          }
          const line = this._chunkLine + chunk.toString('latin1', pos, nl);
          this._chunkLine = '';
          pos = nl + 1;
          // Hex digits only, before any extension (parseInt would take "-6" or "5xyz": a negative size loops forever).
          const semi = line.indexOf(';');
          const digits = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!CHUNK_SIZE.test(digits)) return false;
          const size = parseInt(digits, 16);
          if (size === 0) {
            this._state = State.Trailers;
            this._trailerLine = 0;
          } else {
            this._remaining = size;
            this._state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this._remaining, len - pos);
          if (this._bodyParts) this._bodyParts.push(Buffer.from(chunk.subarray(pos, pos + n)));
          this._remaining -= n;
          pos += n;
          if (this._remaining === 0) {
            this._state = State.ChunkDataEnd;
            this._remaining = 2;
          }
          break;
        }
        case State.ChunkDataEnd: {
          const n = Math.min(this._remaining, len - pos);
          this._remaining -= n;
          pos += n;
          if (this._remaining === 0) this._state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          // Lines until an empty one; `_trailerLine` counts the bytes of the current line before its \r\n.
          const b = chunk[pos++];
          if (b === 10) {
            if (this._trailerLine === 0) this._finish(done);
            else this._trailerLine = 0;
          } else if (b !== 13) this._trailerLine++;
          break;
        }
        case State.UntilClose: {
          if (this._bodyParts) this._bodyParts.push(Buffer.from(chunk.subarray(pos, len)));
          pos = len;
          break;
        }
      }
    }
    return true;
  }

  /** The connection closed: a body read until close ends here. Returns the response if one was completed by it. */
  end(): ParsedResponse | null {
    if (this._state !== State.UntilClose) return null;
    const r: ParsedResponse = { status: this._status, body: this._takeBody(), close: true };
    this.reset();
    return r;
  }

  reset(): void {
    this._state = State.Head;
    this._head = null;
    this._chunkLine = '';
    this._bodyParts = null;
  }

  /**
   * A server sends the same head again and again (until its Date changes, once a second): when these bytes start
   * with the last head read whole, its status and framing stand, and the head is skipped with one compare.
   */
  private _sameHead(chunk: Buffer, from: number, to: number): number {
    const last = this._lastHead;
    const n = last ? last.length : 0;
    if (!last || to - from < n) return -1;
    // Aligned (a response at the start of the read buffer, as on plain TCP): 4 bytes a step, without a native call.
    const words = chunk === this._wordsOf ? this._words : this._viewWords(chunk);
    if (!words || (from & 3) !== 0) return chunk.compare(last, 0, n, from, from + n) === 0 ? from + n : -1;
    const lastWords = this._lastWords!;
    const first = from >> 2;
    for (let i = 0; i < lastWords.length; i++) if (words[first + i] !== lastWords[i]) return -1;
    for (let i = lastWords.length << 2; i < n; i++) if (chunk[from + i] !== last[i]) return -1;
    return from + n;
  }

  /**
   * The chunk's bytes as 32-bit words, when it starts on a word boundary (else null). Kept for the next feed: a
   * connection reads into the same buffer each time, and asking a Buffer for its memory costs a call into V8.
   */
  private _viewWords(chunk: Buffer): Int32Array | null {
    this._wordsOf = chunk;
    this._words = (chunk.byteOffset & 3) === 0 ? new Int32Array(chunk.buffer, chunk.byteOffset, chunk.length >> 2) : null;
    return this._words;
  }

  private _rememberHead(chunk: Buffer, from: number, bodyAt: number): number {
    if (bodyAt > from) {
      const head = Buffer.from(chunk.subarray(from, bodyAt));
      const whole = new Uint8Array(head.length & ~3);
      whole.set(head.subarray(0, whole.length));
      this._lastHead = head;
      this._lastWords = new Int32Array(whole.buffer);
    } else {
      this._lastHead = null;
      this._lastWords = null;
    }
    return bodyAt;
  }

  /**
   * Reads the head at buf[from, to): the status and the framing headers. Returns where the body starts,
   * HEAD_INCOMPLETE when the blank line that ends the head is not in these bytes yet, or NOT_HTTP.
   */
  private _readHead(buf: Uint8Array, from: number, to: number): number {
    // "HTTP/1.1 200 OK"
    if (buf[from] !== 72) return NOT_HTTP;
    if (to - from < 13) return HEAD_INCOMPLETE;
    if (buf[from + 4] !== 47) return NOT_HTTP;
    const status = (buf[from + 9] - 48) * 100 + (buf[from + 10] - 48) * 10 + (buf[from + 11] - 48);
    if (!(status >= 100 && status < 600)) return NOT_HTTP;
    this._status = status;
    this._http10 = buf[from + 7] === 48;
    this._contentLength = -1;
    this._chunked = false;
    this._connectionClose = false;
    this._connectionKeepAlive = false;
    let i = from + 12;
    while (i < to && buf[i] !== 10) i++;
    i++;
    for (;;) {
      if (i + 1 >= to) return HEAD_INCOMPLETE;
      if (buf[i] === 13 && buf[i + 1] === 10) return i + 2; // the blank line
      const first = buf[i] | 0x20;
      let eol = i;
      while (eol < to && buf[eol] !== 10) eol++;
      if (eol >= to) return HEAD_INCOMPLETE;
      // Only names that start with c or t can frame the body.
      if (first === 99 || first === 116) this._header(buf, i, buf[eol - 1] === 13 ? eol - 1 : eol);
      i = eol + 1;
    }
  }

  /** One header line buf[name, end): Content-Length, Transfer-Encoding or Connection are kept. */
  private _header(buf: Uint8Array, name: number, end: number): void {
    let at: number;
    if ((at = colonAt(buf, name, CONTENT_LENGTH.length, end)) > 0 && this._contentLength < 0 && isWord(buf, name, at, CONTENT_LENGTH)) {
      let i = at + 1;
      while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
      let value = -1;
      for (; i < end && buf[i] >= 48 && buf[i] <= 57; i++) value = (value < 0 ? 0 : value * 10) + buf[i] - 48;
      this._contentLength = value;
    } else if ((at = colonAt(buf, name, TRANSFER_ENCODING.length, end)) > 0 && isWord(buf, name, at, TRANSFER_ENCODING)) {
      if (hasWord(buf, at + 1, end, CHUNKED)) this._chunked = true;
    } else if ((at = colonAt(buf, name, CONNECTION.length, end)) > 0 && isWord(buf, name, at, CONNECTION)) {
      if (hasWord(buf, at + 1, end, CLOSE)) this._connectionClose = true;
      if (hasWord(buf, at + 1, end, KEEP_ALIVE)) this._connectionKeepAlive = true;
    }
  }
  /** After a head: where its body goes (none, a length, chunks, until the close). */
  private _startBody(): void {
    const status = this._status;
    this._close = this._http10 ? !this._connectionKeepAlive : this._connectionClose;
    this._repeatLength = -1;
    this._bodyParts = this.keepBody ? [] : null;
    if (status < 200) {
      // 100 Continue and other interim responses: the real one follows.
      this._state = State.Head;
      this._status = -1;
      return;
    }
    if (this.bodiless || status === 204 || status === 304) {
      this._state = State.Head;
      return;
    }
    if (this._chunked) {
      this._state = State.ChunkSize;
      return;
    }
    if (this._contentLength >= 0) {
      if (this._lastHead) this._repeatLength = this._lastHead.length + this._contentLength;
      this._remaining = this._contentLength;
      this._state = this._remaining > 0 ? State.Length : State.Head;
      return;
    }
    this._state = State.UntilClose;
    this._close = true;
  }

  private _finish(done: ResponseDone): void {
    this._state = State.Head;
    if (this._status < 0) return; // an interim response
    done(this._status, this._takeBody(), this._close);
  }

  private _takeBody(): Buffer | null {
    const parts = this._bodyParts;
    this._bodyParts = null;
    if (!parts) return null;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}
