import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { Database, SqlValue, Statement } from 'sql.js';
import { StoreError, describeError } from '../errors';
import type { HeaderPairs } from '../capture/types';
import { atomicWriteFileSync } from './atomicWrite';
import { readJournal, journalPath, type JournalOp } from './journal';
import type { PreparedBody, PreparedExchange, PreparedMessage } from './prepare';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema';
import { loadSqlJs, type SqlJs } from './sqlite';
import { RowBinder, type RowValue } from './rowBinder';

const SQLITE_MAGIC = 'SQLite format 3\0';

/** A row of the `runs` table; `result` is the run's result as the JSON text it was stored as. */
export interface StoredRun {
  id: number;
  kind: string;
  result: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface SessionRow {
  id: number;
  kind: string;
  target: string | null;
  listen: string | null;
  startedAt: number;
  stoppedAt: number | null;
  dropped: number;
  exchanges: number;
  /** What the capture noted about itself (e.g. upstream certificates not verified). */
  note: string | null;
}

export interface NewSession {
  kind: 'reverse' | 'forward' | 'import';
  target: string | null;
  listen: string | null;
  startedAt: number;
  note?: string | null;
}

export interface ExchangeSummary {
  id: number;
  sessionId: number;
  protocol: string;
  startedAt: number;
  method: string;
  url: string;
  path: string | null;
  status: number | null;
  durationMs: number | null;
  responseBodySize: number;
  error: string | null;
}

export interface StoredBody {
  data: Uint8Array;
  size: number;
  truncated: boolean;
  contentType: string | null;
}

export interface ExchangeDetail extends ExchangeSummary {
  seq: number;
  connectionId: number | null;
  ttfbMs: number | null;
  host: string | null;
  requestHeaders: HeaderPairs;
  responseHeaders: HeaderPairs | null;
  requestBody: StoredBody | null;
  responseBody: StoredBody | null;
  redacted: boolean;
  messages: MessageRow[];
  /** The HTTP exchange a database or cache call was made for (see link.ts). */
  parentId: number | null;
  /** HTTP version client → proxy and proxy → upstream ('1.1', '2'); null where not HTTP or not known. */
  httpVersion: string | null;
  upstreamHttpVersion: string | null;
}

export interface MessageRow {
  direction: string;
  at: number;
  opcode: number;
  size: number;
  data: Uint8Array | null;
  truncated: boolean;
}

/** A finding of a run (an audit's violation, a test's failure...), for the `findings` table. */
export interface NewFinding {
  kind: string;
  rule: string | null;
  severity: string | null;
  exchangeId: number | null;
  detail: unknown;
}

export interface NewRun {
  kind: string;
  spec: unknown;
  result: unknown;
  startedAt: number;
  finishedAt: number | null;
  findings?: NewFinding[];
}

export interface ExchangeQuery {
  sessionId?: number;
  limit?: number;
  offset?: number;
}

/**
 * Exchanges ready for the insert: EXCHANGE_COLUMNS values per row, in that order, and the bodies none of the
 * previous batches stored. One flat array of primitives, because it is also what the journal serialises: a
 * v8-serialised object per row costs several times more than the insert itself.
 */
export interface ExchangeRows {
  sessionId: number;
  /** Values per row (EXCHANGE_COLUMNS.length when written). */
  columns: number;
  values: Array<string | number | null>;
  /** Bodies to insert: their hashes, and their bytes one after the other in `data` (body i ends at ends[i]). */
  bodyHashes: string[];
  bodyEnds: number[];
  bodyData: Uint8Array;
}

/** The exchange columns a batch inserts, in the order of ExchangeRows.values, and whether each holds text. */
const EXCHANGE_COLUMNS: ReadonlyArray<readonly [string, boolean]> = [
  ['seq', false], ['protocol', true], ['connection_id', false], ['started_at', false], ['ttfb_ms', false], ['duration_ms', false],
  ['method', true], ['url', true], ['host', true], ['path', true], ['status', false],
  ['request_headers', true], ['response_headers', true],
  ['request_body_hash', true], ['request_body_size', false], ['request_body_truncated', false], ['request_content_type', true],
  ['response_body_hash', true], ['response_body_size', false], ['response_body_truncated', false], ['response_content_type', true],
  ['error', true], ['redacted', false], ['http_version', true], ['upstream_http_version', true],
];
const COLUMN_COUNT = EXCHANGE_COLUMNS.length;
const INSERT_BODY = 'INSERT OR IGNORE INTO bodies(hash, data) VALUES (CAST(? AS TEXT), ?)';
const BODY_TEXT_COLUMNS = [true, false];
const TEXT_COLUMNS = EXCHANGE_COLUMNS.map(([, text]) => text);
const PROTOCOL_COLUMN = 1;
const SEQ_COLUMN = 0;
// CAST: where RowBinder falls back to sql.js's own binding, texts go in as UTF-8 blobs (see RowBinder).
const INSERT_EXCHANGE = `INSERT INTO exchanges(session_id, ${EXCHANGE_COLUMNS.map(([c]) => c).join(', ')})
  VALUES (?, ${EXCHANGE_COLUMNS.map(([, text]) => (text ? 'CAST(? AS TEXT)' : '?')).join(', ')})`;
const JSON_CONTENT_TYPE = JSON.stringify([['content-type', 'application/json']]);

/**
 * The traffic database: a real SQLite file held by sql.js. Opening never writes; `save()` writes atomically.
 * A file that is not ours, or is corrupt, is refused before anything touches it.
 */
export class TrafficDb {
  private _seqToId = new Map<string, number>();
  private _stmts = new Map<string, Statement>();
  private _recentBodies = new Set<string>();
  private readonly _binder: RowBinder;
  private _held = false;
  /** How the last batch of exchanges was bound (see RowBinder): for tests. */
  lastInsertVia: 'direct' | 'sql.js' | undefined;
  /** How the last save() got the bytes it wrote: sql.js's live file, or a copy by export() (see save): for tests. */
  lastSaveVia: 'memfs' | 'export' | undefined;
  private _appliedLsn: number;
  readonly salt: string;

