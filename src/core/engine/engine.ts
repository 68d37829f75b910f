import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureRun } from '../capture/captureRun';
import { CaptureSession, type CaptureStats, type CaptureSummary } from '../capture/captureSession';
import { loadCaptureConfig } from '../capture/listeners';
import { parseTarget } from '../capture/proxy';
import { interceptMatcher, type InterceptOptions } from '../capture/tlsIntercept';
import { initCa, LeafCertificates } from '../tls/ca';
import { listenerTls } from '../tls/listenerTls';
import { InputError, StoreError, describeError, isChaosError } from '../errors';
import { FaultApi } from '../faults/api';
import type { FaultTarget } from '../faults/target';
import { HttpFaultTarget } from '../faults/httpTarget';
import { formatHostPort, parseHostPort } from '../faults/tcpProxy';
import { exportHar } from '../har/export';
import { importHar } from '../har/import';
import { detectDialects } from '../generate/detect';
import { DIALECTS } from '../generate/dialects';
import { fileState, writeSuite } from '../generate/generate';
import { formatModel } from '../learn/format';
import { learn } from '../learn/learn';
import type { BehaviourModel } from '../learn/model';
import { toOpenApi } from '../learn/openapi';
import { toCurl } from '../replay/curl';
import { renderResponse, resend } from '../replay/resend';
import { atomicWriteFileSync } from '../store/atomicWrite';
import { TrafficDb } from '../store/database';
import { journalPath } from '../store/journal';
import { acquireLock, liveWriter, releaseLock } from '../store/lock';
import { answer, type AnswerOf, type ExchangeView, type TrafficQuery } from '../store/queries';
import { StoreWriter } from '../store/writer';
import type { CaptureInfo, CaptureStart, EngineOp, EngineOps, FromEngine, ListenerInfo } from './protocol';

/** What the engine needs of a running capture: one proxy (CaptureSession) or a capture.yaml's listeners (CaptureRun). */
interface RunningCapture {
  writer: StoreWriter;
  stats(): CaptureStats;
  stop(): Promise<CaptureSummary>;
}

/**
 * The engine: what the extension asks of captures and databases, answered off the editor's event loop. It runs
 * in a child process (engineMain.ts); tests drive it in-process. It owns the database while a capture runs
 * (queries go to the store worker), and otherwise opens files read-only, reopening when they change on disk.
 */
export class Engine {
  private _capture: { session: RunningCapture; info: CaptureInfo; api?: FaultApi } | undefined;
  private _ticker: NodeJS.Timeout | undefined;
  private _readers = new Map<string, { db: TrafficDb; stamp: string }>();
  private _empty: TrafficDb | undefined;

  constructor(private readonly _emit: (m: FromEngine) => void) {}

  private readonly _ops: { [K in EngineOp]: (p: EngineOps[K]['params']) => Promise<EngineOps[K]['result']> } = {
    startCapture: (p) => this.startCapture(p),
    stopCapture: () => this.stopCapture(),
    captureConfig: async (p) => loadCaptureConfig(p.file).map((l) => ({ name: l.name, protocol: l.protocol, listen: `${l.host}:${l.port}`, target: l.target })),
    query: (p) => this.query(p.db, p.query),
    deleteExchanges: (p) => this.deleteExchanges(p),
    clear: (p) => this.clear(p),
    importHar: (p) => this.importHar(p),
    exportHar: (p) => this.exportHar(p),
    curl: (p) => this.curl(p),
    resend: (p) => this.resend(p),
    learn: (p) => this.learn(p),
    exportOpenApi: (p) => this.exportOpenApi(p),
    dialects: async (p) => detectDialects(p.folder).map((d) => ({ id: d.id, language: d.language, framework: d.framework, file: d.file })),
    generate: (p) => this.generate(p),
  };

  /** Runs one operation by name (what the child does with each request). */
  async handle<K extends EngineOp>(op: K, params: EngineOps[K]['params']): Promise<EngineOps[K]['result']> {
    const run = Object.hasOwn(this._ops, op) ? (this._ops[op] as (p: unknown) => Promise<EngineOps[K]['result']>) : undefined;
    if (!run) throw new InputError(`unknown engine operation '${String(op)}'`);
    return run(params);
  }

  get capturing(): CaptureInfo | undefined {
    return this._capture?.info;
  }

