/**
 * The per-connection MySQL/MariaDB state machine: greeting → login (HandshakeResponse) → authentication → commands.
 * Each command is queued with a reader for its reply and emitted when the reply is complete. TLS and the
 * compressed protocol end parsing with a note call; anything that cannot be followed ends it quietly.
 */
import type { WireCall, WireParser, WireParserContext } from '../types';
import { Capability, COMMANDS } from './constants';
import { readGreeting, readHandshakeResponse, isProgressReport, readErr, type Greeting } from './messages';
import { PacketReader, type Packet } from './packets';
import { readExecuteParams, sizeLabel, type ParamValue } from './params';
import { PayloadReader } from './reader';
import { AuthResultReader, PrepareReader, ResultReader, SinglePacketReader, UntilEndReader, type ReplyReader } from './replies';
import { errorText, statementText } from './summary';

/** Kept of one packet; longer ones (large inserts, LOAD DATA content, big rows) are skipped past by their length. */
export const MAX_PACKET_KEPT = 1024 * 1024;
const MAX_PENDING = 1000;
const MAX_PREPARED = 1000;
const MAX_PARAMS_SHOWN = 100;
const CLIENT_QUERY_ATTRIBUTES = 0x8000000;
const PARAMETER_COUNT_AVAILABLE = 0x08;
const LAST_PREPARED = 0xffffffff;
export const CLOSED_BEFORE_REPLY = 'connection closed before the reply';

interface Pending {
  method: string;
  statement: string;
  startedAt: number;
  ttfbMs: number | null;
  request?: Record<string, unknown>;
  reply: ReplyReader;
}

interface Prepared {
  sql: string;
  numParams: number;
  types?: number[];
}

type Phase = 'greeting' | 'login' | 'auth' | 'commands' | 'stopped';

export class MysqlConnectionParser implements WireParser {
  private readonly _fromClient = new PacketReader(MAX_PACKET_KEPT);
  private readonly _fromServer = new PacketReader(MAX_PACKET_KEPT);
  private _phase: Phase = 'greeting';
  private _greeting: Greeting | undefined;
  private _capabilities = 0;
  private readonly _pending: Pending[] = [];
  private readonly _prepared = new Map<number, Prepared>();
  private _lastPreparedId: number | undefined;
  /** The client is sending a file the server asked for (LOAD DATA LOCAL INFILE), until an empty packet. */
  private _sendingFile = false;

  constructor(private readonly _context: WireParserContext) {}

  /** Bytes held for this connection (buffered input and packets being joined), for the bound's tests. */
  get bufferedBytes(): number {
    return this._fromClient.bufferedBytes + this._fromServer.bufferedBytes;
  }

  client(chunk: Buffer): void {
    if (this._phase === 'stopped') return;
    this._guard(() => {
      for (const p of this._fromClient.push(chunk, this._context.now())) if (this._phase !== 'stopped') this._clientPacket(p);
    });
  }

  server(chunk: Buffer): void {
    if (this._phase === 'stopped') return;
    this._guard(() => {
      const now = this._context.now();
      for (const p of this._fromServer.push(chunk, now)) if (this._phase !== 'stopped') this._serverPacket(p, now);
    });
  }

  end(): void {
    this._guard(() => {
      for (const call of this._pending.splice(0)) this._emit(call, null, CLOSED_BEFORE_REPLY);
      this._phase = 'stopped';
    });
  }

  /** A stream the parser cannot follow stops parsing of this connection; the bytes flow on regardless. */
  private _guard(work: () => void): void {
    try {
      work();
    } catch {
      this._phase = 'stopped';
    }
  }

  private _clientPacket(p: Packet): void {
    if (this._phase === 'login') return this._login(p);
    if (this._phase !== 'commands') return; // authentication data: never read
    if (this._sendingFile) {
      if (p.length === 0) this._sendingFile = false;
      return;
    }
    if (p.seq === 0) this._command(p);
  }

  private _serverPacket(p: Packet, now: number): void {
    if (this._phase === 'greeting') return this._greet(p);
    const call = this._pending[0];
    if (!call) return; // unsolicited, e.g. the ERR a server sends before closing an idle connection
    call.ttfbMs ??= p.at - call.startedAt;
    if (isProgressReport(p.payload)) return;
    if (!call.reply.read(p)) return;
    this._pending.shift();
    this._emit(call, now - call.startedAt, call.reply.error());
    if (call.method === 'CONNECT') this._phase = call.reply.error() ? 'stopped' : 'commands';
  }