  private constructor(private _db: Database, readonly file: string | null, private readonly _sql: SqlJs, options: { bindViaSqlJs?: boolean } = {}) {
    this._binder = RowBinder.for(_sql, options.bindViaSqlJs);
    tune(_db);
    this.salt = this._meta('salt') ?? '';
    this._appliedLsn = Number(this._meta('applied_lsn') ?? 0);
  }

  /** Opens (or with `create`, creates in memory) the database at `file`, then replays any journal left beside it. */
  static async open(file: string, options: { create?: boolean } = {}): Promise<TrafficDb> {
    const SQL = await loadSqlJs();
    let bytes: Buffer | null = null;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new StoreError(`cannot read ${file}: ${describeError(e)}`);
      if (!options.create) throw new StoreError(`no traffic database at ${file}: capture some first with 'chaos-testing observe', or pass --db PATH`);
    }
    let db: TrafficDb;
    if (bytes) {
      verifyHeader(file, bytes);
      let raw: Database;
      try {
        raw = new SQL.Database(bytes);
        const check = raw.exec('PRAGMA quick_check')[0]?.values[0]?.[0];
        if (check !== 'ok') throw new Error(String(check));
      } catch (e) {
        throw new StoreError(`${file} is corrupt (${describeError(e).split('\n').find((l) => l.trim() && !l.startsWith('***')) ?? 'integrity check failed'}); it was left unchanged — restore it from a copy or choose another path`);
      }
      const appId = Number(raw.exec('PRAGMA application_id')[0]?.values[0]?.[0] ?? 0);
      if (appId !== APPLICATION_ID) {
        raw.close();
        throw new StoreError(`${file} is a SQLite database but not a Chaos Testing one; it was left unchanged — choose another path`);
      }
      const version = Number(raw.exec('PRAGMA user_version')[0]?.values[0]?.[0] ?? 0);
      if (version > SCHEMA_VERSION) {
        raw.close();
        throw new StoreError(`${file} was written by a newer Chaos Testing (schema ${version} > ${SCHEMA_VERSION}); upgrade chaos-testing`);
      }
      migrate(raw, version);
      db = new TrafficDb(raw, file, SQL);
    } else {
      const raw = new SQL.Database();
      raw.run(`PRAGMA application_id = ${APPLICATION_ID}`);
      migrate(raw, 0);
      raw.run('INSERT INTO meta(key, value) VALUES (?, ?)', ['salt', randomBytes(16).toString('hex')]);
      db = new TrafficDb(raw, file, SQL);
    }
    db.replayJournal();
    return db;
  }

