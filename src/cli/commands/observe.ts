import * as path from 'node:path';
import { isChaosError, UsageError } from '../../core/errors';
import { choiceFlag, intFlag, listFlag, sizeFlag, type ParsedCommand } from '../args';
import { DB_FLAG, type Command } from '../command';
import { bytes } from '../../core/textFormat';
import type { CliIO } from '../io';
import { holdEarlyInterrupt, waitUntilStopped } from '../observeWait';
import type { CaptureStartOptions, CaptureProtocol, RunningCapture } from '../../api/capture';

export const observe: Command = {
  spec: {
    name: 'observe',
    summary: 'Run the capture proxy: forward every request (or query, command, call) to the target and record each exchange in the store.',
    flags: {
      protocol: { type: 'string', short: 'P', value: 'NAME', default: 'http', description: 'http, or a wire protocol: postgres, mysql, redis, kafka, grpc' },
      proto: { type: 'string', multiple: true, value: 'FILE', description: 'with --protocol grpc: .proto files, to store messages decoded as JSON' },
      config: { type: 'string', short: 'c', value: 'FILE', description: 'run the listeners of this file (e.g. .chaos/capture.yaml) at once, into one database' },
      port: { type: 'string', short: 'p', value: 'PORT', default: '8080', description: 'port to listen on (0 picks a free one)' },
      target: { type: 'string', short: 't', value: 'URL|HOST:PORT', description: 'backend to forward to: http://localhost:9000 for http (reverse mode), 127.0.0.1:6379 for a wire protocol' },
      output: { ...DB_FLAG, short: 'o' },
      host: { type: 'string', value: 'ADDR', default: '127.0.0.1', description: 'address to listen on (0.0.0.0 exposes the proxy to your network)' },
      mode: { type: 'string', value: 'MODE', default: 'reverse', description: "'reverse' (clients call the proxy) or 'forward' (clients use it as HTTP_PROXY)" },
      include: { type: 'string', multiple: true, value: 'GLOB', description: 'store only paths matching this glob' },
      exclude: { type: 'string', multiple: true, value: 'GLOB', description: 'do not store paths matching this glob (still forwarded), e.g. /health' },
      'body-cap': { type: 'string', value: 'SIZE', default: '1MiB', description: 'bytes of each body kept; the rest is counted and hashed' },
      redact: { type: 'string', multiple: true, value: 'NAME', description: 'also redact headers, query and JSON fields with this name' },
      'no-redact': { type: 'boolean', description: 'store secrets as they are (Authorization, cookies, tokens...)' },
      insecure: { type: 'boolean', short: 'k', description: "do not verify the target's TLS certificate" },
      ca: { type: 'string', value: 'FILE', description: 'PEM file of extra CA certificates to trust for an HTTPS target' },
      'tls-cert': { type: 'string', value: 'FILE', description: 'reverse mode over TLS: clients call https://; the PEM certificate to serve (with --tls-key)' },
      'tls-key': { type: 'string', value: 'FILE', description: 'the PEM private key of --tls-cert' },
      'tls-self-signed': { type: 'boolean', description: 'reverse mode over TLS with a certificate for localhost/127.0.0.1 from the local CA (made if missing)' },
      'ca-dir': { type: 'string', value: 'DIR', default: '.chaos/ca', description: "the local CA, for --tls-self-signed (see 'chaos-testing ca')" },
      'intercept-tls': { type: 'boolean', description: 'forward mode: decrypt and record HTTPS (CONNECT) with certificates from the local CA (.chaos/ca)' },
      intercept: { type: 'string', multiple: true, value: 'HOST_GLOB', description: 'with --intercept-tls: only these hosts (e.g. "*.example.com"); others stay opaque tunnels' },
      'insecure-upstream': { type: 'boolean', description: "with --intercept-tls: do not verify the upstream's certificate (noted on the session)" },
      'header-timeout': { type: 'string', value: 'MS', default: '30000', description: 'a client must send its headers within this time' },
      'upstream-timeout': { type: 'string', value: 'MS', description: 'answer 504 when the target sends nothing for this long' },
      duration: { type: 'string', value: 'SECONDS', description: 'stop by itself after this many seconds' },
      api: { type: 'string', value: 'HOST:PORT', description: "serve the fault API (loopback) so 'chaos-testing fault' can add faults to this proxy" },
      name: { type: 'string', value: 'NAME', description: "the proxy name in the fault API (default: the protocol, e.g. 'http')" },
      quiet: { type: 'boolean', short: 'q', description: 'no status line' },
    },
    details: [
      'Examples:',
      '  chaos-testing observe --port 8080 --target http://localhost:9000',
      '  curl http://127.0.0.1:8080/users        # goes to the backend, lands in .chaos/traffic.db',
      '  chaos-testing observe --mode forward --port 8080 --exclude "/health" --exclude "**/*.js"',
      '  HTTP_PROXY=http://127.0.0.1:8080 your-client',
      '  chaos-testing observe --mode forward --intercept-tls --intercept "api.example.com"',
      '  curl --proxy http://127.0.0.1:8080 --cacert .chaos/ca/ca.pem https://api.example.com/   # recorded as https',
      '  chaos-testing observe --target http://localhost:9000 --api 127.0.0.1:8474',
      "  chaos-testing fault add slow --proxy http --type http_delay --attr delay=200 --match-path '/api/**'",
      '',
      '  chaos-testing observe --target http://localhost:9000 --tls-self-signed',
      '  curl --cacert .chaos/ca/ca.crt https://127.0.0.1:8080/   # HTTPS to the proxy, plain HTTP to the backend',
      '',
      '  chaos-testing observe --protocol redis --port 6380 --target 127.0.0.1:6379 --api 127.0.0.1:8474',
      '  chaos-testing observe --config .chaos/capture.yaml',
      '',
      '.chaos/capture.yaml lists listeners; all record into one database and one session:',
      '  listeners:',
      '    - { protocol: http, port: 8080, target: http://127.0.0.1:9000 }',
      '    - { protocol: redis, port: 6380, target: 127.0.0.1:6379, name: cache }',
      '',
      'Exchanges that faults hit are stored with the faults named in their error, e.g. "faults: slow (http_delay)".',
      'Ctrl-C stops the proxy, flushes the store and prints a summary.',
    ].join('\n'),
  },

  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    const protocol = String(flags.protocol);
    if (flags.config !== undefined || protocol !== 'http') return runWire(flags, io);
    if (listFlag(flags, 'proto').length) throw new UsageError('--proto is for --protocol grpc (the .proto files of its services)');
    const mode = choiceFlag(flags, 'mode', ['reverse', 'forward'] as const);
    const port = intFlag(flags, 'port', 0, 65535)!;
    const target = flags.target as string | undefined;
    if (mode === 'reverse' && !target) throw new UsageError("observe needs --target URL (the backend), or --mode forward; see 'chaos-testing observe --help'");
    if (mode === 'forward' && target) throw new UsageError('--target is for reverse mode; in forward mode clients say where they go');
    const duration = intFlag(flags, 'duration', 1, 365 * 24 * 3600);
    const intercept = interceptFlags(flags, mode);
    const name = String(flags.name ?? 'http');
    if (!/^[\w.-]{1,64}$/.test(name)) throw new UsageError(`--name '${name}' must be 1-64 letters, digits, '_', '.' or '-'`);
    const { parseHostPort } = await import('../../core/faults/tcpProxy');
    let apiAddress: ReturnType<typeof parseHostPort> | undefined;
    try {
      apiAddress = flags.api === undefined ? undefined : parseHostPort(String(flags.api), '--api', true);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const tls = tlsFlags(flags, mode);
    const early = holdEarlyInterrupt();
    const { Capture } = await import('../../api/capture');
    let capture: RunningCapture;
    try {
      capture = await Capture.start({
        mode,
        target,
        host: String(flags.host),
        port,
        output: String(flags.output),
        include: listFlag(flags, 'include'),
        exclude: listFlag(flags, 'exclude'),
        bodyCap: sizeFlag(flags, 'body-cap'),
        insecure: Boolean(flags.insecure),
        caFile: flags.ca as string | undefined,
        tls,
        caDir: String(flags['ca-dir']),
        ...intercept,
        headersTimeoutMs: intFlag(flags, 'header-timeout', 100, 3_600_000),
        upstreamTimeoutMs: intFlag(flags, 'upstream-timeout', 1, 3_600_000),
        noRedact: Boolean(flags['no-redact']),
        redact: listFlag(flags, 'redact'),
        name,
        faultApi: apiAddress,
      });
    } catch (e) {
      early.release();
      throw e;
    }
    if (capture.faultApi) io.err(`chaos-testing: fault API http://${capture.faultApi.host}:${capture.faultApi.port} (proxy '${name}')`);
    const listener = capture.listeners[0];
    const where = `${capture.tls ? 'https' : 'http'}://${listener.host}:${listener.port}`;
    if (intercept.interceptTls) {
      const hosts = intercept.intercept.length ? intercept.intercept.join(', ') : 'all hosts';
      io.err(`chaos-testing: intercepting TLS for ${hosts}${intercept.insecureUpstream ? ' (upstream certificates NOT verified)' : ''}`);
      capture.on('interceptError', (m: string) => {
        if (!flags.quiet) io.err(`chaos-testing: TLS interception: ${m}`);
      });
    }
    io.err(`chaos-testing: ${mode === 'reverse' ? `proxying ${where} → ${target}` : `forward proxy on ${where} (HTTP_PROXY=${where})`}, recording to ${capture.file}`);
    if (capture.tls) io.err(`chaos-testing: serving TLS with ${capture.tls.source}`);
    io.err(mode === 'reverse' ? `chaos-testing: try: curl ${capture.tls?.source.startsWith('local CA') ? `--cacert ${String(flags['ca-dir'])}/ca.crt ` : ''}${where}/` : `chaos-testing: try: curl -x ${where} http://localhost:9000/`);
    if (intercept.interceptTls) {
      const { proxyEnvLine } = await import('../../core/tls/trust');
      io.err(`chaos-testing: in a terminal: ${proxyEnvLine(where, path.resolve(String(flags['ca-dir']), 'ca.crt'))}`);
    }

    let last = { at: Date.now(), requests: 0 };
    const status = (): string => {
      const s = capture.stats();
      const now = Date.now();
      const rate = ((s.requests - last.requests) * 1000) / Math.max(1, now - last.at);
      last = { at: now, requests: s.requests };
      const dropped = s.dropped ? `  DROPPED ${s.dropped} (store behind)` : '';
      return `exchanges ${s.stored}/${s.recorded}  ${rate.toFixed(0)} req/s  errors ${s.errors}  connections ${s.openConnections}${dropped}`;
    };
    const code = await waitUntilStopped(io, { capture, status: flags.quiet ? undefined : status, duration, ...early });

    try {
      const summary = await capture.stop();
      const dropped = summary.dropped ? `, ${summary.dropped} dropped` : '';
      io.err(
        `chaos-testing: captured ${summary.stored} exchanges (${summary.requests} requests, ${summary.errors} errors${dropped}) in ${summary.seconds.toFixed(1)} s → ${summary.file} (${bytes(summary.fileBytes)}, session ${summary.sessionId})`,
      );
    } catch (e) {
      io.err(`chaos-testing: could not finish writing: ${(e as Error).message}`);
      return 1;
    }
    return code;
  },
};

