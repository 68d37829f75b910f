import { UsageError } from '../../core/errors';
import type { ParsedCommand } from '../args';
import type { Command } from '../command';
import type { CliIO } from '../io';

export const proxyCommand: Command = {
  spec: {
    name: 'proxy',
    summary: 'Run a TCP proxy between a backend and its database or cache, with faults added at run time.',
    flags: {
      listen: { type: 'string', short: 'l', value: 'HOST:PORT', description: 'address the proxy listens on (port 0 picks a free one)' },
      upstream: { type: 'string', short: 'u', value: 'HOST:PORT', description: 'where connections go, e.g. 127.0.0.1:6379' },
      name: { type: 'string', short: 'n', value: 'NAME', default: 'default', description: 'proxy name used by the API and fault commands' },
      api: { type: 'string', value: 'HOST:PORT', default: '127.0.0.1:8474', description: 'loopback address of the Toxiproxy-shaped fault API' },
      duration: { type: 'string', value: 'SECONDS', description: 'stop by itself after this many seconds' },
    },
    details: [
      'Examples:',
      '  chaos-testing proxy --listen 127.0.0.1:6380 --upstream 127.0.0.1:6379 --name redis',
      '  chaos-testing fault add slow --proxy redis --type latency --attr latency=200 --attr jitter=50',
      '  chaos-testing fault down --proxy redis      # partition: refuse and cut connections',
      '  chaos-testing fault reset                   # every proxy up, every fault removed',
      '',
      'Faults apply to connections opened after they are added; down cuts live connections at once.',
      'Ctrl-C stops the proxy and closes every connection.',
    ].join('\n'),
  },

  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    if (!flags.listen || !flags.upstream) throw new UsageError("proxy needs --listen HOST:PORT and --upstream HOST:PORT; see 'chaos-testing proxy --help'");
    const { intFlag } = await import('../args');
    const duration = intFlag(flags, 'duration', 1, 365 * 24 * 3600);
    const { parseHostPort } = await import('../../core/faults/tcpProxy');
    const { FaultApi } = await import('../../core/faults/api');
    const usage = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    };
    const listen = usage(() => parseHostPort(String(flags.listen), '--listen', true));
    const upstream = usage(() => parseHostPort(String(flags.upstream), '--upstream'));
    const apiAddress = usage(() => parseHostPort(String(flags.api), '--api', true));
    const name = String(flags.name);
    if (!/^[\w.-]{1,64}$/.test(name)) throw new UsageError(`--name '${name}' must be 1-64 letters, digits, '_', '.' or '-'`);
    const api = new FaultApi();
    try {
      const boundApi = await api.listen(apiAddress);
      const proxy = await api.addProxy({ name, listen, upstream });
      io.err(`chaos-testing: proxy '${name}' ${proxy.listen.host}:${proxy.listen.port} → ${upstream.host}:${upstream.port}, fault API http://${boundApi.host}:${boundApi.port}`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          if (timer) clearTimeout(timer);
          resolve();
        };
        const timer = duration ? setTimeout(stop, duration * 1000) : undefined;
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    } finally {
      await api.close();
    }
    io.err('chaos-testing: proxy stopped');
    return 0;
  },
};