  /** An empty database in memory, for tests and imports (`bindViaSqlJs`: without RowBinder's direct path). */
  static async memory(options: { bindViaSqlJs?: boolean } = {}): Promise<TrafficDb> {
    const SQL = await loadSqlJs();
    const raw = new SQL.Database();
    raw.run(`PRAGMA application_id = ${APPLICATION_ID}`);
    migrate(raw, 0);
    raw.run('INSERT INTO meta(key, value) VALUES (?, ?)', ['salt', randomBytes(16).toString('hex')]);
    return new TrafficDb(raw, null, SQL, options);
  }

  get appliedLsn(): number {
    return this._appliedLsn;
  }

  /** Applies frames a crashed (or still running) writer left in the journal, skipping those already saved. */
  replayJournal(): number {
    if (!this.file) return 0;
    let applied = 0;
    for (const op of readJournal(journalPath(this.file))) {
      if (op.lsn <= this._appliedLsn) continue;
      this.apply(op);
      applied++;
    }
    return applied;
  }

  /** Applies one journal operation in a transaction. The writer journals an op first, then applies it. */
  apply(op: JournalOp): void {
    this._begin();
    try {
      switch (op.op) {
        case 'session':
          this._db.run('INSERT OR IGNORE INTO sessions(id, kind, target, listen, started_at, note) VALUES (?, ?, ?, ?, ?, ?)', [
            op.id, op.session.kind, op.session.target, op.session.listen, op.session.startedAt, op.session.note ?? null,
          ]);
          break;
        case 'exchanges':
          this._insertRows(this.exchangeRows(op.sessionId, op.rows));
          break;
        case 'exchangeRows':
          this._insertRows(op);
          break;
        case 'messages':
          for (const m of op.rows) this._insertMessage(op.sessionId, m);
          break;
        case 'delete':
          for (const id of op.ids) {
            this._db.run('DELETE FROM messages WHERE exchange_id = ?', [id]);
            this._db.run('DELETE FROM exchanges WHERE id = ?', [id]);
          }
          // Bodies no other exchange refers to go too (deleting is how a user removes a captured secret).
          this._db.run(`DELETE FROM bodies WHERE hash NOT IN (SELECT request_body_hash FROM exchanges WHERE request_body_hash IS NOT NULL
            UNION SELECT response_body_hash FROM exchanges WHERE response_body_hash IS NOT NULL)`);
          this._recentBodies.clear();
          break;
        case 'link':
          this._setParents(op.links);
          break;
        case 'finish':
          this._db.run('UPDATE sessions SET stopped_at = ?, dropped = ? WHERE id = ?', [op.stoppedAt, op.dropped, op.sessionId]);
          break;
      }
      this._appliedLsn = Math.max(this._appliedLsn, op.lsn);
      this._db.run("INSERT OR REPLACE INTO meta(key, value) VALUES ('applied_lsn', ?)", [String(this._appliedLsn)]);
      this._end(true);
    } catch (e) {
      this._end(false);
      throw e;
    }
  }

  /**
   * Keeps one transaction open across apply() calls until commit(). Each apply stays atomic (a savepoint), but a
   * page that batch after batch changes (an index on body hashes, the meta row) is written to sql.js's in-memory
   * file once per commit instead of once per batch. The store worker commits every second and before every
   * snapshot; durability is the journal's, not the commit's.
   */
  holdTransaction(): void {
    if (this._held) return;
    this._db.run('BEGIN');
    this._held = true;
  }

  /** Ends the held transaction (see holdTransaction), if any. */
  commit(): void {
    if (!this._held) return;
    this._held = false;
    this._db.run('COMMIT');
  }

  private _begin(): void {
    this._db.run(this._held ? 'SAVEPOINT apply' : 'BEGIN');
  }