  private _greet(p: Packet): void {
    if (p.payload[0] === 0xff) {
      this._note(p.at, 'CONNECT', 'CONNECT', undefined, errorText(readErr(p.payload)));
      this._phase = 'stopped';
      return;
    }
    this._greeting = readGreeting(p.payload);
    this._phase = 'login';
  }

  private _login(p: Packet): void {
    const login = readHandshakeResponse(p.payload);
    const greeting = this._greeting!;
    if (login.sslRequest) {
      this._note(p.at, 'TLS', 'TLS: the client asked for TLS; the rest of the connection is encrypted and not parsed');
      this._phase = 'stopped';
      return;
    }
    this._capabilities = login.capabilities & greeting.capabilities;
    const request = {
      user: login.user,
      database: login.database,
      serverVersion: greeting.serverVersion,
      connectionId: greeting.connectionId,
      authPlugin: login.authPlugin,
      deprecateEof: (this._capabilities & Capability.DEPRECATE_EOF) !== 0,
      multiStatements: (this._capabilities & Capability.MULTI_STATEMENTS) !== 0,
    };
    const statement = `CONNECT ${login.user}${login.database ? `@${login.database}` : ''}`;
    if (this._capabilities & (Capability.COMPRESS | Capability.ZSTD_COMPRESSION)) {
      this._note(p.at, 'CONNECT', statement, request);
      this._note(p.at, 'COMPRESS', 'COMPRESS: the client asked for the compressed protocol; the rest of the connection is not parsed');
      this._phase = 'stopped';
      return;
    }
    this._pending.push({ method: 'CONNECT', statement, startedAt: p.at, ttfbMs: null, request, reply: new AuthResultReader(this._capabilities) });
    this._phase = 'auth';
  }

  private _command(p: Packet): void {
    const code = p.payload[0];
    const method = COMMANDS[code] ?? `COM_0x${code.toString(16).padStart(2, '0')}`;
    const r = new PayloadReader(p.payload);
    r.skip(1);
    const caps = this._capabilities;
    const queue = (statement: string, reply: ReplyReader, request?: Record<string, unknown>): void => {
      if (this._pending.length >= MAX_PENDING) throw new RangeError('too many commands without replies');
      this._pending.push({ method, statement, startedAt: p.at, ttfbMs: null, request, reply });
    };
    switch (method) {
      case 'COM_QUERY': {
        if (caps & CLIENT_QUERY_ATTRIBUTES) skipQueryAttributes(r);
        const sqlLength = p.length - r.pos;
        const sql = statementText(r.rest(), sqlLength);
        return queue(sql, new ResultReader(caps, () => (this._sendingFile = true)));
      }
      case 'COM_STMT_PREPARE': {
        const sql = statementText(r.rest(), p.length - 1);
        return queue(sql, new PrepareReader(caps, (ok) => this._remember(ok.statementId, { sql, numParams: ok.numParams })));
      }
      case 'COM_STMT_EXECUTE': {
        const { id, prepared, statement } = this._statement(r);
        const flags = r.int(1);
        r.skip(4); // iteration count
        const params = p.truncated ? undefined : this._params(r, prepared, (caps & CLIENT_QUERY_ATTRIBUTES) !== 0, flags);
        return queue(statement, new ResultReader(caps, () => (this._sendingFile = true)), { statementId: id, ...(params ? { params } : {}) });
      }
      case 'COM_STMT_FETCH': {
        const { id, statement } = this._statement(r);
        return queue(statement, new ResultReader(caps, () => undefined, true), { statementId: id, rows: r.int(4) });
      }
      case 'COM_STMT_RESET': {
        const { id, statement } = this._statement(r);
        return queue(statement, new SinglePacketReader(caps), { statementId: id });
      }
      case 'COM_STMT_CLOSE': {
        const { id, statement } = this._statement(r);
        this._prepared.delete(id);
        return this._note(p.at, method, statement, { statementId: id });
      }
      case 'COM_STMT_SEND_LONG_DATA': {
        const { id, statement } = this._statement(r);
        return this._note(p.at, method, statement, { statementId: id, param: r.int(2), data: sizeLabel(p.length - 7) });
      }
      case 'COM_QUIT':
        return this._note(p.at, method, 'QUIT');
      case 'COM_INIT_DB':
        return queue(`USE ${r.rest().toString('utf8')}`, new SinglePacketReader(caps));
      case 'COM_PING':
        return queue('PING', new SinglePacketReader(caps));
      case 'COM_SET_OPTION': {
        const option = r.int(2);
        return queue(`SET_OPTION ${option === 0 ? 'MULTI_STATEMENTS_ON' : option === 1 ? 'MULTI_STATEMENTS_OFF' : option}`, new SinglePacketReader(caps));
      }
      case 'COM_CHANGE_USER':
        return queue(`CHANGE_USER ${r.cstring()}`, new AuthResultReader(caps));
      case 'COM_FIELD_LIST':
        return queue(`FIELD_LIST ${r.cstring()}`, new UntilEndReader(caps));
      case 'COM_PROCESS_INFO':
        return queue('PROCESSLIST', new ResultReader(caps, () => undefined));
      case 'COM_BINLOG_DUMP':
      case 'COM_BINLOG_DUMP_GTID':
      case 'COM_STMT_BULK_EXECUTE':
        this._note(p.at, method, `${method}: not parsed; the rest of the connection is not parsed`);
        this._phase = 'stopped';
        return;
      default:
        return queue(method, new SinglePacketReader(caps));
    }
  }

