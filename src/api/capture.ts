/**
 * Capture and test generation from code: the capture proxy `chaos-testing observe` runs (HTTP in reverse or forward
 * mode, over TLS, with TLS interception, or a wire protocol; one listener or a capture.yaml of several) and the
 * suite `chaos-testing generate` writes — the same core calls. The traffic store is in trafficStore.ts.
 */
import * as path from 'node:path';
import { CaptureRun } from '../core/capture/captureRun';
import { CaptureSession } from '../core/capture/captureSession';
import { loadCaptureConfig, resolveListeners, type ListenerSpec } from '../core/capture/listeners';
import { parseTarget } from '../core/capture/proxy';
import { interceptMatcher, type InterceptOptions, type LeafProvider } from '../core/capture/tlsIntercept';
import { FaultApi } from '../core/faults/api';
import { HttpFaultTarget } from '../core/faults/httpTarget';
import type { FaultTarget } from '../core/faults/target';
import { formatHostPort, parseHostPort, type HostPort } from '../core/faults/tcpProxy';
import type { OnEdited } from '../core/generate/generate';
import { generateSuite } from '../core/generate/suite';
import { listenerTls, type ListenerTls, type ListenerTlsRequest } from '../core/tls/listenerTls';
import { CancelledError, UsageError, isChaosError } from './errors';
import { RunningCapture, type CaptureParts, type CaptureProgress, type CaptureProtocol } from './runningCapture';
import { CAPTURE_WORDING, GENERATE_WORDING, inApiWords, inApiWordsAsync } from './wording';

export { RunningCapture } from './runningCapture';
export type { CaptureListenerInfo, CaptureProgress, CaptureProtocol } from './runningCapture';
export type { CaptureSummary } from '../core/capture/captureSession';
export { TrafficStore } from './trafficStore';

/** One listener of a multi-listener capture (an entry of .chaos/capture.yaml). */
export interface CaptureListener {
  protocol: CaptureProtocol;
  /** Port to listen on (0 picks a free one). */
  port: number;
  /** The backend URL for http, HOST:PORT for a wire protocol. */
  target: string;
  /** Address to listen on (default: the capture's `host`). */
  host?: string;
  /** Its name in the fault API (default: the protocol, then protocol-2, ...). */
  name?: string;
  /** Protocol options, e.g. `{ protoFiles: [...] }` for grpc, `{ include, exclude }` for http. */
  options?: Record<string, unknown>;
}

/** Options of {@link Capture.start}. Everything but `output` is optional; an HTTP reverse proxy needs `target`. */
export interface CaptureStartOptions {
  /** The traffic database (created if missing), e.g. .chaos/traffic.db. */
  output: string;
  /** What the listener speaks (default 'http'). A wire protocol forwards to `target` HOST:PORT. */
  protocol?: CaptureProtocol;
  /** http: 'reverse' (default: clients call the proxy, which forwards to `target`) or 'forward' (clients use it as HTTP_PROXY). */
  mode?: 'reverse' | 'forward';
  /** The backend: a URL for http reverse mode (http://127.0.0.1:3000), HOST:PORT for a wire protocol (127.0.0.1:6379). */
  target?: string;
  /** Port to listen on (0, the default, picks a free one; read it from `capture.port`). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Several listeners in one session and one database, as .chaos/capture.yaml lists them (instead of protocol/target/port). */
  listeners?: CaptureListener[];
  /** grpc: .proto files, so that messages are stored decoded as JSON. */
  proto?: string[];
  /** The listener's name in the fault API (default: the protocol). */
  name?: string;
  /** http: store only paths matching these globs. */
  include?: string[];
  /** http: do not store paths matching these globs (still forwarded), e.g. '/health'. */
  exclude?: string[];
  /** Bytes of each body kept (default 1 MiB); the rest is counted and hashed. */
  bodyCap?: number;
  /** Store secrets as they are (default: Authorization, cookies and tokens are redacted). */
  noRedact?: boolean;
  /** Also redact headers, query parameters and JSON fields with these names. */
  redact?: string[];
  /** http reverse mode: do not verify an HTTPS target's certificate. */
  insecure?: boolean;
  /** http reverse mode: PEM file of extra CA certificates to trust for an HTTPS target. */
  caFile?: string;
  /** http reverse mode over TLS: clients call https://. A certificate from the local CA, or PEM files of your own. */
  tls?: { selfSigned: true } | { cert: string; key: string };
  /** The local CA's folder, for `tls: { selfSigned: true }` and `interceptTls` (default .chaos/ca). */
  caDir?: string;
  /** http forward mode: decrypt and record HTTPS (CONNECT) with leaf certificates from the local CA. */
  interceptTls?: boolean;
  /** With `interceptTls`: only these host globs (e.g. '*.example.com'); other hosts stay opaque tunnels. */
  intercept?: string[];
  /** With `interceptTls`: do not verify the upstream's certificate (noted on the session). */
  insecureUpstream?: boolean;
  /** http: a client must send its headers within this many milliseconds (default 30000). */
  headersTimeoutMs?: number;
  /** http: answer 504 when the target sends nothing for this many milliseconds. */
  upstreamTimeoutMs?: number;
  /** Serve the fault API on this loopback HOST:PORT (port 0 picks one), so experiments can fault the listeners. */
  faultApi?: string | HostPort;
  /** Stops the capture (as `stop()` does) when it fires. */
  signal?: AbortSignal;
  /** Called every `progressIntervalMs` (default 1000) with the counts so far. */
  onProgress?: (progress: CaptureProgress) => void;
  progressIntervalMs?: number;
}