  private _end(ok: boolean): void {
    if (this._held) this._db.run(ok ? 'RELEASE apply' : 'ROLLBACK TO apply; RELEASE apply');
    else this._db.run(ok ? 'COMMIT' : 'ROLLBACK');
  }

  private _setParents(links: Array<[number, number | null]>): void {
    const s = this._stmt('UPDATE exchanges SET parent_id = ? WHERE id = ?');
    for (const [id, parent] of links) s.run([parent, id]);
  }

  /** Sets parent_id of calls in memory, unjournaled: for links derived again on every open (see link.ts). */
  setParents(links: Array<[number, number | null]>): void {
    if (!links.length) return;
    this._begin();
    try {
      this._setParents(links);
      this._end(true);
    } catch (e) {
      this._end(false);
      throw e;
    }
  }

  nextSessionId(): number {
    return Number(this._db.exec('SELECT COALESCE(MAX(id), 0) + 1 FROM sessions')[0].values[0][0]);
  }

  private _stmt(sql: string): Statement {
    let s = this._stmts.get(sql);
    if (!s) {
      s = this._db.prepare(sql);
      this._stmts.set(sql, s);
    }
    return s;
  }

  /**
   * The rows of prepared exchanges as the insert binds them, with the bodies not stored already. Journal the
   * result, then apply it: most traffic repeats bodies, and a body stored by an earlier batch is neither
   * journaled nor inserted again (the snapshot or an earlier journal frame holds it).
   */
  exchangeRows(sessionId: number, rows: PreparedExchange[]): ExchangeRows {
    const values: Array<string | number | null> = [];
    const bodyHashes: string[] = [];
    const bodyEnds: number[] = [];
    const bodies: Uint8Array[] = [];
    let bodyBytes = 0;
    const body = (b: PreparedBody | null): string | null => {
      if (!b || b.hash === null) return null;
      if (!this._recentBodies.has(b.hash)) {
        if (this._recentBodies.size >= 10_000) this._recentBodies.clear();
        this._recentBodies.add(b.hash);
        bodyHashes.push(b.hash);
        bodies.push(b.data);
        bodyBytes += b.data.length;
        bodyEnds.push(bodyBytes);
      }
      return b.hash;
    };
    for (const ex of rows) {
      const req = ex.requestBody;
      const res = ex.responseBody;
      values.push(
        ex.seq, ex.protocol, ex.connectionId, ex.startedAt, ex.ttfbMs, ex.durationMs,
        ex.method, ex.url, ex.host, ex.path, ex.status,
        headersJson(ex.requestHeaders), ex.responseHeaders ? headersJson(ex.responseHeaders) : null,
        body(req), req?.size ?? 0, req?.truncated ? 1 : 0, req?.contentType ?? null,
        body(res), res?.size ?? 0, res?.truncated ? 1 : 0, res?.contentType ?? null,
        ex.error, ex.redacted ? 1 : 0, ex.httpVersion ?? null, ex.upstreamHttpVersion ?? null,
      );
    }
    const bodyData = new Uint8Array(bodyBytes);
    let at = 0;
    for (const b of bodies) {
      bodyData.set(b, at);
      at += b.length;
    }
    return { sessionId, columns: COLUMN_COUNT, values, bodyHashes, bodyEnds, bodyData };
  }

  private _insertRows(r: ExchangeRows): void {
    if (r.columns !== COLUMN_COUNT) throw new StoreError(`a journal frame has ${r.columns} values per exchange, this version ${COLUMN_COUNT}; open it with the version that wrote it`);
    const bodies: RowValue[] = [];
    let start = 0;
    r.bodyHashes.forEach((hash, i) => {
      bodies.push(hash, r.bodyData.subarray(start, r.bodyEnds[i]));
      this._recentBodies.add(hash);
      start = r.bodyEnds[i];
    });
    if (bodies.length) this._binder.run(this._db, this._stmt(INSERT_BODY), INSERT_BODY, null, bodies, 2, BODY_TEXT_COLUMNS);
    const v = r.values;
    this.lastInsertVia = this._binder.run(this._db, this._stmt(INSERT_EXCHANGE), INSERT_EXCHANGE, r.sessionId, v, COLUMN_COUNT, TEXT_COLUMNS);
    // Messages of a WebSocket exchange follow it: remember its id so they need no index to find it. The rows of
    // one batch get consecutive ids (rowid = max + 1), the last one SQLite's last_insert_rowid().
    let lastId: number | undefined;
    for (let row = 0; row < v.length; row += COLUMN_COUNT) {
      const protocol = v[row + PROTOCOL_COLUMN];
      if (protocol !== 'ws' && protocol !== 'wss') continue;
      lastId ??= Number(this._db.exec('SELECT last_insert_rowid()')[0].values[0][0]);
      this._seqToId.set(`${r.sessionId}:${v[row + SEQ_COLUMN]}`, lastId - (v.length - row) / COLUMN_COUNT + 1);
    }
  }