  async startCapture(o: CaptureStart): Promise<CaptureInfo> {
    if (this._capture) throw new InputError(`a capture is already running (${this._capture.info.listen} → ${this._capture.info.target}); stop it first`);
    if (o.config === undefined && o.mode !== 'forward') parseTarget(o.target, 'target URL');
    const apiAddress = o.api === undefined ? undefined : parseHostPort(o.api, 'fault API address', true);
    const db = path.resolve(o.db);
    this._closeReader(db);
    const started = o.config === undefined ? await this._startOne(o, db) : await this._startListeners(o, db, o.config);
    const { session, info, faultTargets } = started;
    let api: FaultApi | undefined;
    if (apiAddress) {
      api = new FaultApi();
      try {
        info.api = formatHostPort(await api.listen(apiAddress));
        for (const target of faultTargets) api.register(target);
      } catch (e) {
        await api.close();
        await session.stop();
        throw e;
      }
    }
    this._capture = { session, info, api };
    let last = { at: Date.now(), requests: 0, stored: 0 };
    this._ticker = setInterval(() => {
      const s = session.stats();
      const now = Date.now();
      const rps = ((s.requests - last.requests) * 1000) / Math.max(1, now - last.at);
      if (s.stored !== last.stored) this._emit({ type: 'changed', db });
      last = { at: now, requests: s.requests, stored: s.stored };
      this._emit({ type: 'stats', stats: { ...s, rps } });
    }, 500);
    session.writer.on('error', (e: Error) => {
      void this._endCapture(`recording failed: ${e.message}`);
    });
    return info;
  }

  private async _startOne(o: CaptureStart, db: string): Promise<{ session: RunningCapture; info: CaptureInfo; faultTargets: FaultTarget[] }> {
    const forward = o.mode === 'forward';
    if (forward && o.tls) throw new InputError('a forward proxy takes no listener certificate (chaosTesting.capture.tls is for reverse mode); use HTTPS interception for HTTPS through it');
    if (!forward && o.intercept) throw new InputError('HTTPS interception is for a forward proxy: set chaosTesting.capture.mode to forward');
    const tls = o.tls ? await listenerTls({ selfSigned: true, caDir: o.tls.caDir, host: o.host }) : undefined;
    const intercept = o.intercept ? await interceptWithLocalCa(o.intercept) : undefined;
    const session = await CaptureSession.start({
      tls,
      mode: forward ? 'forward' : 'reverse',
      target: forward ? undefined : o.target,
      host: o.host,
      port: o.port,
      output: db,
      include: o.include,
      exclude: o.exclude,
      bodyCap: o.bodyLimit,
      store: { redaction: { enabled: o.redact, extraFields: o.extraRedactFields } },
      intercept: intercept?.options,
    });
    const info: CaptureInfo = { db, target: forward ? '' : o.target, listen: `${session.address.address}:${session.address.port}`, sessionId: session.sessionId };
    if (tls) info.tls = 'reverse';
    if (forward) info.mode = 'forward';
    if (intercept) {
      info.tls = 'intercept';
      info.intercept = { hosts: o.intercept!.hosts, caCert: intercept.caCert, insecureUpstream: o.intercept!.insecureUpstream };
    }
    return { session, info, faultTargets: [new HttpFaultTarget('http', session.proxy, forward ? 'forward' : o.target)] };
  }

  /** A capture.yaml's listeners, one session; each listener is a proxy of the fault API under its name. */
  private async _startListeners(o: CaptureStart, db: string, config: string): Promise<{ session: RunningCapture; info: CaptureInfo; faultTargets: FaultTarget[] }> {
    const run = await CaptureRun.start({
      output: db,
      listeners: loadCaptureConfig(config, o.host),
      bodyCap: o.bodyLimit,
      store: { redaction: { enabled: o.redact, extraFields: o.extraRedactFields } },
      http: { include: o.include, exclude: o.exclude },
    });
    const listeners: ListenerInfo[] = run.listeners.map((l) => ({ name: l.spec.name, protocol: l.spec.protocol, listen: l.listen, target: l.spec.target }));
    const main = listeners.find((l) => l.protocol === 'http') ?? listeners[0];
    const info: CaptureInfo = { db, target: main.target, listen: main.listen, sessionId: run.sessionId, listeners };
    return { session: { writer: run.writer, stats: () => run.totals(), stop: () => run.stop() }, info, faultTargets: run.listeners.map((l) => l.faultTarget) };
  }

  async stopCapture(): Promise<CaptureSummary | null> {
    return this._endCapture();
  }

