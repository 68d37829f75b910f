/**
 * Readers for the server's reply to one command, fed one packet at a time: each says when the reply is complete and
 * summarizes it. Rows are counted, never kept.
 */
import { Capability, ServerStatus } from './constants';
import { errSummary, errorText, inTransaction, okSummary } from './summary';
import { readColumnDefinition, readEofStatus, readErr, readOk, readPrepareOk, type PrepareOk } from './messages';
import type { Packet } from './packets';

const MAX_COLUMN_NAMES = 100;
const MAX_RESULTS = 100;

export interface ReplyReader {
  /** Reads one reply packet; true when the reply is complete. */
  read(p: Packet): boolean;
  response(): unknown;
  error(): string | null;
}

const isOk = (p: Packet): boolean => p.payload[0] === 0x00;
const isErr = (p: Packet): boolean => p.payload[0] === 0xff;
/** An EOF packet, or (CLIENT_DEPRECATE_EOF) the OK packet with a 0xFE header that ends a result set. */
const isEnd = (p: Packet, deprecateEof: boolean): boolean => p.payload[0] === 0xfe && p.length < (deprecateEof ? 0xffffff : 9);

/**
 * COM_QUERY, COM_STMT_EXECUTE and COM_STMT_FETCH: an OK, an ERR, a LOCAL INFILE request, or a result set (column
 * count, column definitions, [EOF], rows, EOF or OK); more follow while the status has SERVER_MORE_RESULTS_EXISTS.
 */
export class ResultReader implements ReplyReader {
  private _stage: 'first' | 'columns' | 'columnsEof' | 'rows';
  private _columnsLeft = 0;
  private _columnCount = 0;
  private _columns: string[] = [];
  private _rows = 0;
  private readonly _results: Record<string, unknown>[] = [];
  private _resultCount = 0;
  private _error: string | null = null;

  constructor(
    private readonly _capabilities: number,
    /** Called when the server asks for a local file: the client's next packets are its content. */
    private readonly _onLocalInfile: () => void,
    rowsOnly = false,
  ) {
    this._stage = rowsOnly ? 'rows' : 'first';
  }

  private get _deprecateEof(): boolean {
    return (this._capabilities & Capability.DEPRECATE_EOF) !== 0;
  }

  read(p: Packet): boolean {
    switch (this._stage) {
      case 'first':
        return this._readFirst(p);
      case 'columns':
        if (this._columns.length < MAX_COLUMN_NAMES) this._columns.push(readColumnDefinition(p.payload).name);
        if (--this._columnsLeft === 0) this._stage = this._deprecateEof ? 'rows' : 'columnsEof';
        return false;
      case 'columnsEof':
        if (isErr(p)) return this._readErr(p);
        this._stage = 'rows';
        // A cursor was opened (COM_STMT_EXECUTE): the rows come with COM_STMT_FETCH.
        if (isEnd(p, false) && readEofStatus(p.payload).statusFlags & ServerStatus.CURSOR_EXISTS) return this._endRows(readEofStatus(p.payload));
        return false;
      case 'rows':
        if (isErr(p)) return this._readErr(p);
        if (!isEnd(p, this._deprecateEof)) {
          this._rows++;
          return false;
        }
        return this._endRows(this._deprecateEof ? readOk(p.payload, this._capabilities) : readEofStatus(p.payload));
    }
  }

  private _readFirst(p: Packet): boolean {
    if (isErr(p)) return this._readErr(p);
    if (isOk(p)) {
      const ok = readOk(p.payload, this._capabilities);
      this._push(okSummary(ok));
      return !(ok.statusFlags & ServerStatus.MORE_RESULTS_EXISTS);
    }
    if (p.payload[0] === 0xfb) {
      this._onLocalInfile();
      return false; // the server answers the file with an OK or ERR
    }
    const count = readColumnCount(p.payload);
    this._columnCount = this._columnsLeft = count;
    this._columns = [];
    this._rows = 0;
    this._stage = 'columns';
    return false;
  }

  private _endRows(end: { warnings: number; statusFlags: number }): boolean {
    this._push({ type: 'rows', columnCount: this._columnCount, columns: this._columns, rows: this._rows, warnings: end.warnings, inTransaction: inTransaction(end.statusFlags) });
    this._stage = 'first';
    return !(end.statusFlags & ServerStatus.MORE_RESULTS_EXISTS);
  }

  private _readErr(p: Packet): true {
    const err = readErr(p.payload);
    this._error = errorText(err);
    this._push(errSummary(err));
    return true;
  }

  private _push(summary: Record<string, unknown>): void {
    this._resultCount++;
    if (this._results.length < MAX_RESULTS) this._results.push(summary);
  }

  response(): unknown {
    if (this._resultCount === 1) return this._results[0];
    if (this._resultCount === 0) return this._stage === 'rows' ? { type: 'rows', rows: this._rows } : undefined;
    return { type: 'multi', resultCount: this._resultCount, results: this._results };
  }

  error(): string | null {
    return this._error;
  }
}

