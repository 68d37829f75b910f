/**
 * Precise connection resets for the stateful invariants: a gate on a TcpProxy connection that frames the client's
 * protocol messages (PostgreSQL frontend messages, Redis RESP commands) and resets the connection at the n-th
 * statement after the cut was armed — `before` it reaches the server (it is never run), or `after` the server got
 * it (its reply is dropped). Counted over every connection of the proxy, so a pool's connections count together.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { ConnectionTap } from '../../faults/tcpProxy';

export type WireProtocol = 'postgres' | 'redis';
export type CutWhen = 'before' | 'after';

/** Length of the message at `off`, or undefined when the buffer does not hold all of it yet; `statement` counts. */
type Framer = (buf: Buffer, off: number) => { length: number; statement: boolean } | undefined;

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** PostgreSQL frontend: an untyped startup (after any SSL/GSS request), then type byte + int32 length. Q and E run SQL. */
function postgresFramer(): Framer {
  let untyped = true;
  return (buf, off) => {
    if (untyped) {
      if (buf.length - off < 8) return undefined;
      const length = buf.readInt32BE(off);
      if (buf.length - off < length) return undefined;
      const code = buf.readInt32BE(off + 4);
      if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) untyped = false;
      return { length, statement: false };
    }
    if (buf.length - off < 5) return undefined;
    const length = 1 + buf.readInt32BE(off + 1);
    if (buf.length - off < length) return undefined;
    const type = String.fromCharCode(buf[off]);
    return { length, statement: type === 'Q' || type === 'E' };
  };
}

/** Redis: a RESP array of bulk strings per command, or an inline command ending in CRLF. */
function redisFramer(): Framer {
  const line = (buf: Buffer, from: number): number => {
    const i = buf.indexOf('\r\n', from);
    return i < 0 ? -1 : i;
  };
  return (buf, off) => {
    if (buf.length <= off) return undefined;
    if (buf[off] !== 0x2a /* '*' */) {
      const end = line(buf, off);
      return end < 0 ? undefined : { length: end + 2 - off, statement: end > off };
    }
    let end = line(buf, off);
    if (end < 0) return undefined;
    const count = Number(buf.toString('latin1', off + 1, end));
    let pos = end + 2;
    for (let i = 0; i < count; i++) {
      end = line(buf, pos);
      if (end < 0) return undefined;
      const size = Number(buf.toString('latin1', pos + 1, end));
      pos = end + 2 + size + 2;
      if (pos > buf.length) return undefined;
    }
    return { length: pos - off, statement: count > 0 };
  };
}

function resetError(): Error {
  return Object.assign(new Error('reset by the invariant'), { reset: true });
}

/** Arms and counts cuts for one proxy; `tap` goes into TcpProxyOptions.tap. */
export class CutController {
  private _remaining = 0;
  private _when: CutWhen = 'before';
  private _fired = false;

  constructor(private readonly _protocol: WireProtocol) {}

  /** Resets the connection that carries the n-th statement from now (n ≥ 1). */
  arm(n: number, when: CutWhen): void {
    this._remaining = n;
    this._when = when;
    this._fired = false;
  }

  /** Stops counting; true when the armed cut happened. */
  disarm(): boolean {
    this._remaining = 0;
    return this._fired;
  }

  /** One statement seen on some connection: what to do with it. */
  private _onStatement(): CutWhen | undefined {
    if (this._remaining <= 0) return undefined;
    if (--this._remaining > 0) return undefined;
    this._fired = true;
    return this._when;
  }

  tap = (): ConnectionTap => {
    const framer = this._protocol === 'postgres' ? postgresFramer() : redisFramer();
    let carry = Buffer.alloc(0);
    let dropReplies = false;
    const upstreamGate = new Transform({
      transform: (chunk: Buffer, _enc, done: TransformCallback) => {
        const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        let off = 0;
        for (let m = framer(buf, off); m; m = framer(buf, off)) {
          const action = m.statement ? this._onStatement() : undefined;
          if (action === 'before') {
            if (off > 0) upstreamGate.push(buf.subarray(0, off));
            carry = Buffer.alloc(0);
            return done(resetError());
          }
          if (action === 'after') dropReplies = true;
          off += m.length;
        }
        carry = Buffer.from(buf.subarray(off));
        done(null, off > 0 ? buf.subarray(0, off) : undefined);
      },
    });
    const downstreamGate = new Transform({
      transform: (chunk: Buffer, _enc, done: TransformCallback) => (dropReplies ? done(resetError()) : done(null, chunk)),
    });
    return { upstreamGate, downstreamGate, client: () => undefined, server: () => undefined, end: () => undefined };
  };
}
