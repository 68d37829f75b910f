import { UsageError } from '../../core/errors';
import { listFlag, type FlagValues, type ParsedCommand } from '../args';
import { JSON_FLAG, type Command } from '../command';
import type { CliIO } from '../io';

const ACTIONS = ['add', 'rm', 'list', 'reset', 'down', 'up'] as const;

interface ToxicJson {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: Record<string, number>;
}
interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

export const faultCommand: Command = {
  spec: {
    name: 'fault',
    summary: "Add, remove and list faults (toxics) on a running 'chaos-testing proxy', through its API.",
    positionals: [
      { name: 'action', required: true, description: `one of: ${ACTIONS.join(', ')}` },
      { name: 'name', required: false, description: 'the fault (toxic) name, for add and rm' },
    ],
    flags: {
      proxy: { type: 'string', short: 'p', value: 'NAME', default: 'default', description: 'the proxy to change' },
      type: { type: 'string', short: 't', value: 'TYPE', description: 'latency, bandwidth, reset_peer, timeout, slicer, limit_data, slow_close' },
      stream: { type: 'string', short: 's', value: 'DIR', default: 'downstream', description: "'upstream' (client → backend) or 'downstream'" },
      toxicity: { type: 'string', value: 'P', default: '1', description: 'probability 0..1 that a connection gets the fault' },
      attr: { type: 'string', short: 'a', multiple: true, value: 'KEY=VALUE', description: 'an attribute, e.g. latency=200 (ms), rate=10 (KB/s), bytes=1000' },
      api: { type: 'string', value: 'HOST:PORT', default: '127.0.0.1:8474', description: 'address of the fault API' },
      json: JSON_FLAG,
    },
    details: [
      'Examples:',
      '  chaos-testing fault add slow --proxy redis --type latency --attr latency=200 --attr jitter=50',
      '  chaos-testing fault add cut --proxy redis --type reset_peer --toxicity 0.1',
      '  chaos-testing fault rm slow --proxy redis',
      '  chaos-testing fault list',
      '  chaos-testing fault down --proxy redis     # and: fault up --proxy redis',
      '  chaos-testing fault reset',
    ].join('\n'),
  },

  async run({ flags, positionals }: ParsedCommand, io: CliIO): Promise<number> {
    const action = positionals[0] as (typeof ACTIONS)[number];
    if (!ACTIONS.includes(action)) throw new UsageError(`unknown fault action '${positionals[0]}'; use one of: ${ACTIONS.join(', ')}`);
    const name = positionals[1];
    if ((action === 'add' || action === 'rm') && !name) throw new UsageError(`'fault ${action}' needs the fault NAME; see 'chaos-testing fault --help'`);
    if (action !== 'add' && action !== 'rm' && name) throw new UsageError(`unexpected argument '${name}' for 'fault ${action}'`);
    const { callFaultApi } = await import('../../core/faults/client');
    const api = String(flags.api);
    const proxy = encodeURIComponent(String(flags.proxy));
    switch (action) {
      case 'add': {
        if (!flags.type) throw new UsageError("'fault add' needs --type; see 'chaos-testing fault --help'");
        const toxic = (await callFaultApi(api, 'POST', `/proxies/${proxy}/toxics`, toxicBody(name!, flags))) as ToxicJson;
        io.out(flags.json ? JSON.stringify(toxic) : `added ${describe(toxic)} to proxy '${String(flags.proxy)}'`);
        return 0;
      }
      case 'rm':
        await callFaultApi(api, 'DELETE', `/proxies/${proxy}/toxics/${encodeURIComponent(name!)}`);
        io.out(`removed '${name}' from proxy '${String(flags.proxy)}'`);
        return 0;
      case 'reset':
        await callFaultApi(api, 'POST', '/reset');
        io.out('every proxy is up and has no faults');
        return 0;
      case 'down':
      case 'up':
        await callFaultApi(api, 'POST', `/proxies/${proxy}`, { enabled: action === 'up' });
        io.out(`proxy '${String(flags.proxy)}' is ${action}`);
        return 0;
      case 'list': {
        const proxies = Object.values((await callFaultApi(api, 'GET', '/proxies')) as Record<string, ProxyJson>);
        if (flags.json) {
          io.out(JSON.stringify(proxies, null, 2));
          return 0;
        }
        if (!proxies.length) io.out('no proxies');
        for (const p of proxies) {
          io.out(`${p.name}  ${p.listen} → ${p.upstream}  ${p.enabled ? 'up' : 'DOWN'}`);
          if (!p.toxics.length) io.out('  (no faults)');
          for (const t of p.toxics) io.out(`  ${describe(t)}`);
        }
        return 0;
      }
    }
  },
};

function toxicBody(name: string, flags: FlagValues): unknown {
  const toxicity = Number(flags.toxicity);
  if (!(toxicity >= 0 && toxicity <= 1)) throw new UsageError(`--toxicity '${String(flags.toxicity)}' must be a number from 0 to 1`);
  const attributes: Record<string, number> = {};
  for (const pair of listFlag(flags, 'attr')) {
    const m = /^([\w]+)=(.+)$/.exec(pair);
    if (!m || !Number.isFinite(Number(m[2]))) throw new UsageError(`--attr '${pair}' must be KEY=NUMBER, e.g. latency=200`);
    attributes[m[1]] = Number(m[2]);
  }
  return { name, type: String(flags.type), stream: String(flags.stream), toxicity, attributes };
}

function describe(t: ToxicJson): string {
  const attrs = Object.entries(t.attributes).map(([k, v]) => `${k}=${v}`).join(' ');
  const odds = t.toxicity < 1 ? ` toxicity=${t.toxicity}` : '';
  return `${t.name}: ${t.type} ${t.stream} ${attrs}${odds}`;
}
