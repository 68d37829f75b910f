import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { StoreWriter, type StoreWriterOptions } from '../store/writer';
import { CaptureProxy, type CaptureProxyOptions } from './proxy';

export interface CaptureOptions extends CaptureProxyOptions {
  /** The traffic database (created if missing). */
  output: string;
  store?: StoreWriterOptions;
}

export interface CaptureStats {
  requests: number;
  recorded: number;
  stored: number;
  dropped: number;
  errors: number;
  openConnections: number;
}

export interface CaptureSummary extends CaptureStats {
  file: string;
  fileBytes: number;
  seconds: number;
  sessionId: number;
}

/**
 * One capture run: a store worker and a proxy, started in an order that leaves nothing behind on failure
 * (a bad database is refused before the port is taken; a port in use removes a database file we just created).
 */
export class CaptureSession {
  private _stopping: Promise<CaptureSummary> | undefined;
  private readonly _t0 = Date.now();

  private constructor(
    readonly proxy: CaptureProxy,
    readonly writer: StoreWriter,
    readonly address: AddressInfo,
    readonly file: string,
    readonly sessionId: number,
  ) {}

  static async start(options: CaptureOptions): Promise<CaptureSession> {
    const file = path.resolve(options.output);
    const existed = fs.existsSync(file);
    const writer = await StoreWriter.open(file, options.store);
    let proxy: CaptureProxy;
    let address: AddressInfo;
    try {
      proxy = new CaptureProxy(options, writer);
      address = await proxy.listen();
    } catch (e) {
      await writer.close().catch(() => undefined);
      if (!existed) fs.rmSync(file, { force: true });
      throw e;
    }
    const sessionId = await writer.startSession({
      kind: options.mode,
      target: options.target ?? null,
      listen: `${address.address}:${address.port}`,
      startedAt: Date.now(),
      note:
        [
          options.tls ? `listened with TLS (https://${address.address}:${address.port}, certificate: ${options.tls.source})` : null,
          options.intercept?.insecureUpstream ? 'TLS interception with --insecure-upstream: upstream certificates were not verified' : null,
        ]
          .filter((n): n is string => n !== null)
          .join('; ') || null,
    });
    return new CaptureSession(proxy, writer, address, file, sessionId);
  }

  stats(): CaptureStats {
    const p = this.proxy.stats;
    const w = this.writer.stats;
    return { requests: p.requests, recorded: p.recorded, stored: w.stored, dropped: w.dropped, errors: p.errors, openConnections: p.openConnections };
  }

  /** Stops accepting, lets in-flight exchanges finish (up to `graceMs`), flushes and closes the file. Idempotent. */
  stop(graceMs = 2_000): Promise<CaptureSummary> {
    this._stopping ??= (async () => {
      await this.proxy.close(graceMs);
      const closed = await this.writer.close();
      return { ...this.stats(), stored: closed.exchanges, file: this.file, fileBytes: closed.fileBytes, seconds: (Date.now() - this._t0) / 1000, sessionId: this.sessionId };
    })();
    return this._stopping;
  }
}
