/**
 * A bare PostgreSQL v3 client for tests: it writes exactly the messages a test asks for (pipelines of
 * Parse/Bind/Execute with one Sync, COPY data) over a raw socket, and waits for a number of ReadyForQuery replies.
 * Trust authentication only.
 */
import * as net from 'node:net';

const cstring = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);

function message(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const int16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

export const pgMessages = {
  startup(params: Record<string, string>): Buffer {
    const body = Buffer.concat([int32(196608), ...Object.entries(params).flatMap(([k, v]) => [cstring(k), cstring(v)]), Buffer.from([0])]);
    return Buffer.concat([int32(body.length + 4), body]);
  },
  query: (sql: string): Buffer => message('Q', cstring(sql)),
  parse: (name: string, sql: string, types: number[] = []): Buffer => message('P', cstring(name), cstring(sql), int16(types.length), ...types.map(int32)),
  /** Values as text (format 0) unless given as Buffers, which go as binary (format 1). */
  bind(portal: string, statement: string, values: (string | Buffer | null)[]): Buffer {
    const formats = values.map((v) => (Buffer.isBuffer(v) ? 1 : 0));
    const encoded = values.map((v) => (v === null ? int32(-1) : Buffer.concat([int32(Buffer.byteLength(v)), Buffer.isBuffer(v) ? v : Buffer.from(v)])));
    return message('B', cstring(portal), cstring(statement), int16(formats.length), ...formats.map(int16), int16(values.length), ...encoded, int16(0));
  },
  describePortal: (portal: string): Buffer => message('D', Buffer.from('P'), cstring(portal)),
  execute: (portal: string, maxRows = 0): Buffer => message('E', cstring(portal), int32(maxRows)),
  sync: (): Buffer => message('S'),
  flush: (): Buffer => message('H'),
  copyData: (data: string | Buffer): Buffer => message('d', Buffer.from(data)),
  copyDone: (): Buffer => message('c'),
  terminate: (): Buffer => message('X'),
};

export interface RawPgClient {
  send(...messages: Buffer[]): void;
  /** Resolves once `count` more ReadyForQuery messages have arrived (the message types seen meanwhile). */
  readyFor(count: number, timeoutMs?: number): Promise<string[]>;
  /** Resolves at the next message of this type (e.g. 'G' CopyInResponse). */
  next(type: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Connects (trust auth) and resolves after the first ReadyForQuery. */
export async function connectRawPg(port: number, user: string, database: string): Promise<RawPgClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  let buf = Buffer.alloc(0);
  const seen: string[] = [];
  let waiter: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1)) {
      seen.push(String.fromCharCode(buf[0]));
      buf = buf.subarray(1 + buf.readInt32BE(1));
    }
    waiter?.();
  });
  const waitUntil = (check: () => boolean, what: string, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${seen.join('')}`)), timeoutMs);
      const poll = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        waiter = null;
        resolve();
      };
      waiter = poll;
      poll();
    });
  let readies = 0;
  const countReady = (): number => seen.filter((t) => t === 'Z').length;
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(pgMessages.startup({ user, database }));
  await waitUntil(() => countReady() >= 1, 'the startup ReadyForQuery', 10_000);
  readies = 1;
  let from = seen.length;
  return {
    send: (...messages) => void socket.write(Buffer.concat(messages)),
    async readyFor(count, timeoutMs = 10_000) {
      await waitUntil(() => countReady() >= readies + count, `${count} ReadyForQuery`, timeoutMs);
      readies += count;
      const types = seen.slice(from);
      from = seen.length;
      return types;
    },
    async next(type, timeoutMs = 10_000) {
      const start = from;
      await waitUntil(() => seen.indexOf(type, start) >= 0, `a '${type}' message`, timeoutMs);
      from = seen.indexOf(type, start) + 1;
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket.end(pgMessages.terminate());
        socket.once('close', () => resolve());
      }),
  };
}
