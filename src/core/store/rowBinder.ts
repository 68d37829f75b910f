import type { Database, SqlJsStatic, Statement } from 'sql.js';

/** What sql.js exports of SQLite's C API and the wasm heap beyond its typed surface (see its api.js). */
interface SqlJsExports {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  writeArrayToMemory(bytes: Uint8Array, ptr: number): void;
  UTF8ToString(ptr: number): string;
  _sqlite3_sql(stmt: number): number;
  _sqlite3_bind_int(stmt: number, index: number, value: number): number;
  _sqlite3_bind_double(stmt: number, index: number, value: number): number;
  _sqlite3_bind_text(stmt: number, index: number, ptr: number, bytes: number, destructor: number): number;
  _sqlite3_bind_blob(stmt: number, index: number, ptr: number, bytes: number, destructor: number): number;
  _sqlite3_step(stmt: number): number;
  _sqlite3_reset(stmt: number): number;
  _sqlite3_clear_bindings(stmt: number): number;
}

const SQLITE_DONE = 101;
/** The bound bytes outlive the step (they stay in place until the batch ends): SQLite need not copy them. */
const SQLITE_STATIC = 0;

/** A row's values: numbers, texts, blobs and nulls. */
export type RowValue = string | number | Uint8Array | null;

/**
 * Runs one prepared INSERT for many rows, binding through sqlite3_bind_* directly with every text of the batch
 * encoded once into one region of the wasm heap. sql.js's Statement.run allocates, copies and frees each value on
 * its own (and encodes strings with a per-character JavaScript loop); for a row of 26 values that wrapper costs
 * more than SQLite's own insert. Where the statement's handle cannot be found (another sql.js build), it falls
 * back to Statement.run with texts as UTF-8 blobs (the SQL must CAST them AS TEXT), which stores the same values.
 */
export class RowBinder {
  private _heap = 0;
  private _heapBytes = 0;
  private _scratch: Buffer = Buffer.allocUnsafeSlow(64 * 1024);
  private _spans = new Int32Array(1024);
  /** Per column, where in `_spans` the last row's value of that column went (see _encodeTexts). */
  private _columnSpan: number[] = [];

  private constructor(private readonly _sql: SqlJsExports | null) {}

  /** `sql`: the sql.js module; without SQLite's exports (or with `viaSqlJs`), every row goes through Statement.run. */
  static for(sql: SqlJsStatic, viaSqlJs = false): RowBinder {
    const s = sql as unknown as Partial<SqlJsExports>;
    const complete = typeof s._malloc === 'function' && typeof s._sqlite3_bind_text === 'function' && typeof s._sqlite3_bind_blob === 'function' && typeof s.writeArrayToMemory === 'function'
      && typeof s._sqlite3_clear_bindings === 'function' && typeof s._sqlite3_sql === 'function' && typeof s.UTF8ToString === 'function';
    return new RowBinder(complete && !viaSqlJs ? (s as SqlJsExports) : null);
  }

  /**
   * Runs `stmt` for each row of `width` values in `values`, each row led by `first` when given (bound as parameter 1).
   * `text[k]` tells whether column k is text. Returns how the rows were bound.
   */
  run(db: Database, stmt: Statement, sqlText: string, first: number | null, values: RowValue[], width: number, text: readonly boolean[]): 'direct' | 'sql.js' {
    const handle = this._sql ? statementHandle(this._sql, db, stmt, sqlText) : undefined;
    if (handle === undefined) {
      runEach(stmt, first, values, width, text);
      return 'sql.js';
    }
    const sql = this._sql!;
    const heap = this._encodeTexts(sql, values, width, text);
    const spans = this._spans;
    const at = first === null ? 1 : 2;
    let span = 0;
    for (let row = 0; row < values.length; row += width) {
      if (first !== null) sql._sqlite3_bind_int(handle, 1, first);
      for (let k = 0; k < width; k++) {
        const v = values[row + k];
        if (v === null) continue;
        if (typeof v === 'number') {
          if (v === (v | 0)) sql._sqlite3_bind_int(handle, k + at, v);
          else sql._sqlite3_bind_double(handle, k + at, v);
          continue;
        }
        const bind = typeof v === 'string' ? sql._sqlite3_bind_text : sql._sqlite3_bind_blob;
        bind(handle, k + at, heap + spans[span], spans[span + 1], SQLITE_STATIC);
        span += 2;
      }
      const rc = sql._sqlite3_step(handle);
      sql._sqlite3_reset(handle);
      sql._sqlite3_clear_bindings(handle);
      // sql.js turns the failure into its error (with SQLite's message) when it runs the same row itself.
      if (rc !== SQLITE_DONE) runEach(stmt, first, values.slice(row, row + width), width, text);
    }
    return 'direct';
  }

