import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import type { ExchangeRows, NewSession } from './database';
import type { PreparedExchange, PreparedMessage } from './prepare';

/**
 * A write-ahead journal beside the database file. The writer appends each batch here before applying it in
 * memory, and empties it after each snapshot; whoever opens the database next replays what is left. So a
 * `kill -9` loses only what had not reached the journal (the last flush tick), however long ago the last
 * snapshot of a large database was written.
 *
 * Frame: u32 little-endian length, then a v8-serialised JournalOp. A torn last frame ends the replay.
 */
export type JournalOp =
  | { lsn: number; op: 'session'; id: number; session: NewSession }
  | { lsn: number; op: 'exchanges'; sessionId: number; rows: PreparedExchange[] }
  /** Exchanges as the insert binds them (see TrafficDb.exchangeRows): what the store worker journals. */
  | ({ lsn: number; op: 'exchangeRows' } & ExchangeRows)
  | { lsn: number; op: 'messages'; sessionId: number; rows: PreparedMessage[] }
  | { lsn: number; op: 'delete'; ids: number[] }
  /** Database and cache calls linked to the HTTP request they were made for ([call id, parent id or null]). */
  | { lsn: number; op: 'link'; links: Array<[number, number | null]> }
  | { lsn: number; op: 'finish'; sessionId: number; stoppedAt: number; dropped: number };

export type JournalOpBody = JournalOp extends infer T ? (T extends JournalOp ? Omit<T, 'lsn'> : never) : never;

/** How many exchanges a journal operation stores. */
export function exchangesIn(op: JournalOp): number {
  if (op.op === 'exchanges') return op.rows.length;
  if (op.op === 'exchangeRows') return op.values.length / op.columns;
  return 0;
}

export function journalPath(dbFile: string): string {
  return `${dbFile}.chaos-journal`;
}

export function* readJournal(file: string): Generator<JournalOp> {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return;
  }
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (off + 4 + len > buf.length) return; // torn frame: the writer died mid-append
    let op: JournalOp;
    try {
      op = v8.deserialize(buf.subarray(off + 4, off + 4 + len)) as JournalOp;
    } catch {
      return;
    }
    off += 4 + len;
    yield op;
  }
}

export class JournalWriter {
  private _fd: number;
  constructor(readonly file: string) {
    this._fd = fs.openSync(file, 'a', 0o600);
  }

  append(op: JournalOp): void {
    const body = v8.serialize(op);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(body.length, 0);
    // Header and body in one write, without copying the body (a batch's frame can be megabytes).
    let parts: Uint8Array[] = [head, body];
    let left = 4 + body.length;
    while (left > 0) {
      const n = fs.writevSync(this._fd, parts);
      left -= n;
      if (left > 0) parts = rest(parts, n);
    }
  }

  /** After a snapshot holds everything, the journal starts over. */
  reset(): void {
    fs.ftruncateSync(this._fd, 0);
  }

  close(remove: boolean): void {
    fs.closeSync(this._fd);
    if (remove) fs.rmSync(this.file, { force: true });
  }
}

/** What is left of `parts` after its first `n` bytes were written. */
function rest(parts: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    if (n >= p.length) n -= p.length;
    else {
      out.push(p.subarray(n));
      n = 0;
    }
  }
  return out;
}