  private async _endCapture(error?: string): Promise<CaptureSummary | null> {
    const capture = this._capture;
    if (!capture) return null;
    this._capture = undefined;
    if (this._ticker) clearInterval(this._ticker);
    this._ticker = undefined;
    let summary: CaptureSummary | null = null;
    try {
      await capture.api?.close();
      summary = await capture.session.stop();
    } catch (e) {
      error ??= describeError(e);
    }
    this._emit({ type: 'changed', db: capture.info.db });
    this._emit({ type: 'captureEnded', summary, ...(error ? { error } : {}) });
    return summary;
  }

  private _live(db: string): StoreWriter | undefined {
    return this._capture && this._capture.info.db === path.resolve(db) ? this._capture.session.writer : undefined;
  }

  async query<Q extends TrafficQuery>(dbFile: string, q: Q): Promise<AnswerOf<Q>> {
    const live = this._live(dbFile);
    if (live) return live.query(q);
    return answer(await this._reader(dbFile), q) as AnswerOf<Q>;
  }

  /** A read-only copy of the file, reopened when the file or its journal changed since it was read. */
  private async _reader(dbFile: string): Promise<TrafficDb> {
    const file = path.resolve(dbFile);
    const stamp = fileStamp(file) + '|' + fileStamp(journalPath(file));
    if (!fs.existsSync(file)) {
      this._closeReader(file);
      this._empty ??= await TrafficDb.memory();
      return this._empty;
    }
    const cached = this._readers.get(file);
    if (cached && cached.stamp === stamp) return cached.db;
    this._closeReader(file);
    const db = await TrafficDb.open(file);
    this._readers.set(file, { db, stamp });
    return db;
  }

  private _closeReader(file: string): void {
    const cached = this._readers.get(path.resolve(file));
    if (!cached) return;
    cached.db.close();
    this._readers.delete(path.resolve(file));
  }

  async deleteExchanges(o: { db: string; ids: number[] }): Promise<number> {
    const live = this._live(o.db);
    if (live) {
      const n = await live.deleteExchanges(o.ids);
      this._emit({ type: 'changed', db: path.resolve(o.db) });
      return n;
    }
    if (!fs.existsSync(o.db)) throw new StoreError(`no traffic database at ${o.db}`);
    this._closeReader(o.db);
    const writer = await StoreWriter.open(path.resolve(o.db));
    try {
      return await writer.deleteExchanges(o.ids);
    } finally {
      await writer.close();
      this._emit({ type: 'changed', db: path.resolve(o.db) });
    }
  }

  async clear(o: { db: string }): Promise<boolean> {
    const file = path.resolve(o.db);
    if (this._live(file)) throw new InputError('a capture is writing to this database; stop it before clearing the traffic');
    if (!fs.existsSync(file)) return false;
    const writer = liveWriter(file);
    if (writer !== null && writer !== process.pid) throw new StoreError(`${file} is being written by another capture (pid ${writer}); stop it first`);
    // Refuse a foreign or corrupt file here too: clearing must never delete someone else's database.
    (await TrafficDb.open(file)).close();
    this._closeReader(file);
    acquireLock(file);
    try {
      fs.rmSync(journalPath(file), { force: true });
      fs.rmSync(file, { force: true });
    } finally {
      releaseLock(file);
    }
    this._emit({ type: 'changed', db: file });
    return true;
  }

  async importHar(o: { db: string; file: string; redact: boolean }): Promise<{ exchanges: number; sessionId: number }> {
    if (this._live(o.db)) throw new InputError('a capture is writing to this database; stop it before importing');
    this._closeReader(o.db);
    const r = await importHar(o.file, o.db, { enabled: o.redact, extraFields: [] });
    this._emit({ type: 'changed', db: path.resolve(o.db) });
    return { exchanges: r.exchanges, sessionId: r.sessionId };
  }

  async exportHar(o: { db: string; file: string }): Promise<{ entries: number }> {
    const live = this._live(o.db);
    // While capturing, wait until what is queued reached the journal, then read file + journal like any reader.
    if (live) await live.query({ kind: 'page', query: { offset: 0, limit: 0 } });
    if (!fs.existsSync(o.db)) throw new StoreError(`no traffic database at ${o.db}: capture some traffic first`);
    const har = exportHar(await this._reader(o.db));
    try {
      atomicWriteFileSync(o.file, Buffer.from(JSON.stringify(har, null, 2)));
    } catch (e) {
      throw new InputError(`cannot write ${o.file}: ${describeError(e)}; choose another file`);
    }
    return { entries: har.log.entries.length };
  }