/** --tls-cert/--tls-key or --tls-self-signed: what the listener serves HTTPS with (checked before anything starts). */
function tlsFlags(flags: ParsedCommand['flags'], mode: 'reverse' | 'forward'): CaptureStartOptions['tls'] {
  const cert = flags['tls-cert'] as string | undefined;
  const key = flags['tls-key'] as string | undefined;
  const selfSigned = Boolean(flags['tls-self-signed']);
  if (cert === undefined && key === undefined && !selfSigned) return undefined;
  if (mode !== 'reverse') throw new UsageError('--tls-cert, --tls-key and --tls-self-signed are for reverse mode (clients call the proxy over HTTPS)');
  if (selfSigned && (cert !== undefined || key !== undefined)) throw new UsageError('give either --tls-self-signed or --tls-cert with --tls-key, not both');
  if (selfSigned) return { selfSigned: true };
  if (cert === undefined || key === undefined) throw new UsageError(`--${cert === undefined ? 'tls-key' : 'tls-cert'} needs --${cert === undefined ? 'tls-cert' : 'tls-key'} too (the certificate and its private key, PEM files)`);
  return { cert, key };
}

/** --intercept-tls, --intercept, --insecure-upstream: checked as flags (the library loads the local CA). */
function interceptFlags(flags: ParsedCommand['flags'], mode: 'reverse' | 'forward'): { interceptTls: boolean; intercept: string[]; insecureUpstream: boolean } {
  const hosts = listFlag(flags, 'intercept');
  if (!flags['intercept-tls']) {
    if (hosts.length) throw new UsageError('--intercept names hosts for --intercept-tls; add --intercept-tls');
    if (flags['insecure-upstream']) throw new UsageError('--insecure-upstream is for --intercept-tls (for a reverse-mode target, use --insecure)');
    return { interceptTls: false, intercept: [], insecureUpstream: false };
  }
  if (mode !== 'forward') throw new UsageError('--intercept-tls is for --mode forward (clients that use the proxy as HTTPS_PROXY)');
  return { interceptTls: true, intercept: hosts, insecureUpstream: Boolean(flags['insecure-upstream']) };
}

