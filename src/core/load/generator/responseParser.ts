/**
 * A small incremental HTTP/1.1 response parser for the load generator: the status, where the body ends
 * (Content-Length, chunked, or the connection's close) and whether the server keeps the connection. Bodies are
 * skipped unless asked for (chained values). One response at a time: the generator does not pipeline.
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
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CHUNKED = /\r\ntransfer-encoding:[^\r]*chunked/i;
const CONNECTION_CLOSE = /\r\nconnection:[^\r]*close/i;

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
  private _remaining = 0;
  private _status = 0;
  private _close = false;
  private _chunkLine = '';
  private _bodyParts: Buffer[] | null = null;
  private _trailerLine = 0;

  /** Whether a response is under way (bytes of it have arrived). */
  get midResponse(): boolean {
    return this._state !== State.Head || this._head !== null;
  }

  /**
   * Feeds bytes; calls `done` for each complete response. Returns false when the bytes are not HTTP/1.x
   * (the connection must be dropped).
   */
  feed(chunk: Buffer, done: (r: ParsedResponse) => void): boolean {
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      switch (this._state) {
        case State.Head: {
          let buf = chunk;
          let start = pos;
          if (this._head) {
            buf = Buffer.concat([this._head, chunk.subarray(pos)]);
            start = 0;
          }
          const end = buf.indexOf(CRLFCRLF, Math.max(start, this._head ? this._head.length - 3 : start));
          if (end < 0) {
            if (buf.length - start > MAX_HEAD) return false;
            this._head = buf === chunk ? Buffer.from(chunk.subarray(pos)) : buf;
            return true;
          }
          const consumedFromChunk = this._head ? end + 4 - this._head.length : end + 4 - pos;
          this._head = null;
          if (!this._startResponse(buf, start, end)) return false;
          pos += consumedFromChunk;
          if (this._state === State.Head) this._finish(done); // no body
          break;
        }
        case State.Length: {
          const n = Math.min(this._remaining, len - pos);
          if (this._bodyParts) this._bodyParts.push(chunk.subarray(pos, pos + n));
          this._remaining -= n;
          pos += n;
          if (this._remaining === 0) this._finish(done);
          break;
        }
        case State.ChunkSize: {
          const nl = chunk.indexOf(10, pos);
          if (nl < 0) {
            this._chunkLine += chunk.toString('latin1', pos, len);
            if (this._chunkLine.length > 1024) return false;
            return true;
          }
          const line = this._chunkLine + chunk.toString('latin1', pos, nl);
          this._chunkLine = '';
          pos = nl + 1;
          const size = parseInt(line, 16);
          if (Number.isNaN(size)) return false;
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
          if (this._bodyParts) this._bodyParts.push(chunk.subarray(pos, pos + n));
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
          if (this._bodyParts) this._bodyParts.push(chunk.subarray(pos));
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

  private _startResponse(buf: Buffer, start: number, end: number): boolean {
    // "HTTP/1.1 200 OK"
    if (end - start < 12 || buf[start] !== 72 || buf[start + 4] !== 47) return false;
    const status = (buf[start + 9] - 48) * 100 + (buf[start + 10] - 48) * 10 + (buf[start + 11] - 48);
    if (!(status >= 100 && status < 600)) return false;
    const head = buf.toString('latin1', start, end);
    this._status = status;
    this._close = buf[start + 7] === 48 /* HTTP/1.0 */ ? !/\r\nconnection:[^\r]*keep-alive/i.test(head) : CONNECTION_CLOSE.test(head);
    this._bodyParts = this.keepBody ? [] : null;
    if (status < 200) {
      // 100 Continue and other interim responses: the real one follows.
      this._state = State.Head;
      this._status = -1;
      return true;
    }
    if (this.bodiless || status === 204 || status === 304) {
      this._state = State.Head;
      return true;
    }
    if (CHUNKED.test(head)) {
      this._state = State.ChunkSize;
      return true;
    }
    const m = CONTENT_LENGTH.exec(head);
    if (m) {
      this._remaining = Number(m[1]);
      this._state = this._remaining > 0 ? State.Length : State.Head;
      return true;
    }
    this._state = State.UntilClose;
    this._close = true;
    return true;
  }

  private _finish(done: (r: ParsedResponse) => void): void {
    this._state = State.Head;
    if (this._status < 0) return; // an interim response
    done({ status: this._status, body: this._takeBody(), close: this._close });
  }

  private _takeBody(): Buffer | null {
    const parts = this._bodyParts;
    this._bodyParts = null;
    if (!parts) return null;
    return parts.length === 1 ? Buffer.from(parts[0]) : Buffer.concat(parts);
  }
}
