/**
 * One proxied PostgreSQL connection: client messages become calls and expectations (what the server will answer,
 * in order); server messages fill in the call at the head of the queue. Calls: CONNECT (startup), QUERY or COPY
 * (simple query, one per Query message), EXECUTE (extended protocol, one per Execute, with the SQL of the bound
 * statement and the bound values), PARSE (a Parse not followed by an Execute before Sync), CANCEL. After an error
 * in the extended protocol the server skips messages until Sync, and so does the queue. Calls of an extended batch
 * are emitted at its ReadyForQuery, which gives their transaction state.
 */
import type { WireCall, WireParser, WireParserContext } from '../types';
import { DesyncError, FrameReader, type Frame } from './frames';
import {
  BodyReader, CANCEL_REQUEST, GSSENC_REQUEST, SSL_REQUEST, decodeBind, decodeCommandTag, decodeErrorFields, decodeParse,
  decodeRowDescription, formatError, startupParams, type Column, type ServerError,
} from './messages';
import { CallDraft, transactionState } from './summary';
import { cutStatement, typeName, type ParamValue } from './values';

type Expectation =
  | { kind: 'startup' | 'query'; call: CallDraft }
  | { kind: 'parse' | 'bind' | 'describe' | 'close' | 'execute'; call: CallDraft }
  | { kind: 'sync'; calls: CallDraft[] };

interface Prepared {
  sql: string;
  sqlBytes: number;
  paramTypes: number[];
}

interface Portal {
  statementName: string;
  prepared: Prepared | undefined;
  params: ParamValue[];
}

/** Bounds on per-connection state; beyond them the oldest go (maps) or parsing stops (queue). */
const MAX_PREPARED = 1000;
const MAX_PORTALS = 100;
const MAX_EXPECTATIONS = 10_000;
const MAX_OPEN_CALLS = 10_000;

const CLIENT_BODIES = new Set(['', 'Q', 'P', 'B', 'D', 'E', 'C', 'f']);
const SERVER_BODIES = new Set(['R', 'S', 'E', 'N', 'T', 'C', 'Z']);
const STARTUP_PARAMS = ['user', 'database', 'application_name', 'replication'];
const AUTH_METHODS: Record<number, string> = { 2: 'KerberosV5', 3: 'cleartext password', 5: 'md5', 7: 'GSSAPI', 9: 'SSPI' };

export class PostgresSession implements WireParser {
  private readonly clientReader = new FrameReader('untyped', (t) => CLIENT_BODIES.has(t), (f) => this.onClient(f));
  private readonly serverReader = new FrameReader('typed', (t) => SERVER_BODIES.has(t), (f) => this.onServer(f));
  private stopped = false;
  private sawClientByte = false;
  private encryptionAsked: { kind: 'TLS' | 'GSSAPI'; at: number } | null = null;
  private sslRefused = false;
  private readonly queue: Expectation[] = [];
  private readonly open = new Set<CallDraft>();
  private readonly prepared = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  /** The last RowDescription and its columns: a statement run again describes its rows the same way. */
  private lastRowDescription: { body: Buffer; columns: Column[] } | null = null;
  /** Response JSON by plainResponseKey, for calls with the last RowDescription's columns or none. */
  private readonly responseJson = new Map<string, string>();
  /** Parse/Bind/Describe/Close since the last Execute or Sync: they become the next Execute's call. */
  private group: CallDraft | null = null;
  /** Calls since the last Sync. */
  private batch: CallDraft[] = [];
  private copyIn: CallDraft | null = null;
  /** The extended-protocol error that makes the server skip messages until Sync. */
  private syncError: ServerError | null = null;

  constructor(private readonly context: WireParserContext) {}

  /** Bytes held for frames in progress, both directions (bounded; see frames.ts). */
  get bufferedBytes(): number {
    return this.clientReader.bufferedBytes + this.serverReader.bufferedBytes;
  }

  client(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    try {
      if (!this.sawClientByte) {
        this.sawClientByte = true;
        // A TLS ClientHello first (libpq's sslnegotiation=direct): nothing to parse.
        if (chunk[0] === 0x16) return this.encrypted('TLS', this.context.now());
      }
      this.clientReader.push(chunk, this.context.now());
    } catch (e) {
      this.stop(e);
    }
  }