function readColumnCount(payload: Buffer): number {
  const first = payload[0];
  const count = first < 0xfb ? first : first === 0xfc ? payload.readUInt16LE(1) : first === 0xfd ? payload.readUIntLE(1, 3) : -1;
  if (!(count > 0)) throw new RangeError(`unexpected reply header 0x${first?.toString(16)}`);
  return count;
}

/** COM_STMT_PREPARE: an ERR, or the statement id and counts, then the parameter and column definitions. */
export class PrepareReader implements ReplyReader {
  private _stage: 'first' | 'params' | 'paramsEof' | 'columns' | 'columnsEof' = 'first';
  private _ok: PrepareOk | undefined;
  private _left = 0;
  private readonly _columns: string[] = [];
  private _error: string | null = null;
  private _errSummary: Record<string, unknown> | undefined;

  constructor(
    private readonly _capabilities: number,
    private readonly _onPrepared: (ok: PrepareOk) => void,
  ) {}

  read(p: Packet): boolean {
    const deprecateEof = (this._capabilities & Capability.DEPRECATE_EOF) !== 0;
    switch (this._stage) {
      case 'first':
        if (isErr(p)) {
          const err = readErr(p.payload);
          this._error = errorText(err);
          this._errSummary = errSummary(err);
          return true;
        }
        this._ok = readPrepareOk(p.payload);
        this._onPrepared(this._ok);
        return this._next('params');
      case 'params':
        if (--this._left > 0) return false;
        return deprecateEof ? this._next('columns') : ((this._stage = 'paramsEof'), false);
      case 'paramsEof':
        return this._next('columns');
      case 'columns':
        if (this._columns.length < MAX_COLUMN_NAMES) this._columns.push(readColumnDefinition(p.payload).name);
        if (--this._left > 0) return false;
        return deprecateEof ? true : ((this._stage = 'columnsEof'), false);
      case 'columnsEof':
        return true;
    }
  }

  /** Moves to the parameter or column definitions still to come; true when none are. */
  private _next(from: 'params' | 'columns'): boolean {
    const ok = this._ok!;
    if (from === 'params' && ok.numParams > 0) {
      this._stage = 'params';
      this._left = ok.numParams;
      return false;
    }
    if (ok.numColumns > 0) {
      this._stage = 'columns';
      this._left = ok.numColumns;
      return false;
    }
    return true;
  }

  response(): unknown {
    if (this._errSummary) return this._errSummary;
    if (!this._ok) return undefined;
    return { type: 'prepared', statementId: this._ok.statementId, params: this._ok.numParams, columnCount: this._ok.numColumns, columns: this._columns, warnings: this._ok.warnings };
  }

  error(): string | null {
    return this._error;
  }
}

/** A reply of one packet (COM_PING, COM_INIT_DB, COM_STMT_RESET, COM_SET_OPTION…): an OK, an EOF, an ERR or text. */
export class SinglePacketReader implements ReplyReader {
  private _response: unknown;
  private _error: string | null = null;

  constructor(private readonly _capabilities: number) {}

  read(p: Packet): boolean {
    if (isErr(p)) {
      const err = readErr(p.payload);
      this._error = errorText(err);
      this._response = errSummary(err);
    } else if (isOk(p) && p.length >= 7) this._response = okSummary(readOk(p.payload, this._capabilities));
    else if (isEnd(p, false)) this._response = { type: 'eof', inTransaction: inTransaction(readEofStatus(p.payload).statusFlags) };
    else this._response = { type: 'text', text: p.payload.subarray(0, 200).toString('utf8') };
    return true;
  }

  response(): unknown {
    return this._response;
  }

  error(): string | null {
    return this._error;
  }
}

/**
 * Packets until an OK or ERR, skipping the authentication exchanges between (auth switch 0xFE, more data 0x01):
 * the login's result and COM_CHANGE_USER's. Auth data is never summarized.
 */
export class AuthResultReader implements ReplyReader {
  private _response: unknown;
  private _error: string | null = null;

  constructor(private readonly _capabilities: number) {}

  read(p: Packet): boolean {
    if (isErr(p)) {
      const err = readErr(p.payload);
      this._error = errorText(err);
      this._response = errSummary(err);
      return true;
    }
    if (!isOk(p)) return false;
    const ok = readOk(p.payload, this._capabilities);
    this._response = { type: 'ok', inTransaction: inTransaction(ok.statusFlags), autocommit: (ok.statusFlags & ServerStatus.AUTOCOMMIT) !== 0 };
    return true;
  }

  response(): unknown {
    return this._response;
  }

  error(): string | null {
    return this._error;
  }
}

/** COM_FIELD_LIST: column definitions until an EOF (or ERR). */
export class UntilEndReader implements ReplyReader {
  private _count = 0;
  private _error: string | null = null;

  constructor(private readonly _capabilities: number) {}

  read(p: Packet): boolean {
    if (isErr(p)) {
      this._error = errorText(readErr(p.payload));
      return true;
    }
    if (isEnd(p, (this._capabilities & Capability.DEPRECATE_EOF) !== 0)) return true;
    this._count++;
    return false;
  }

  response(): unknown {
    return this._error ? { type: 'error' } : { type: 'fields', columnCount: this._count };
  }

  error(): string | null {
    return this._error;
  }
}