  /** The prepared statement a COM_STMT_* names (MariaDB's id 0xFFFFFFFF is the last one prepared). */
  private _statement(r: PayloadReader): { id: number; prepared: Prepared | undefined; statement: string } {
    let id = r.int(4);
    if (id === LAST_PREPARED && this._lastPreparedId !== undefined) id = this._lastPreparedId;
    const prepared = this._prepared.get(id);
    return { id, prepared, statement: prepared?.sql ?? `statement #${id}` };
  }

  private _remember(id: number, prepared: Prepared): void {
    if (this._prepared.size >= MAX_PREPARED) this._prepared.delete(this._prepared.keys().next().value!);
    this._prepared.set(id, prepared);
    this._lastPreparedId = id;
  }

  /** The execute's parameters; undefined when they cannot be read (statement prepared before the capture). */
  private _params(r: PayloadReader, prepared: Prepared | undefined, queryAttributes: boolean, flags: number): ParamValue[] | undefined {
    if (!prepared) return undefined;
    try {
      let count = prepared.numParams;
      if (queryAttributes && (count > 0 || flags & PARAMETER_COUNT_AVAILABLE)) count = r.lenenc() ?? 0;
      if (count === 0) return [];
      if (queryAttributes) return undefined; // typed and named attributes: not decoded
      const { values, types } = readExecuteParams(r, count, prepared.types);
      prepared.types = types;
      return values.slice(0, MAX_PARAMS_SHOWN);
    } catch {
      return undefined;
    }
  }

  private _note(startedAt: number, method: string, statement: string, request?: Record<string, unknown>, error: string | null = null): void {
    this._context.emit({ startedAt, ttfbMs: null, durationMs: null, method, statement, status: null, ...(request ? { request } : {}), error });
  }

  private _emit(call: Pending, durationMs: number | null, error: string | null): void {
    const response = call.reply.response();
    const out: WireCall = { startedAt: call.startedAt, ttfbMs: call.ttfbMs, durationMs, method: call.method, statement: call.statement, status: null, error };
    if (call.request) out.request = call.request;
    if (response !== undefined) out.response = response;
    this._context.emit(out);
  }
}

/** MySQL 8's query attributes before the SQL of a COM_QUERY: a count, a set count, and (when any) typed values. */
function skipQueryAttributes(r: PayloadReader): void {
  const count = r.lenenc() ?? 0;
  r.lenenc(); // parameter set count, always 1
  if (count === 0) return;
  r.skip((count + 7) >> 3); // null bitmap
  if (r.int(1) !== 1) return;
  throw new RangeError('query attributes with values are not decoded');
}