/** Options of {@link Capture.fromConfig}: those of {@link Capture.start} that apply to every listener. */
export type CaptureConfigOptions = Omit<CaptureStartOptions, 'protocol' | 'mode' | 'target' | 'port' | 'listeners' | 'proto' | 'name' | 'tls' | 'interceptTls' | 'intercept' | 'insecureUpstream'>;

/** A running capture, as {@link Capture.start} returns it (the name of earlier releases). */
export type CaptureHandle = RunningCapture;

const NAME = /^[\w.-]{1,64}$/;

/**
 * The capture proxy: put it between a client and the backend (or a database, a cache, a broker), and every
 * exchange lands in the database.
 *
 * @example
 * const capture = await Capture.start({ target: 'http://127.0.0.1:3000', output: '.chaos/traffic.db' });
 * await fetch(`${capture.url}/api/accounts/1`);
 * await capture.stop();
 */
export const Capture = {
  /**
   * Starts a capture: an HTTP proxy (reverse or forward, optionally over TLS or intercepting TLS), a wire protocol
   * listener (`protocol` with `target` HOST:PORT), or several `listeners`. Bad options are a UsageError, a port in
   * use a ListenError, an unusable database a StoreError; what a failed start had started is stopped again.
   */
  async start(options: CaptureStartOptions): Promise<RunningCapture> {
    if (options.signal?.aborted) throw new CancelledError('Capture.start');
    const parts = await inApiWordsAsync(CAPTURE_WORDING, () => startParts(options));
    return new RunningCapture(parts, options);
  },

  /**
   * Reads a capture.yaml (`listeners: [{ protocol, port, target, name?, host?, options? }]`) and checks it; a file
   * that cannot be read or is not a valid capture config is an InputError naming the file and the entry.
   */
  readConfig(file: string, options: { host?: string } = {}): CaptureListener[] {
    return loadCaptureConfig(file, options.host ?? '127.0.0.1').map((l) => ({ protocol: l.protocol, port: l.port, target: l.target, host: l.host, name: l.name, ...(l.options ? { options: l.options } : {}) }));
  },

  /**
   * Starts every listener of a capture.yaml at once, into one database and one session.
   *
   * @example
   * const capture = await Capture.fromConfig('.chaos/capture.yaml', { output: '.chaos/traffic.db', faultApi: '127.0.0.1:0' });
   */
  async fromConfig(file: string, options: CaptureConfigOptions): Promise<RunningCapture> {
    return Capture.start({ ...options, listeners: Capture.readConfig(file, options) });
  },
};

async function startParts(o: CaptureStartOptions): Promise<CaptureParts> {
  const protocol = o.protocol ?? 'http';
  const host = o.host ?? '127.0.0.1';
  const faultApi = faultApiAddress(o.faultApi);
  if (o.listeners || protocol !== 'http') return withFaultApi(await startListeners(o, protocol, host), faultApi);
  return withFaultApi(await startHttp(o, host), faultApi);
}