/** --protocol NAME (not http) or --config FILE: the listeners run by observeListeners.ts. */
async function runWire(flags: ParsedCommand['flags'], io: CliIO): Promise<number> {
  const protocol = String(flags.protocol);
  if (flags['tls-cert'] !== undefined || flags['tls-key'] !== undefined || flags['tls-self-signed']) {
    throw new UsageError('--tls-cert, --tls-key and --tls-self-signed are for one HTTP listener (leave out --config and --protocol)');
  }
  const host = String(flags.host);
  const { Capture } = await import('../../api/capture');
  const { parseHostPort } = await import('../../core/faults/tcpProxy');
  const usage = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw isChaosError(e) && !(e instanceof UsageError) ? new UsageError(e.message) : e;
    }
  };
  let listeners: Pick<CaptureStartOptions, 'listeners' | 'protocol' | 'target' | 'port' | 'name' | 'proto'>;
  if (flags.config !== undefined) {
    if (flags.target !== undefined || protocol !== 'http') throw new UsageError('--config lists the listeners (protocol, port, target); leave out --protocol and --target');
    listeners = { listeners: usage(() => Capture.readConfig(String(flags.config), { host })) };
  } else {
    if (flags.target === undefined) throw new UsageError(`observe --protocol ${protocol} needs --target HOST:PORT (the server), e.g. --target 127.0.0.1:6379`);
    if (flags.mode !== 'reverse') throw new UsageError('--mode forward is for http only');
    const port = intFlag(flags, 'port', 0, 65535)!;
    const protoFiles = listFlag(flags, 'proto');
    if (protoFiles.length && protocol !== 'grpc') throw new UsageError('--proto is for --protocol grpc (the .proto files of its services)');
    // A wire listener has no paths to filter and no HTTPS target to trust: these would be dropped without a word.
    const httpOnly = [...(['include', 'exclude'] as const).filter((f) => listFlag(flags, f).length), ...(['upstream-timeout', 'insecure', 'ca'] as const).filter((f) => flags[f] !== undefined && flags[f] !== false)];
    if (protocol !== 'http' && httpOnly.length) throw new UsageError(`--${httpOnly[0]} is for http listeners (paths, an HTTPS target); a ${protocol} listener has none`);
    listeners = { protocol: protocol as CaptureProtocol, target: String(flags.target), port, name: flags.name === undefined ? undefined : String(flags.name), proto: protoFiles };
  }
  const api = flags.api === undefined ? undefined : usage(() => parseHostPort(String(flags.api), '--api', true));
  const { runListeners } = await import('../observeListeners');
  return runListeners(
    {
      ...listeners,
      host,
      output: String(flags.output),
      bodyCap: sizeFlag(flags, 'body-cap'),
      noRedact: Boolean(flags['no-redact']),
      redact: listFlag(flags, 'redact'),
      include: listFlag(flags, 'include'),
      exclude: listFlag(flags, 'exclude'),
      headersTimeoutMs: intFlag(flags, 'header-timeout', 100, 3_600_000),
      upstreamTimeoutMs: intFlag(flags, 'upstream-timeout', 1, 3_600_000),
      insecure: Boolean(flags.insecure),
      caFile: flags.ca as string | undefined,
      faultApi: api,
    },
    { duration: intFlag(flags, 'duration', 1, 365 * 24 * 3600), quiet: Boolean(flags.quiet) },
    io,
  );
}
