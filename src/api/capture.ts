/**
 * Capture, the traffic store and test generation from code: the capture proxy `chaos-testing observe` runs, the
 * database it writes, and the suite `chaos-testing generate` writes — the same core calls.
 */
import type { AddressInfo } from 'node:net';
import { CaptureSession, type CaptureStats, type CaptureSummary } from '../core/capture/captureSession';
import { parseTarget } from '../core/capture/proxy';
import type { OnEdited } from '../core/generate/generate';
import { generateSuite } from '../core/generate/suite';
import type { ExchangeDetail, ExchangeQuery, ExchangeSummary, SessionRow, TrafficDb } from '../core/store/database';
import { openForReading } from '../core/store/reader';
import { UsageError } from './errors';
import { GENERATE_WORDING, inApiWordsAsync } from './wording';

/** Options of {@link Capture.start}. */
export interface CaptureStartOptions {
  /** Port to listen on (0, the default, picks a free one; read it from `handle.url`). */
  port?: number;
  /** The backend to forward to, e.g. http://127.0.0.1:3000. */
  target: string;
  /** The traffic database (created if missing), e.g. .chaos/traffic.db. */
  output: string;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Store only paths matching these globs. */
  include?: string[];
  /** Do not store paths matching these globs (still forwarded). */
  exclude?: string[];
  /** Store secrets as they are (default: Authorization, cookies and tokens are redacted). */
  noRedact?: boolean;
}

/** A running capture; {@link CaptureHandle.stop} flushes the store and closes the file. */
export interface CaptureHandle {
  /** Where clients send requests instead of the backend, e.g. http://127.0.0.1:41234. */
  url: string;
  port: number;
  file: string;
  sessionId: number;
  /** Requests seen, exchanges stored, dropped and failed so far. */
  stats(): CaptureStats;
  /** Requests seen so far. */
  readonly requests: number;
  /** Exchanges written to the store so far. */
  readonly stored: number;
  /** Stops accepting, lets in-flight exchanges finish, flushes and closes the file. Idempotent. */
  stop(): Promise<CaptureSummary>;
}

/**
 * The capture proxy: put it between a client and the backend, and every exchange lands in the database.
 *
 * @example
 * const capture = await Capture.start({ target: 'http://127.0.0.1:3000', output: '.chaos/traffic.db' });
 * await fetch(`${capture.url}/api/accounts/1`);
 * await capture.stop();
 */
export const Capture = {
  /** Starts the proxy (reverse mode); a bad target is a UsageError, a port in use a ListenError. */
  async start(options: CaptureStartOptions): Promise<CaptureHandle> {
    if (!options.target) throw new UsageError('Capture.start needs a target: the backend URL, e.g. http://127.0.0.1:3000');
    parseTarget(options.target, 'Capture.start target');
    const session = await CaptureSession.start({
      mode: 'reverse',
      target: options.target,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      output: options.output,
      include: options.include,
      exclude: options.exclude,
      store: { redaction: { enabled: !options.noRedact, extraFields: [] } },
    });
    const address: AddressInfo = session.address;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return {
      url: `http://${host}:${address.port}`,
      port: address.port,
      file: session.file,
      sessionId: session.sessionId,
      stats: () => session.stats(),
      get requests() {
        return session.stats().requests;
      },
      get stored() {
        return session.stats().stored;
      },
      stop: () => session.stop(),
    };
  },
};

/**
 * A traffic database opened for reading (a running capture's latest exchanges included). Close it when done.
 *
 * @example
 * const store = await TrafficStore.open('.chaos/traffic.db');
 * try { for (const e of store.exchanges({ limit: 10 })) console.log(e.method, e.url, e.status); } finally { store.close(); }
 */
export class TrafficStore {
  private constructor(private readonly _db: TrafficDb) {}

  /** Opens a database; a missing, foreign or corrupt file is a StoreError (and is never modified). */
  static async open(file: string): Promise<TrafficStore> {
    return new TrafficStore(await openForReading(file));
  }

  /** The capture sessions, oldest first. */
  sessions(): SessionRow[] {
    return this._db.sessions();
  }

  /** Exchanges (newest first as the store lists them), optionally of one session, paged. */
  exchanges(query: ExchangeQuery = {}): ExchangeSummary[] {
    return this._db.exchanges(query);
  }

  /** One exchange with headers, bodies and messages, or undefined. */
  exchange(id: number): ExchangeDetail | undefined {
    return this._db.exchange(id);
  }

  /** How many exchanges (of one session). */
  count(sessionId?: number): number {
    return this._db.countExchanges(sessionId);
  }

  /** Closes the file (never written by a reader). */
  close(): void {
    this._db.close();
  }
}

/** Options of {@link generateTests}. */
export interface GenerateTestsOptions {
  /** The traffic database to learn from. */
  traffic: string;
  /** python, typescript, go, rust or java. */
  language: string;
  /** When a language has several: typescript vitest (default) or node; java junit5. */
  framework?: string;
  /** The project folder; the suite goes where its runner looks (tests/...). Default '.'. */
  out?: string;
  session?: number;
  /** When the file was edited since it was generated: 'fail' (default), 'overwrite' or 'beside' (FILE.new). */
  onEdited?: OnEdited;
}

/** What {@link generateTests} wrote. */
export interface GeneratedTests {
  file: string;
  written: boolean;
  beside?: string;
  tests: number;
  language: string;
  framework: string;
  /** Environment variables the tests read besides BASE_URL. */
  env: string[];
  extraFiles: string[];
}

/** Learns the behaviour in the traffic and writes a regression suite (as `chaos-testing generate`). */
export async function generateTests(options: GenerateTestsOptions): Promise<GeneratedTests> {
  const r = await inApiWordsAsync(GENERATE_WORDING, () => generateSuite({ input: options.traffic, language: options.language, framework: options.framework, out: options.out ?? '.', sessionId: options.session, onEdited: options.onEdited }));
  return { file: r.file, written: r.written, ...(r.beside ? { beside: r.beside } : {}), tests: r.tests, language: r.dialect.language, framework: r.dialect.framework, env: r.env, extraFiles: r.extraFiles };
}