/** One HTTP listener in reverse or forward mode: the single-proxy capture session. */
async function startHttp(o: CaptureStartOptions, host: string): Promise<CaptureParts & { faultTargets: FaultTarget[] }> {
  const mode = o.mode ?? 'reverse';
  if (mode !== 'reverse' && mode !== 'forward') throw new UsageError(`Capture.start mode '${String(mode)}' must be 'reverse' or 'forward'`);
  if (mode === 'reverse' && !o.target) throw new UsageError("Capture.start needs a target: the backend URL, e.g. http://127.0.0.1:3000 (or mode: 'forward')");
  if (mode === 'forward' && o.target) throw new UsageError("Capture.start target is for reverse mode; in mode: 'forward' clients say where they go");
  if (o.tls && mode !== 'reverse') throw new UsageError("Capture.start tls is for reverse mode (clients call the proxy over HTTPS)");
  if (o.proto?.length) throw new UsageError("Capture.start proto is for protocol: 'grpc' (the .proto files of its services)");
  if (o.name !== undefined && !NAME.test(o.name)) throw new UsageError(`Capture.start name '${o.name}' must be 1-64 letters, digits, '_', '.' or '-'`);
  const caDir = o.caDir ?? '.chaos/ca';
  const intercept = await interceptOptions(o, mode, caDir);
  const tlsRequest = tlsOptions(o, caDir, host);
  if (o.target) parseTarget(o.target);
  const tls: ListenerTls | undefined = tlsRequest ? await listenerTls(tlsRequest) : undefined;
  const session = await CaptureSession.start({
    mode,
    target: o.target,
    host,
    port: o.port ?? 0,
    output: o.output,
    include: o.include ?? [],
    exclude: o.exclude ?? [],
    bodyCap: o.bodyCap,
    insecure: Boolean(o.insecure),
    caFile: o.caFile,
    tls,
    headersTimeoutMs: o.headersTimeoutMs,
    upstreamTimeoutMs: o.upstreamTimeoutMs,
    store: { redaction: { enabled: !o.noRedact, extraFields: o.redact ?? [] } },
    intercept,
  });
  const name = o.name ?? 'http';
  const target = o.target ?? 'forward';
  const { address, port } = session.address;
  return {
    mode,
    listeners: [{ name, protocol: 'http', host: address, port, listen: formatHostPort({ host: address, port }), target }],
    file: session.file,
    sessionId: session.sessionId,
    ...(tls ? { tls: { source: tls.source } } : {}),
    store: session.writer,
    ...(intercept ? { interceptErrors: session.proxy } : {}),
    totals: () => session.stats(),
    perListener: () => {
      const s = session.stats();
      return [{ name, protocol: 'http', calls: s.requests, recorded: s.recorded, errors: s.errors, openConnections: s.openConnections }];
    },
    faultTargets: [new HttpFaultTarget(name, session.proxy, target)],
    stop: () => session.stop(),
  };
}

/** Wire protocols and multi-listener captures: one store worker and session, a proxy per listener. */
async function startListeners(o: CaptureStartOptions, protocol: CaptureProtocol, host: string): Promise<CaptureParts & { faultTargets: FaultTarget[] }> {
  if (o.tls) throw new UsageError('Capture.start tls is for one HTTP listener (leave out protocol and listeners)');
  if (o.interceptTls || o.intercept?.length || o.insecureUpstream) throw new UsageError("Capture.start interceptTls is for one HTTP listener in mode: 'forward'");
  if (o.mode === 'forward') throw new UsageError("Capture.start mode: 'forward' is for protocol 'http' only");
  let listeners: ListenerSpec[];
  if (o.listeners) {
    if (o.target !== undefined || o.protocol !== undefined) throw new UsageError('Capture.start listeners name each protocol, port and target; leave out protocol and target');
    if (!o.listeners.length) throw new UsageError('Capture.start listeners is empty; give at least one { protocol, port, target }');
    listeners = asUsage(() => resolveListeners(o.listeners!.map((l) => ({ ...l, host: l.host ?? host })), (i) => `Capture.start listeners[${i}]`));
  } else {
    if (!o.target) throw new UsageError(`Capture.start({ protocol: '${protocol}' }) needs a target HOST:PORT (the server), e.g. 127.0.0.1:6379`);
    if (o.proto?.length && protocol !== 'grpc') throw new UsageError("Capture.start proto is for protocol: 'grpc' (the .proto files of its services)");
    const httpOnly = (['include', 'exclude', 'upstreamTimeoutMs', 'insecure', 'caFile'] as const).filter((k) => (Array.isArray(o[k]) ? (o[k] as string[]).length > 0 : o[k] !== undefined && o[k] !== false));
    if (httpOnly.length) throw new UsageError(`Capture.start ${httpOnly[0]} is for HTTP listeners (paths, an HTTPS target); a ${protocol} listener has none`);
    const options = o.proto?.length ? { protoFiles: o.proto.map((f) => path.resolve(f)) } : undefined;
    listeners = asUsage(() => resolveListeners([{ protocol: protocol as 'redis', host, port: o.port ?? 0, target: o.target!, name: o.name, ...(options ? { options } : {}) }], () => `observe --protocol ${protocol}`));
  }
  await checkProtoFiles(listeners);
  const run = await CaptureRun.start({
    output: o.output,
    listeners,
    store: { redaction: { enabled: !o.noRedact, extraFields: o.redact ?? [] } },
    bodyCap: o.bodyCap,
    http: { include: o.include ?? [], exclude: o.exclude ?? [], headersTimeoutMs: o.headersTimeoutMs, upstreamTimeoutMs: o.upstreamTimeoutMs, insecure: Boolean(o.insecure), caFile: o.caFile },
  });
  return {
    mode: 'reverse',
    listeners: run.listeners.map((l) => {
      const bound = parseHostPort(l.listen, 'listen', true);
      return { name: l.spec.name, protocol: l.spec.protocol, host: bound.host, port: bound.port, listen: l.listen, target: l.spec.target };
    }),
    file: run.file,
    sessionId: run.sessionId,
    store: run.writer,
    totals: () => run.totals(),
    perListener: () => run.stats().listeners,
    faultTargets: run.listeners.map((l) => l.faultTarget),
    stop: () => run.stop(),
  };
}