  private async _exchange(db: string, id: number): Promise<ExchangeView> {
    const ex = (await this.query(db, { kind: 'exchange', id })) as ExchangeView | null;
    if (!ex) throw new InputError(`exchange ${id} is not in ${db} (deleted or cleared?)`);
    return ex;
  }

  async curl(o: { db: string; id: number }): Promise<{ command: string; redacted: boolean }> {
    const ex = await this._exchange(o.db, o.id);
    return { command: toCurl(ex), redacted: ex.redacted };
  }

  async resend(o: { db: string; id: number }): Promise<EngineOps['resend']['result']> {
    const ex = await this._exchange(o.db, o.id);
    const fresh = await resend(ex);
    return {
      recorded: renderResponse({ status: ex.status, headers: ex.responseHeaders, body: ex.responseBody, error: ex.error }),
      fresh: renderResponse({ status: fresh.status, headers: fresh.headers, body: fresh.body }),
      status: fresh.status,
      durationMs: fresh.durationMs,
      redacted: ex.redacted,
    };
  }

  private async _model(dbFile: string): Promise<BehaviourModel> {
    const live = this._live(dbFile);
    if (live) await live.query({ kind: 'page', query: { offset: 0, limit: 0 } }); // queued batches reach the journal
    if (!fs.existsSync(dbFile)) throw new StoreError(`no traffic database at ${dbFile}: capture some traffic first`);
    return learn(await this._reader(dbFile));
  }

  async learn(o: { db: string }): Promise<{ text: string; endpoints: number; scenarios: number }> {
    const model = await this._model(o.db);
    return { text: formatModel(model).join('\n') + '\n', endpoints: model.endpoints.length, scenarios: model.scenarios.length };
  }

  async exportOpenApi(o: { db: string; file: string }): Promise<{ paths: number }> {
    const doc = toOpenApi(await this._model(o.db));
    try {
      atomicWriteFileSync(o.file, Buffer.from(JSON.stringify(doc, null, 2) + '\n'));
    } catch (e) {
      throw new InputError(`cannot write ${o.file}: ${describeError(e)}; choose another file`);
    }
    return { paths: Object.keys(doc.paths as object).length };
  }

  async generate(o: EngineOps['generate']['params']): Promise<EngineOps['generate']['result']> {
    const dialect = DIALECTS.find((d) => d.id === o.dialect);
    if (!dialect) throw new InputError(`no test dialect '${o.dialect}'; choose one of ${DIALECTS.map((d) => d.id).join(', ')}`);
    const model = await this._model(o.db);
    if (!model.scenarios.length) throw new InputError('the traffic has no HTTP exchanges with responses to learn from; capture some first');
    const target = path.resolve(o.out, dialect.file);
    const state = fileState(target);
    const env = model.env.map((e) => e.name);
    if (o.onEdited === 'ask' && (state === 'edited' || state === 'foreign')) return { file: target, written: false, state, tests: model.scenarios.length, env };
    const r = writeSuite(dialect, model, o.out, { source: path.relative(o.out, path.resolve(o.db)), onEdited: o.onEdited === 'ask' ? 'fail' : o.onEdited });
    return { file: r.file, written: r.written, beside: r.beside, state: r.state, tests: r.tests, env };
  }

  /** Stops a running capture (flushing it) and closes every file. */
  async dispose(): Promise<void> {
    await this._endCapture();
    for (const f of [...this._readers.keys()]) this._closeReader(f);
    this._empty?.close();
  }
}

/** Forward-mode interception with leaves minted (and cached) by the local CA in `caDir`, made if missing. */
async function interceptWithLocalCa(o: NonNullable<CaptureStart['intercept']>): Promise<{ options: InterceptOptions; caCert: string }> {
  interceptMatcher(o.hosts);
  const { ca } = await initCa(o.caDir);
  const leaves = new LeafCertificates(ca);
  return { options: { leaves: (host) => leaves.secureContext(host), hosts: o.hosts, insecureUpstream: o.insecureUpstream }, caCert: ca.certPath };
}

function fileStamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'none';
  }
}

/** An error as the parent shows it: one line, with the ChaosError code when there is one. */
export function errorReply(id: number, e: unknown): FromEngine {
  return isChaosError(e) ? { type: 'reply', id, ok: false, error: e.message, code: e.code } : { type: 'reply', id, ok: false, error: describeError(e) };
}