  private _exchangeIdForSeq(sessionId: number, seq: number): number | undefined {
    const key = `${sessionId}:${seq}`;
    let id = this._seqToId.get(key);
    if (id === undefined) {
      const s = this._stmt('SELECT id FROM exchanges WHERE session_id = ? AND seq = ?');
      s.bind([sessionId, seq]);
      if (s.step()) id = Number(s.get()[0]);
      s.reset();
      if (id !== undefined) this._seqToId.set(key, id);
    }
    return id;
  }

  private _insertMessage(sessionId: number, m: PreparedMessage): void {
    const exchangeId = this._exchangeIdForSeq(sessionId, m.exchangeSeq);
    if (exchangeId === undefined) return;
    this._stmt('INSERT INTO messages(exchange_id, direction, at, opcode, size, data, truncated) VALUES (?, ?, ?, ?, ?, ?, ?)').run([
      exchangeId, m.direction, m.at, m.opcode, m.size, m.data, m.truncated ? 1 : 0,
    ]);
  }

  // ---- reads ----

  private _meta(key: string): string | undefined {
    const r = this._db.exec('SELECT value FROM meta WHERE key = ?', [key]);
    return r[0]?.values[0]?.[0] as string | undefined;
  }

  private _rows(sql: string, params: SqlValue[] = []): Record<string, SqlValue>[] {
    const s = this._db.prepare(sql);
    try {
      s.bind(params);
      const out: Record<string, SqlValue>[] = [];
      while (s.step()) out.push(s.getAsObject() as Record<string, SqlValue>);
      return out;
    } finally {
      s.free();
    }
  }

  /** Rows of a read-only statement, as plain objects keyed by column name. */
  query(sql: string, params: SqlValue[] = []): Record<string, SqlValue>[] {
    return this._rows(sql, params);
  }

  sessions(): SessionRow[] {
    return this._rows(`SELECT s.*, (SELECT COUNT(*) FROM exchanges e WHERE e.session_id = s.id) AS n FROM sessions s ORDER BY s.id`).map((r) => ({
      id: Number(r.id),
      kind: String(r.kind),
      target: r.target as string | null,
      listen: r.listen as string | null,
      startedAt: Number(r.started_at),
      stoppedAt: r.stopped_at === null ? null : Number(r.stopped_at),
      dropped: Number(r.dropped),
      exchanges: Number(r.n),
      note: (r.note as string | null) ?? null,
    }));
  }

  countExchanges(sessionId?: number): number {
    const r = sessionId === undefined
      ? this._db.exec('SELECT COUNT(*) FROM exchanges')
      : this._db.exec('SELECT COUNT(*) FROM exchanges WHERE session_id = ?', [sessionId]);
    return Number(r[0].values[0][0]);
  }

  /** Distinct (method, path, protocol) with counts; templating happens in the caller. */
  pathCounts(sessionId?: number): Array<{ method: string; path: string; protocol: string; count: number; statuses: string }> {
    const where = sessionId === undefined ? '' : 'WHERE session_id = ?';
    return this._rows(
      `SELECT method, COALESCE(path, url) AS path, protocol, COUNT(*) AS n, GROUP_CONCAT(DISTINCT status) AS statuses FROM exchanges ${where} GROUP BY method, COALESCE(path, url), protocol`,
      sessionId === undefined ? [] : [sessionId],
    ).map((r) => ({ method: String(r.method), path: String(r.path), protocol: String(r.protocol), count: Number(r.n), statuses: String(r.statuses ?? '') }));
  }