/** A gRPC listener's .proto files load before anything listens: a missing or broken file is refused at the start. */
async function checkProtoFiles(listeners: ListenerSpec[]): Promise<void> {
  const withProtos = listeners.filter((l) => l.protocol === 'grpc' && Array.isArray(l.options?.protoFiles));
  if (!withProtos.length) return;
  const { loadProtos } = await import('../core/protocols/grpc/protos');
  for (const l of withProtos) {
    const root = loadProtos(l.options!.protoFiles as string[]);
    if (root instanceof Error) throw new UsageError(`listener ${l.name}: ${root.message.split('\n')[0]}; give the .proto files of its services`);
  }
}

/** Serves the fault API over the started listeners; on failure stops them, so nothing is left behind. */
async function withFaultApi(parts: CaptureParts & { faultTargets: FaultTarget[] }, address: HostPort | undefined): Promise<CaptureParts> {
  const { faultTargets, ...rest } = parts;
  if (!address) return rest;
  const api = new FaultApi();
  try {
    const bound = await api.listen(address);
    for (const t of faultTargets) api.register(t);
    return { ...rest, faultApi: { api, host: bound.host, port: bound.port } };
  } catch (e) {
    await api.close();
    await parts.stop();
    throw e;
  }
}

function faultApiAddress(value: CaptureStartOptions['faultApi']): HostPort | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return value;
  return asUsage(() => parseHostPort(value, 'Capture.start faultApi', true));
}

/** `tls`: what the listener serves HTTPS with. */
function tlsOptions(o: CaptureStartOptions, caDir: string, host: string): ListenerTlsRequest | undefined {
  if (!o.tls) return undefined;
  if ('selfSigned' in o.tls) {
    if ('cert' in o.tls || 'key' in o.tls) throw new UsageError('Capture.start tls takes either { selfSigned: true } or { cert, key }, not both');
    return { selfSigned: true, caDir, host };
  }
  const { cert, key } = o.tls as { cert?: string; key?: string };
  if (!cert || !key) throw new UsageError(`Capture.start tls needs ${cert ? 'key' : 'cert'} too (the certificate and its private key, PEM files)`);
  return { certFile: cert, keyFile: key };
}

/** `interceptTls`, `intercept`, `insecureUpstream`: checked, and the local CA's leaf certificates loaded. */
async function interceptOptions(o: CaptureStartOptions, mode: 'reverse' | 'forward', caDir: string): Promise<InterceptOptions | undefined> {
  const hosts = o.intercept ?? [];
  if (!o.interceptTls) {
    if (hosts.length) throw new UsageError('Capture.start intercept names hosts for interceptTls; add interceptTls: true');
    if (o.insecureUpstream) throw new UsageError('Capture.start insecureUpstream is for interceptTls (for a reverse-mode target, use insecure)');
    return undefined;
  }
  if (mode !== 'forward') throw new UsageError("Capture.start interceptTls is for mode: 'forward' (clients that use the proxy as HTTPS_PROXY)");
  interceptMatcher(hosts);
  return { leaves: await localCaLeaves(caDir), hosts, insecureUpstream: Boolean(o.insecureUpstream) };
}

/** Leaf certificates minted per host (and cached) by the workspace's local CA. */
async function localCaLeaves(caDir: string): Promise<LeafProvider> {
  const { initCa, LeafCertificates } = await import('../core/tls/ca');
  const leaves = new LeafCertificates((await initCa(caDir)).ca);
  return (host) => leaves.secureContext(host);
}

/** A listener entry the engines refuse is a bad option of the call (as the CLI treats a bad flag). */
function asUsage<T>(f: () => T): T {
  try {
    return inApiWords(CAPTURE_WORDING, f);
  } catch (e) {
    throw isChaosError(e) && !(e instanceof UsageError) ? new UsageError(e.message) : e;
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
