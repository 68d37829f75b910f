import type { CaptureStats, CaptureSummary } from '../capture/captureSession';
import type { HeaderPairs } from '../capture/types';
import type { AnswerOf, TrafficQuery } from '../store/queries';

/**
 * The engine child process and its parent (the extension host) talk in these messages over Node's IPC channel.
 * Every request gets exactly one reply with its id; the engine also pushes capture statistics and change notices.
 */

export interface CaptureStart {
  db: string;
  target: string;
  port: number;
  host: string;
  redact: boolean;
  extraRedactFields: string[];
  bodyLimit: number;
  include: string[];
  exclude: string[];
  /** Serve the fault API on this loopback HOST:PORT (port 0 picks one), the capture proxy as proxy 'http'. */
  api?: string;
  /**
   * Run the listeners of this capture.yaml instead (HTTP and wire protocols, one session): `target` and `port` are
   * then unused and `host` is the listen address of entries without their own.
   */
  config?: string;
  /** Reverse mode over TLS: the HTTP listener serves HTTPS with a leaf from the local CA in `caDir` (made if missing). */
  tls?: { caDir: string };
  /** 'forward': clients use the proxy as HTTP_PROXY/HTTPS_PROXY and `target` is unused. Default 'reverse'. */
  mode?: 'reverse' | 'forward';
  /**
   * Forward mode: decrypt the HTTPS (CONNECT) of hosts matching `hosts` (picomatch globs; none = all) with leaves
   * from the local CA in `caDir` (made if missing); `insecureUpstream` skips the upstream certificate check.
   */
  intercept?: { caDir: string; hosts: string[]; insecureUpstream: boolean };
}

/** One listener of a running capture (or of a capture.yaml). */
export interface ListenerInfo {
  name: string;
  protocol: string;
  /** HOST:PORT it listens on (capture.yaml: its configured port, 0 = any). */
  listen: string;
  target: string;
}

export interface CaptureInfo {
  db: string;
  target: string;
  listen: string;
  sessionId: number;
  /** The fault API's HOST:PORT, when asked for. */
  api?: string;
  /** Every listener, when started from a capture.yaml (target and listen are then the first HTTP one's, or the first's). */
  listeners?: ListenerInfo[];
  /** How the capture speaks TLS to its clients: 'reverse' (an HTTPS listener), 'intercept' (forward-mode interception). */
  tls?: 'reverse' | 'intercept';
  /** Set for a forward proxy (target is then ''). */
  mode?: 'forward';
  /** Forward-mode interception: the host globs intercepted ([] = all hosts), the CA certificate clients must trust, and whether upstream certificates go unchecked. */
  intercept?: { hosts: string[]; caCert: string; insecureUpstream: boolean };
}

export interface ResendResult {
  recorded: string;
  fresh: string;
  status: number;
  durationMs: number;
  redacted: boolean;
}

/** Every engine operation: its parameters and its result. */
export interface EngineOps {
  startCapture: { params: CaptureStart; result: CaptureInfo };
  stopCapture: { params: Record<string, never>; result: CaptureSummary | null };
  /** A capture.yaml's listeners, checked (one-line error naming the file and entry when it is wrong). */
  captureConfig: { params: { file: string }; result: ListenerInfo[] };
  query: { params: { db: string; query: TrafficQuery }; result: AnswerOf<TrafficQuery> };
  deleteExchanges: { params: { db: string; ids: number[] }; result: number };
  clear: { params: { db: string }; result: boolean };
  importHar: { params: { db: string; file: string; redact: boolean }; result: { exchanges: number; sessionId: number } };
  exportHar: { params: { db: string; file: string }; result: { entries: number } };
  curl: { params: { db: string; id: number }; result: { command: string; redacted: boolean } };
  resend: { params: { db: string; id: number }; result: ResendResult };
  /** The behaviour model as text (what `chaos-testing learn` prints). */
  learn: { params: { db: string }; result: { text: string; endpoints: number; scenarios: number } };
  exportOpenApi: { params: { db: string; file: string }; result: { paths: number } };
  /** Which test dialects the workspace suggests, best first. */
  dialects: { params: { folder: string }; result: Array<{ id: string; language: string; framework: string; file: string }> };
  /** Writes a suite; with onEdited 'ask', a file the user edited is left alone and reported instead. */
  generate: {
    params: { db: string; dialect: string; out: string; onEdited: 'ask' | 'overwrite' | 'beside' };
    result: { file: string; written: boolean; beside?: string; state: string; tests: number; env: string[] };
  };
}

export type EngineOp = keyof EngineOps;

export type ToEngine = { [K in EngineOp]: { type: 'request'; id: number; op: K; params: EngineOps[K]['params'] } }[EngineOp];

export type FromEngine =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string; code?: string }
  | { type: 'stats'; stats: CaptureStats & { rps: number } }
  | { type: 'changed'; db: string }
  | { type: 'captureEnded'; summary: CaptureSummary | null; error?: string };

export type { HeaderPairs };