  exchanges(q: ExchangeQuery = {}): ExchangeSummary[] {
    const where = q.sessionId === undefined ? '' : 'WHERE session_id = ?';
    const params: SqlValue[] = q.sessionId === undefined ? [] : [q.sessionId];
    params.push(q.limit ?? -1, q.offset ?? 0);
    return this._rows(
      `SELECT id, session_id, protocol, started_at, method, url, path, status, duration_ms, response_body_size, error FROM exchanges ${where} ORDER BY id LIMIT ? OFFSET ?`,
      params,
    ).map(summaryFromRow);
  }

  exchange(id: number): ExchangeDetail | undefined {
    const [r] = this._rows('SELECT * FROM exchanges WHERE id = ?', [id]);
    if (!r) return undefined;
    const body = (hash: SqlValue, size: SqlValue, truncated: SqlValue, ct: SqlValue): StoredBody | null => {
      if (hash === null) return null;
      const [b] = this._rows('SELECT data FROM bodies WHERE hash = ?', [hash]);
      return { data: (b?.data as Uint8Array) ?? new Uint8Array(), size: Number(size), truncated: Boolean(truncated), contentType: ct as string | null };
    };
    return {
      ...summaryFromRow(r),
      seq: Number(r.seq),
      connectionId: r.connection_id === null ? null : Number(r.connection_id),
      ttfbMs: r.ttfb_ms === null ? null : Number(r.ttfb_ms),
      host: r.host as string | null,
      requestHeaders: JSON.parse(String(r.request_headers)) as HeaderPairs,
      responseHeaders: r.response_headers === null ? null : (JSON.parse(String(r.response_headers)) as HeaderPairs),
      requestBody: body(r.request_body_hash, r.request_body_size, r.request_body_truncated, r.request_content_type),
      responseBody: body(r.response_body_hash, r.response_body_size, r.response_body_truncated, r.response_content_type),
      redacted: Boolean(r.redacted),
      parentId: r.parent_id === null || r.parent_id === undefined ? null : Number(r.parent_id),
      httpVersion: (r.http_version as string | null | undefined) ?? null,
      upstreamHttpVersion: (r.upstream_http_version as string | null | undefined) ?? null,
      messages: this._rows('SELECT * FROM messages WHERE exchange_id = ? ORDER BY id', [id]).map((m) => ({
        direction: String(m.direction),
        at: Number(m.at),
        opcode: Number(m.opcode),
        size: Number(m.size),
        data: (m.data as Uint8Array | null) ?? null,
        truncated: Boolean(m.truncated),
      })),
    };
  }

  /** Ids in order, for streaming exports without holding every detail at once. */
  exchangeIds(sessionId?: number): number[] {
    const r = sessionId === undefined
      ? this._db.exec('SELECT id FROM exchanges ORDER BY id')
      : this._db.exec('SELECT id FROM exchanges WHERE session_id = ? ORDER BY id', [sessionId]);
    return (r[0]?.values ?? []).map((v) => Number(v[0]));
  }

  /** Records an engine run (replay, chaos, load...) in the `runs` table; returns its id. */
  addRun(run: NewRun): number {
    this._db.run('INSERT INTO runs(kind, spec, result, started_at, finished_at) VALUES (?, ?, ?, ?, ?)', [
      run.kind, JSON.stringify(run.spec), JSON.stringify(run.result), run.startedAt, run.finishedAt,
    ]);
    const id = Number(this._db.exec('SELECT last_insert_rowid()')[0].values[0][0]);
    for (const f of run.findings ?? []) {
      // An exchange id the file does not hold (deleted since) would break the reference: keep the finding, drop the link.
      const known = f.exchangeId !== null && this._db.exec('SELECT 1 FROM exchanges WHERE id = ?', [f.exchangeId]).length > 0;
      this._db.run('INSERT INTO findings(run_id, kind, rule, severity, exchange_id, detail) VALUES (?, ?, ?, ?, ?, ?)', [
        id, f.kind, f.rule, f.severity, known ? f.exchangeId : null, JSON.stringify(f.detail),
      ]);
    }
    return id;
  }

