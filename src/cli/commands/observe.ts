import { UsageError } from '../../core/errors';
import { choiceFlag, intFlag, listFlag, sizeFlag, type ParsedCommand } from '../args';
import { DB_FLAG, type Command } from '../command';
import { bytes } from '../../core/textFormat';
import type { CliIO } from '../io';

export const observe: Command = {
  spec: {
    name: 'observe',
    summary: 'Run the capture proxy: forward every request to the target and record each exchange in the store.',
    flags: {
      port: { type: 'string', short: 'p', value: 'PORT', default: '8080', description: 'port to listen on (0 picks a free one)' },
      target: { type: 'string', short: 't', value: 'URL', description: 'backend to forward to, e.g. http://localhost:9000 (reverse mode)' },
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
      'header-timeout': { type: 'string', value: 'MS', default: '30000', description: 'a client must send its headers within this time' },
      'upstream-timeout': { type: 'string', value: 'MS', description: 'answer 504 when the target sends nothing for this long' },
      duration: { type: 'string', value: 'SECONDS', description: 'stop by itself after this many seconds' },
      api: { type: 'string', value: 'HOST:PORT', description: "serve the fault API (loopback) so 'chaos-testing fault' can add faults to this proxy" },
      name: { type: 'string', value: 'NAME', default: 'http', description: 'the proxy name in the fault API' },
      quiet: { type: 'boolean', short: 'q', description: 'no status line' },
    },
    details: [
      'Examples:',
      '  chaos-testing observe --port 8080 --target http://localhost:9000',
      '  curl http://127.0.0.1:8080/users        # goes to the backend, lands in .chaos/traffic.db',
      '  chaos-testing observe --mode forward --port 8080 --exclude "/health" --exclude "**/*.js"',
      '  HTTP_PROXY=http://127.0.0.1:8080 your-client',
      '  chaos-testing observe --target http://localhost:9000 --api 127.0.0.1:8474',
      "  chaos-testing fault add slow --proxy http --type http_delay --attr delay=200 --match-path '/api/**'",
      '',
      'Exchanges that faults hit are stored with the faults named in their error, e.g. "faults: slow (http_delay)".',
      'Ctrl-C stops the proxy, flushes the store and prints a summary.',
    ].join('\n'),
  },

  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    const mode = choiceFlag(flags, 'mode', ['reverse', 'forward'] as const);
    const port = intFlag(flags, 'port', 0, 65535)!;
    const target = flags.target as string | undefined;
    if (mode === 'reverse' && !target) throw new UsageError("observe needs --target URL (the backend), or --mode forward; see 'chaos-testing observe --help'");
    if (mode === 'forward' && target) throw new UsageError('--target is for reverse mode; in forward mode clients say where they go');
    const duration = intFlag(flags, 'duration', 1, 365 * 24 * 3600);
    const name = String(flags.name);
    if (!/^[\w.-]{1,64}$/.test(name)) throw new UsageError(`--name '${name}' must be 1-64 letters, digits, '_', '.' or '-'`);
    const { parseHostPort } = await import('../../core/faults/tcpProxy');
    let apiAddress: ReturnType<typeof parseHostPort> | undefined;
    try {
      apiAddress = flags.api === undefined ? undefined : parseHostPort(String(flags.api), '--api', true);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    // An interrupt while the proxy starts is kept and honoured once it runs (the default action would kill the
    // process with the lock file and a half-initialised journal left behind).
    let earlyInterrupt = false;
    const onEarlySignal = (): void => void (earlyInterrupt = true);
    process.on('SIGINT', onEarlySignal);
    process.on('SIGTERM', onEarlySignal);
    const { CaptureSession } = await import('../../core/capture/captureSession');
    const { parseTarget } = await import('../../core/capture/proxy');
    if (target) parseTarget(target);
    const session = await CaptureSession.start({
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
      headersTimeoutMs: intFlag(flags, 'header-timeout', 100, 3_600_000),
      upstreamTimeoutMs: intFlag(flags, 'upstream-timeout', 1, 3_600_000),
      store: { redaction: { enabled: !flags['no-redact'], extraFields: listFlag(flags, 'redact') } },
    });
    let api: import('../../core/faults/api').FaultApi | undefined;
    if (apiAddress) {
      const { FaultApi } = await import('../../core/faults/api');
      const { HttpFaultTarget } = await import('../../core/faults/httpTarget');
      api = new FaultApi();
      try {
        const bound = await api.listen(apiAddress);
        api.register(new HttpFaultTarget(name, session.proxy, target ?? 'forward'));
        io.err(`chaos-testing: fault API http://${bound.host}:${bound.port} (proxy '${name}')`);
      } catch (e) {
        await api.close();
        await session.stop();
        throw e;
      }
    }
    const where = `http://${session.address.address}:${session.address.port}`;
    io.err(`chaos-testing: ${mode === 'reverse' ? `proxying ${where} → ${target}` : `forward proxy on ${where} (HTTP_PROXY=${where})`}, recording to ${session.file}`);
    io.err(mode === 'reverse' ? `chaos-testing: try: curl ${where}/` : `chaos-testing: try: curl -x ${where} http://localhost:9000/`);

    let last = { at: Date.now(), requests: 0 };
    const status = (): void => {
      const s = session.stats();
      const now = Date.now();
      const rate = ((s.requests - last.requests) * 1000) / Math.max(1, now - last.at);
      last = { at: now, requests: s.requests };
      const dropped = s.dropped ? `  DROPPED ${s.dropped} (store behind)` : '';
      const line = `exchanges ${s.stored}/${s.recorded}  ${rate.toFixed(0)} req/s  errors ${s.errors}  connections ${s.openConnections}${dropped}`;
      if (io.statusInPlace) process.stderr.write(`\r\x1b[K${line}`);
      else io.err(line);
    };
    const ticker = flags.quiet ? undefined : setInterval(status, 1000);

    const code = await new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (code: number): void => {
        if (stopping) return;
        stopping = true;
        if (ticker) clearInterval(ticker);
        if (io.statusInPlace && !flags.quiet) process.stderr.write('\n');
        resolve(code);
      };
      const onSignal = (): void => {
        if (stopping) {
          io.err('chaos-testing: second interrupt: exiting without waiting (the journal keeps what was captured)');
          process.exit(130);
        }
        stop(0);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.off('SIGINT', onEarlySignal);
      process.off('SIGTERM', onEarlySignal);
      if (earlyInterrupt) stop(0);
      session.writer.on('error', (e: Error) => {
        io.err(`chaos-testing: recording failed: ${e.message}; stopping`);
        stop(1);
      });
      if (duration) setTimeout(() => stop(0), duration * 1000);
    });

    try {
      await api?.close();
      const summary = await session.stop();
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
