/**
 * A capture with several listeners (`observe --protocol`, `observe --config .chaos/capture.yaml`): one store
 * worker, one capture session and one sequence for all of them, an HTTP capture proxy or a wire capture proxy per
 * listener. Started in an order that leaves nothing behind on failure (a bad database is refused before any port is
 * taken; a port in use closes the listeners already started and removes a database file we just created).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HttpFaultTarget } from '../faults/httpTarget';
import type { FaultTarget } from '../faults/target';
import { formatHostPort } from '../faults/tcpProxy';
import { loadProtocol } from '../protocols/registry';
import { WireCapture } from '../protocols/wireCapture';
import { StoreWriter, type StoreWriterOptions } from '../store/writer';
import type { CaptureSummary } from './captureSession';
import { wireTarget, type ListenerSpec } from './listeners';
import { CaptureProxy, type CaptureProxyOptions } from './proxy';
import { SEQ_STRIDE } from '../protocols/rawChunks';

export interface CaptureRunOptions {
  output: string;
  listeners: ListenerSpec[];
  store?: StoreWriterOptions;
  bodyCap?: number;
  /** HTTP listeners' settings besides their target and address (include/exclude, timeouts, TLS). */
  http?: Omit<CaptureProxyOptions, 'mode' | 'target' | 'host' | 'port' | 'nextSeq' | 'bodyCap'>;
}

export interface ListenerStats {
  name: string;
  protocol: string;
  /** Requests (http) or calls (wire) seen. */
  calls: number;
  recorded: number;
  errors: number;
  openConnections: number;
}

export interface RunningListener {
  spec: ListenerSpec;
  /** Where it listens, HOST:PORT (the real port when 0 was asked). */
  listen: string;
  /** For the fault API: toxics and down apply to this listener. */
  faultTarget: FaultTarget;
  stats(): ListenerStats;
  close(): Promise<void>;
}

export class CaptureRun {
  private _stopping: Promise<CaptureSummary> | undefined;
  private readonly _t0 = Date.now();

  private constructor(
    readonly listeners: RunningListener[],
    readonly writer: StoreWriter,
    readonly file: string,
    readonly sessionId: number,
  ) {}

  static async start(options: CaptureRunOptions): Promise<CaptureRun> {
    // Protocols load first: an unavailable one is refused before the database or a port is touched.
    const definitions = await Promise.all(options.listeners.map((l) => (l.protocol === 'http' ? undefined : loadProtocol(l.protocol))));
    const file = path.resolve(options.output);
    const existed = fs.existsSync(file);
    // Only wire listeners: every record is decoded in the store worker, which may then yield the CPU to the traffic.
    const lowPriority = options.listeners.every((l) => l.protocol !== 'http');
    const writer = await StoreWriter.open(file, { lowPriority, ...options.store });
    let seq = 0;
    // Strided: a wire listener's decoded calls take the numbers after their chunk's (rawChunks.ts).
    const nextSeq = (): number => (seq += SEQ_STRIDE);
    const started: RunningListener[] = [];
    try {
      for (const [i, spec] of options.listeners.entries()) {
        const definition = definitions[i];
        started.push(definition ? await startWire(spec, definition, writer, nextSeq, options.bodyCap) : await startHttp(spec, writer, nextSeq, options));
      }
    } catch (e) {
      await Promise.all(started.map((l) => l.close().catch(() => undefined)));
      await writer.close().catch(() => undefined);
      if (!existed) fs.rmSync(file, { force: true });
      throw e;
    }
    const sessionId = await writer.startSession({
      kind: 'reverse',
      target: started.map((l) => `${l.spec.name}=${l.spec.protocol} ${l.spec.target}`).join(', '),
      listen: started.map((l) => l.listen).join(', '),
      startedAt: Date.now(),
    });
    return new CaptureRun(started, writer, file, sessionId);
  }

  stats(): { listeners: ListenerStats[]; stored: number; dropped: number } {
    return { listeners: this.listeners.map((l) => l.stats()), stored: this.writer.stats.stored, dropped: this.writer.stats.dropped };
  }

  /** Every listener's counts added up, as a single-proxy capture reports them. */
  totals(): Omit<CaptureSummary, 'file' | 'fileBytes' | 'seconds' | 'sessionId'> {
    const all = this.listeners.map((l) => l.stats());
    const sum = (k: 'calls' | 'recorded' | 'errors' | 'openConnections'): number => all.reduce((n, s) => n + s[k], 0);
    return { requests: sum('calls'), recorded: sum('recorded'), stored: this.writer.stats.stored, dropped: this.writer.stats.dropped, errors: sum('errors'), openConnections: sum('openConnections') };
  }

  /** Stops every listener, flushes and closes the file. Idempotent. */
  stop(): Promise<CaptureSummary> {
    this._stopping ??= (async () => {
      await Promise.all(this.listeners.map((l) => l.close()));
      const closed = await this.writer.close();
      return {
        ...this.totals(),
        stored: closed.exchanges,
        file: this.file,
        fileBytes: closed.fileBytes,
        seconds: (Date.now() - this._t0) / 1000,
        sessionId: this.sessionId,
      };
    })();
    return this._stopping;
  }
}

async function startWire(spec: ListenerSpec, definition: Awaited<ReturnType<typeof loadProtocol>>, writer: StoreWriter, nextSeq: () => number, bodyCap: number | undefined): Promise<RunningListener> {
  const capture = new WireCapture(definition, { name: spec.name, listen: { host: spec.host, port: spec.port }, target: wireTarget(spec.target, 'target'), options: spec.options, bodyCap, nextSeq, deferDecoding: true }, writer);
  const bound = await capture.listen();
  return {
    spec,
    listen: formatHostPort(bound),
    faultTarget: capture.proxy,
    stats: () => ({ name: spec.name, protocol: spec.protocol, calls: capture.stats.calls, recorded: capture.stats.recorded, errors: capture.stats.errors, openConnections: capture.stats.openConnections }),
    close: () => capture.close(),
  };
}

async function startHttp(spec: ListenerSpec, writer: StoreWriter, nextSeq: () => number, options: CaptureRunOptions): Promise<RunningListener> {
  const include = stringList(spec.options?.include);
  const exclude = stringList(spec.options?.exclude);
  const proxy = new CaptureProxy(
    { ...options.http, mode: 'reverse', target: spec.target, host: spec.host, port: spec.port, bodyCap: options.bodyCap, nextSeq, include: include ?? options.http?.include, exclude: exclude ?? options.http?.exclude },
    writer,
  );
  const address = await proxy.listen();
  return {
    spec,
    listen: formatHostPort({ host: address.address, port: address.port }),
    faultTarget: new HttpFaultTarget(spec.name, proxy, spec.target),
    stats: () => ({ name: spec.name, protocol: 'http', calls: proxy.stats.requests, recorded: proxy.stats.recorded, errors: proxy.stats.errors, openConnections: proxy.stats.openConnections }),
    close: () => proxy.close(),
  };
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.map(String) : undefined;
}