  /**
   * Encodes every text (and copies every blob) of the batch into one buffer, copied to the wasm heap at once; spans
   * hold [offset, length]. A value that is the very object the row before held in that column (the JSON of
   * repeated headers) gets that row's span again: the bytes stay in place for the whole batch, so rows may share them.
   */
  private _encodeTexts(sql: SqlJsExports, values: RowValue[], width: number, text: readonly boolean[]): number {
    let at = 0;
    let span = 0;
    for (let row = 0; row < values.length; row += width) {
      for (let k = 0; k < width; k++) {
        const v = values[row + k];
        if (v === null || typeof v === 'number') continue;
        const isText = typeof v === 'string';
        if (isText !== text[k]) throw new TypeError(`column ${k} holds ${isText ? 'text' : 'a blob'}`);
        if (span + 2 > this._spans.length) {
          const spans = new Int32Array(this._spans.length * 2);
          spans.set(this._spans);
          this._spans = spans;
        }
        const same = row > 0 && isText && v === values[row - width + k] ? this._columnSpan[k] : -1;
        if (same >= 0) {
          this._spans[span++] = this._spans[same];
          this._spans[span++] = this._spans[same + 1];
          this._columnSpan[k] = span - 2;
          continue;
        }
        this._columnSpan[k] = span;
        const most = isText ? v.length * 3 : v.length;
        if (at + most > this._scratch.length) this._scratch = grow(this._scratch, at, at + most);
        let n = v.length;
        if (isText) n = this._scratch.write(v, at, 'utf8');
        else this._scratch.set(v, at);
        this._spans[span++] = at;
        this._spans[span++] = n;
        at += n;
      }
    }
    if (at > this._heapBytes) {
      if (this._heap) sql._free(this._heap);
      this._heapBytes = Math.max(at, this._heapBytes * 2, 64 * 1024);
      this._heap = sql._malloc(this._heapBytes);
      if (!this._heap) throw new Error(`out of wasm memory for ${this._heapBytes} bytes of text`);
    }
    if (at) sql.writeArrayToMemory(this._scratch.subarray(0, at), this._heap);
    return this._heap;
  }
}

function grow(b: Buffer, used: number, need: number): Buffer {
  const next = Buffer.allocUnsafeSlow(Math.max(need, b.length * 2));
  b.copy(next, 0, 0, used);
  return next;
}

/** The C handle of a sql.js statement: found among the statements its database tracks, checked by its SQL text. */
const handles = new WeakMap<Statement, number>();
function statementHandle(sql: SqlJsExports, db: Database, stmt: Statement, sqlText: string): number | undefined {
  const known = handles.get(stmt);
  if (known !== undefined) return known;
  for (const field of Object.values(db as unknown as Record<string, unknown>)) {
    if (!field || typeof field !== 'object' || Array.isArray(field)) continue;
    for (const [key, value] of Object.entries(field as Record<string, unknown>)) {
      if (value !== stmt) continue;
      const handle = Number(key);
      if (Number.isInteger(handle) && handle > 0 && sql.UTF8ToString(sql._sqlite3_sql(handle)) === sqlText) {
        handles.set(stmt, handle);
        return handle;
      }
    }
  }
  return undefined;
}

/** sql.js's own way: texts as UTF-8 blobs (cast to TEXT by the SQL), one Statement.run per row. */
function runEach(stmt: Statement, first: number | null, values: RowValue[], width: number, text: readonly boolean[]): void {
  const at = first === null ? 0 : 1;
  const bound: Array<number | Uint8Array | null> = new Array(width + at);
  if (first !== null) bound[0] = first;
  for (let row = 0; row < values.length; row += width) {
    for (let k = 0; k < width; k++) {
      const v = values[row + k];
      bound[k + at] = typeof v === 'string' && text[k] ? Buffer.from(v) : (v as number | Uint8Array | null);
    }
    stmt.run(bound);
  }
}