  /** Stored runs, newest first: of one kind when given ('load', 'chaos', …), at most `limit`. */
  runs(kind: string | undefined, limit: number): StoredRun[] {
    const where = kind === undefined ? '' : 'WHERE kind = ?';
    const params = kind === undefined ? [limit] : [kind, limit];
    const r = this._db.exec(`SELECT id, kind, result, started_at, finished_at FROM runs ${where} ORDER BY id DESC LIMIT ?`, params);
    return (r[0]?.values ?? []).map(([id, k, result, startedAt, finishedAt]) => ({
      id: Number(id),
      kind: String(k),
      result: typeof result === 'string' ? result : null,
      startedAt: Number(startedAt),
      finishedAt: finishedAt === null ? null : Number(finishedAt),
    }));
  }

  // ---- persistence ----

  /** Serialises the whole database into a fresh copy. */
  exportBytes(): Uint8Array {
    this.commit();
    return this._db.export();
  }

  /**
   * Writes the database atomically to `file` (default: where it was opened). The bytes go straight from sql.js's
   * in-memory file (see memfsPatch), committed first so that the file is a whole database: no copy of it is made.
   */
  save(file = this.file): void {
    if (!file) throw new StoreError('this database has no file; pass one to save()');
    this.commit();
    const live = this._sql.memfsFile?.((this._db as Database & { filename: string }).filename) ?? null;
    this.lastSaveVia = live ? 'memfs' : 'export';
    try {
      atomicWriteFileSync(file, live ?? this._db.export());
    } catch (e) {
      throw new StoreError(`cannot write ${file}: ${describeError(e)}`);
    }
  }

  close(): void {
    this.commit();
    for (const s of this._stmts.values()) s.free();
    this._stmts.clear();
    this._db.close();
  }
}

/**
 * JSON of header pairs; a wire call's one content type (on row after row) without a stringify each time, and
 * the pairs of the last two calls (a request's and a response's) by identity: prepareExchange hands on the same
 * pairs for an exchange whose headers repeat the previous one's (see exchangeColumns.ts).
 */
function headersJson(pairs: HeaderPairs): string {
  if (pairs.length === 0) return '[]';
  if (pairs.length === 1 && pairs[0][0] === 'content-type' && pairs[0][1] === 'application/json') return JSON_CONTENT_TYPE;
  if (pairs === recentJson[0]) return recentJson[1];
  if (pairs === recentJson[2]) return recentJson[3];
  const json = JSON.stringify(pairs);
  recentJson[2] = recentJson[0];
  recentJson[3] = recentJson[1];
  recentJson[0] = pairs;
  recentJson[1] = json;
  return json;
}

/** [pairs, json, older pairs, older json]. */
const recentJson: [HeaderPairs | null, string, HeaderPairs | null, string] = [null, '', null, ''];

function summaryFromRow(r: Record<string, SqlValue>): ExchangeSummary {
  return {
    id: Number(r.id),
    sessionId: Number(r.session_id),
    protocol: String(r.protocol),
    startedAt: Number(r.started_at),
    method: String(r.method),
    url: String(r.url),
    path: r.path as string | null,
    status: r.status === null ? null : Number(r.status),
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    responseBodySize: Number(r.response_body_size),
    error: r.error as string | null,
  };
}

function verifyHeader(file: string, bytes: Buffer): void {
  if (bytes.length === 0) throw new StoreError(`${file} is an empty file, not a Chaos Testing database; it was left unchanged — delete it or choose another path`);
  if (bytes.length < 100 || bytes.subarray(0, 16).toString('latin1') !== SQLITE_MAGIC) {
    throw new StoreError(`${file} is not a SQLite database; it was left unchanged — choose another path`);
  }
}

/**
 * The durable copy is the snapshot file plus our own journal, so SQLite's rollback journal (a file in sql.js's
 * in-memory file system, created and deleted per transaction) is kept in memory instead.
 */
function tune(db: Database): void {
  db.exec('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384');
}

function migrate(db: Database, from: number): void {
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.exec(MIGRATIONS[v]);
    db.run(`PRAGMA user_version = ${v + 1}`);
  }
}