  server(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    try {
      this.serverReader.push(chunk, this.context.now());
    } catch (e) {
      this.stop(e);
    }
  }

  end(): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.flushOpen('connection closed before the reply');
    } catch {
      // never past end()
    }
  }

  /** Desync or an unexpected shape: stop parsing this connection quietly, reporting the calls in flight. */
  private stop(e: unknown): void {
    this.stopped = true;
    try {
      this.flushOpen(`reply not parsed: ${e instanceof DesyncError ? e.message : 'unexpected PostgreSQL message'}`);
    } catch {
      // never past client()/server()
    }
  }

  private flushOpen(reason: string): void {
    for (const call of [...this.open]) {
      if (call.completedAt === null && !call.failed) call.failure = reason;
      this.emit(call);
    }
    this.queue.length = 0;
  }

  private emit(call: CallDraft): void {
    if (!this.open.delete(call)) return;
    if (call.onlyIfFailed && !call.failed) return;
    const wire = call.toWireCall();
    this.reuseResponseJson(call, wire);
    this.context.emit(wire);
  }

  private track(call: CallDraft): CallDraft {
    if (this.open.size >= MAX_OPEN_CALLS) throw new DesyncError('too many calls without a reply');
    this.open.add(call);
    return call;
  }

  private expect(e: Expectation): void {
    if (this.queue.length >= MAX_EXPECTATIONS) throw new DesyncError('too many messages without a reply');
    if (e.kind !== 'sync') e.call.unanswered++;
    this.queue.push(e);
  }

  private encrypted(kind: 'TLS' | 'GSSAPI', at: number): void {
    const started = this.encryptionAsked?.at ?? at;
    const call = new CallDraft(started, 'CONNECT', `CONNECT (${kind}: encrypted, not parsed)`);
    call.extra.encrypted = kind;
    call.complete(at);
    this.context.emit(call.toWireCall());
    this.stopped = true;
  }

  // ---- client → server

  private onClient(f: Frame): void {
    if (f.type === '') return this.onStartup(f);
    switch (f.type) {
      case 'Q': {
        const r = new BodyReader(f.body);
        const sql = r.cstring();
        const call = this.track(new CallDraft(f.at, 'QUERY', cutStatement(sql, f.truncated ? f.length - 1 : Buffer.byteLength(sql))));
        this.expect({ kind: 'query', call });
        return;
      }
      case 'P': {
        const m = decodeParse(f.body, f.length);
        this.remember(this.prepared, m.name, { sql: m.sql, sqlBytes: m.sqlBytes, paramTypes: m.paramTypes }, MAX_PREPARED);
        const call = this.groupCall(f.at);
        call.method = 'PARSE';
        call.statement = cutStatement(m.sql, m.sqlBytes);
        call.onlyIfFailed = false;
        call.request = { ...call.request, ...(m.name ? { name: m.name } : {}), ...(m.paramTypes.length ? { paramTypes: m.paramTypes.map(typeName) } : {}) };
        this.expect({ kind: 'parse', call });
        return;
      }
      case 'B': {
        const statementName = skipCstring(f.body).cstring();
        const prepared = this.prepared.get(statementName);
        const m = decodeBind(f.body, prepared?.paramTypes ?? []);
        this.remember(this.portals, m.portal, { statementName: m.statement, prepared, params: m.params }, MAX_PORTALS);
        this.expect({ kind: 'bind', call: this.groupCall(f.at) });
        return;
      }
      case 'D': {
        const call = this.groupCall(f.at);
        if (!call.statement) call.statement = `DESCRIBE ${describeTarget(f.body)}`;
        this.expect({ kind: 'describe', call });
        return;
      }
      case 'C': {
        const r = new BodyReader(f.body);
        const what = r.byte();
        const name = r.cstring();
        (what === 0x53 ? this.prepared : this.portals).delete(name);
        const call = this.groupCall(f.at);
        if (!call.statement) {
          call.method = 'CLOSE';
          call.statement = `CLOSE ${describeTarget(f.body)}`;
        }
        this.expect({ kind: 'close', call });
        return;
      }
      case 'E':
        return this.onExecute(f);
      case 'S':
        return this.onSync();
      case 'F': {
        const call = this.track(new CallDraft(f.at, 'FUNCTION', 'FunctionCall'));
        this.expect({ kind: 'query', call });
        return;
      }
      case 'd':
        if (this.copyIn?.copy) {
          this.copyIn.copy.messages++;
          this.copyIn.copy.bytes += f.length;
        }
        return;
      case 'c':
        this.copyIn = null;
        return;
      case 'f':
        if (this.copyIn?.copy) this.copyIn.copy.failed = true;
        this.copyIn = null;
        return;
      default:
        // p (password, SASL: never read), H (Flush), X (Terminate)
        return;
    }
  }

  private onStartup(f: Frame): void {
    const r = new BodyReader(f.body);
    const code = r.int32();
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.encryptionAsked = { kind: code === SSL_REQUEST ? 'TLS' : 'GSSAPI', at: f.at };
      this.serverReader.mode = 'byte';
      return;
    }
    if (code === CANCEL_REQUEST) {
      const pid = r.int32();
      const call = new CallDraft(f.at, 'CANCEL', `CANCEL backend ${pid}`);
      call.complete(f.at);
      this.context.emit(call.toWireCall());
      return;
    }
    if (code >>> 16 !== 3) throw new DesyncError(`unknown startup code ${code}`);
    const params = startupParams(r);
    const request: Record<string, unknown> = { protocol: `${code >>> 16}.${code & 0xffff}` };
    for (const name of STARTUP_PARAMS) if (params[name] !== undefined) request[name] = params[name].slice(0, 200);
    if (this.sslRefused) request.ssl = 'refused by the server';
    const statement = `CONNECT user=${request.user ?? ''} database=${request.database ?? request.user ?? ''}`;
    const call = this.track(new CallDraft(f.at, 'CONNECT', statement, request));
    this.expect({ kind: 'startup', call });
    this.clientReader.mode = 'typed';
  }

  /** The call Parse/Bind/Describe/Close messages belong to until an Execute or Sync. */
  private groupCall(at: number): CallDraft {
    if (!this.group) {
      this.group = this.track(new CallDraft(at, 'DESCRIBE', ''));
      this.group.onlyIfFailed = true;
      this.batch.push(this.group);
    }
    return this.group;
  }

  private onExecute(f: Frame): void {
    const r = new BodyReader(f.body);
    const portalName = r.cstring();
    const maxRows = r.int32();
    const portal = this.portals.get(portalName);
    const call = this.group ?? this.track(new CallDraft(f.at, 'EXECUTE', ''));
    if (!this.group) this.batch.push(call);
    this.group = null;
    call.method = 'EXECUTE';
    call.onlyIfFailed = false;
    const prepared = portal?.prepared;
    call.statement = prepared ? cutStatement(prepared.sql, prepared.sqlBytes) : `<portal ${JSON.stringify(portalName)} bound before the capture>`;
    const request: Record<string, unknown> = {};
    if (portal?.statementName) request.name = portal.statementName;
    if (portalName) request.portal = portalName;
    if (portal?.params.length) request.params = portal.params;
    if (prepared?.paramTypes.length) request.paramTypes = prepared.paramTypes.map(typeName);
    if (maxRows > 0) request.maxRows = maxRows;
    call.request = request;
    this.expect({ kind: 'execute', call });
  }

  private onSync(): void {
    // A Sync during COPY FROM STDIN is ignored by the server.
    if (this.copyIn) return;
    this.group = null;
    this.expect({ kind: 'sync', calls: this.batch });
    this.batch = [];
  }

  /**
   * Most calls of a connection answer alike ('SELECT 1', one row, idle, the same columns): their response's JSON
   * is made once and handed on (WireCall.responseJson), not serialised call after call.
   */
  private reuseResponseJson(call: CallDraft, wire: WireCall): void {
    if (call.columns && call.columns !== this.lastRowDescription?.columns) return;
    const key = call.plainResponseKey();
    if (key === null) return;
    const cacheKey = call.columns ? key : `${key}\0no columns`;
    let json = this.responseJson.get(cacheKey);
    if (json === undefined) {
      if (this.responseJson.size >= 64) this.responseJson.clear();
      json = JSON.stringify(wire.response);
      this.responseJson.set(cacheKey, json);
    }
    wire.responseJson = json;
  }

  /** Columns of a RowDescription; the same array as last time when the bytes are the same (never changed after). */
  private rowDescription(body: Buffer): Column[] {
    const last = this.lastRowDescription;
    if (last && last.body.equals(body)) return last.columns;
    const columns = decodeRowDescription(body);
    this.responseJson.clear(); // its keys hold for the last columns only
    this.lastRowDescription = { body: Buffer.from(body), columns }; // a copy: not the chunk it was read from
    return columns;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
    map.delete(key);
    if (map.size >= max) map.delete(map.keys().next().value as string);
    map.set(key, value);
  }

  // ---- server → client

  private onServer(f: Frame): void {
    if (this.serverReader.mode === 'byte') return this.onEncryptionAnswer(f);
    const head = this.queue[0];
    const call = head && head.kind !== 'sync' ? head.call : undefined;
    if (call && f.type !== 'Z') call.replied(f.at);
    switch (f.type) {
      case 'R':
        return this.onAuthentication(f, head);
      case 'S':
        if (head?.kind === 'startup') {
          const r = new BodyReader(f.body);
          if (r.cstring() === 'server_version') head.call.extra.serverVersion = r.cstring().slice(0, 100);
        }
        return;
      case 'K':
      case 'v':
      case 't':
        return;
      case 'N':
        call?.addNotice(decodeErrorFields(f.body));
        return;
      case 'A':
        if (call) call.notifications++;
        return;
      case 'E':
        return this.onError(decodeErrorFields(f.body), f.at);
      case 'Z':
        return this.onReady(new BodyReader(f.body).byte(), f.at);
      case '1':
        return this.expectHead('parse', f.at);
      case '2':
        return this.expectHead('bind', f.at);
      case '3':
        return this.expectHead('close', f.at);
      case 'n':
        return this.expectHead('describe', f.at);
      case 'T':
        if (head?.kind === 'describe' || head?.kind === 'query') {
          if (!head.call.columns) head.call.columns = this.rowDescription(f.body);
          if (head.kind === 'describe') this.answered(f.at);
        }
        return;
      case 'D':
        if (head?.kind === 'query' || head?.kind === 'execute') head.call.rows++;
        return;
      case 'C':
      case 'I':
      case 's':
        return this.onCommandEnd(f);
      case 'G':
      case 'H':
        if (call && (head.kind === 'query' || head.kind === 'execute')) {
          call.copy = { direction: f.type === 'G' ? 'in' : 'out', messages: 0, bytes: 0 };
          if (call.method === 'QUERY') call.method = 'COPY';
          if (f.type === 'G') this.copyIn = call;
          if (f.type === 'G' && head.kind === 'execute') this.dropSyncSentBeforeCopy();
        }
        return;
      case 'd':
        if (call?.copy?.direction === 'out') {
          call.copy.messages++;
          call.copy.bytes += f.length;
        }
        return;
      case 'W':
        throw new DesyncError('replication (CopyBothResponse) is not parsed');
      default:
        // c (CopyDone), V (FunctionCallResponse) and message types of later protocol versions.
        return;
    }
  }

  /**
   * The server ignores a Sync it reads in copy-in mode, so a Sync pipelined after this Execute gets no
   * ReadyForQuery: its calls wait for the Sync the client sends after CopyDone.
   */
  private dropSyncSentBeforeCopy(): void {
    const i = this.queue.findIndex((e) => e.kind === 'sync');
    if (i < 0) return;
    const [ignored] = this.queue.splice(i, 1);
    if (ignored.kind === 'sync') this.batch = [...ignored.calls, ...this.batch];
  }

  private onEncryptionAnswer(f: Frame): void {
    const asked = this.encryptionAsked;
    this.serverReader.mode = 'typed';
    if ((f.type === 'S' && asked?.kind === 'TLS') || (f.type === 'G' && asked?.kind === 'GSSAPI')) return this.encrypted(asked.kind, f.at);
    if (f.type !== 'N') throw new DesyncError(`unexpected answer '${f.type}' to the encryption request`);
    if (asked?.kind === 'TLS') this.sslRefused = true;
    this.encryptionAsked = null;
  }

  /** Which method the server asked for; SASL exchanges and salts are never read. */
  private onAuthentication(f: Frame, head: Expectation | undefined): void {
    if (head?.kind !== 'startup') return;
    const r = new BodyReader(f.body);
    const code = r.int32();
    const extra = head.call.extra;
    if (code === 0) extra.authentication ??= 'trust';
    else if (code === 10) {
      const mechanisms: string[] = [];
      for (let i = 0; i < 8 && r.left > 1; i++) mechanisms.push(r.cstring().slice(0, 40));
      extra.authentication = `SASL ${mechanisms.filter(Boolean).join(', ')}`;
    } else if (AUTH_METHODS[code]) extra.authentication = AUTH_METHODS[code];
  }

  private expectHead(kind: Expectation['kind'], at: number): void {
    const head = this.queue[0];
    if (head?.kind !== kind) throw new DesyncError(`a '${kind}' reply while waiting for ${head ? `'${head.kind}'` : 'nothing'}`);
    this.answered(at);
  }

  private answered(at: number): void {
    const head = this.queue.shift();
    if (head && head.kind !== 'sync') {
      head.call.replied(at);
      head.call.unanswered--;
    }
  }

  private onCommandEnd(f: Frame): void {
    const head = this.queue[0];
    if (head?.kind !== 'query' && head?.kind !== 'execute') return;
    const call = head.call;
    if (f.type === 'C') call.addTag(decodeCommandTag(f.body));
    else if (f.type === 'I') call.empty = true;
    else call.suspended = true;
    if (call.copy) this.copyIn = null;
    if (head.kind === 'execute') {
      call.complete(f.at);
      this.answered(f.at);
    }
  }

  private onError(e: ServerError, at: number): void {
    const head = this.queue[0];
    this.copyIn = null;
    if (!head) return;
    if (head.kind === 'query') return head.call.fail(e, at);
    if (head.kind === 'startup') {
      this.queue.shift();
      head.call.fail(e, at);
      return this.emit(head.call);
    }
    if (head.kind === 'sync') {
      // An error at Sync (a deferred constraint at the implicit commit) belongs to the batch's last call.
      head.calls[head.calls.length - 1]?.fail(e, at);
      return;
    }
    // Extended protocol: the server skips everything up to the next Sync (onReady reports what it skipped).
    head.call.fail(e, at);
    this.syncError = e;
    while (this.queue.length && this.queue[0].kind !== 'sync') this.queue.shift();
  }

  private onReady(status: number, at: number): void {
    const state = transactionState(String.fromCharCode(status));
    // Replies the server skipped (after an error) have no ReadyForQuery of their own.
    while (this.queue.length && this.queue[0].kind !== 'query' && this.queue[0].kind !== 'startup' && this.queue[0].kind !== 'sync') this.queue.shift();
    const head = this.queue.shift();
    if (!head) return;
    const calls = head.kind === 'sync' ? head.calls : [head.call];
    const skippedFor = this.syncError ? ` (${formatError(this.syncError)})` : '';
    this.syncError = null;
    for (const call of calls) {
      if (head.kind === 'sync' && call.unanswered > 0 && !call.failed) call.failure = `not run: the server skipped it after an earlier error before Sync${skippedFor}`;
      call.transaction = state;
      call.complete(at);
      this.emit(call);
    }
  }
}

/** A reader past the first C string (Bind: the statement name comes after the portal's). */
function skipCstring(body: Buffer): BodyReader {
  const r = new BodyReader(body);
  r.cstring();
  return r;
}

/** Describe and Close name a statement ('S') or a portal ('P'). */
function describeTarget(body: Buffer): string {
  const r = new BodyReader(body);
  const what = r.byte() === 0x53 ? 'statement' : 'portal';
  return `${what} ${JSON.stringify(r.cstring().slice(0, 100))}`;
}
