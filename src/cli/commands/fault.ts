import { ChaosError, isChaosError, UsageError } from '../../core/errors';
import type { ProxyJson } from '../../core/faults/target';
import type { Toxic } from '../../core/faults/toxics';
import { listFlag, type FlagValues, type ParsedCommand } from '../args';
import { JSON_FLAG, type Command } from '../command';
import type { CliIO } from '../io';

const ACTIONS = ['add', 'update', 'rm', 'list', 'reset', 'down', 'up'] as const;
/** The actions that name a fault. */
const NAMED: readonly string[] = ['add', 'update', 'rm'];

export const faultCommand: Command = {
  spec: {
    name: 'fault',
    summary: "Add, change, remove and list faults (toxics) on a running 'chaos-testing proxy' or 'observe --api', through its API.",
    positionals: [
      { name: 'action', required: true, description: `one of: ${ACTIONS.join(', ')}` },
      { name: 'name', required: false, description: 'the fault (toxic) name, for add, update and rm' },
    ],
    flags: {
      proxy: { type: 'string', short: 'p', value: 'NAME', default: 'default', description: 'the proxy to change' },
      type: {
        type: 'string',
        short: 't',
        value: 'TYPE',
        description: 'latency, bandwidth, reset_peer, timeout, slicer, limit_data, slow_close; on an HTTP proxy also http_abort, http_delay, http_body, http_header',
      },
      // No defaults here: 'fault update' must tell a flag given from one left out (add fills them in).
      stream: { type: 'string', short: 's', value: 'DIR', description: "'upstream' (client → backend, the request) or 'downstream' (the response, the default)" },
      toxicity: { type: 'string', value: 'P', description: 'probability 0..1 that a connection (TCP) or request (HTTP) gets the fault (default 1)' },
      attr: { type: 'string', short: 'a', multiple: true, value: 'KEY=VALUE', description: 'an attribute, e.g. latency=200 (ms), rate=10 (KB/s), status=503, header=X-Foo' },
      'match-method': { type: 'string', value: 'METHOD', description: 'HTTP proxy: only requests with this method, e.g. GET' },
      'match-path': { type: 'string', value: 'GLOB', description: "HTTP proxy: only paths matching this glob, e.g. '/api/**'" },
      api: { type: 'string', value: 'HOST:PORT', default: '127.0.0.1:8474', description: 'address of the fault API' },
      json: JSON_FLAG,
    },
    details: [
      'Examples:',
      '  chaos-testing fault add slow --proxy redis --type latency --attr latency=200 --attr jitter=50',
      '  chaos-testing fault add cut --proxy redis --type reset_peer --toxicity 0.1',
      "  chaos-testing fault add slow --proxy http --type http_delay --attr delay=200 --match-path '/api/**' --match-method GET",
      '  chaos-testing fault add flaky --proxy http --type http_abort --attr status=503 --toxicity 0.2',
      '  chaos-testing fault add tag --proxy http --type http_header --stream upstream --attr header=X-Foo --attr value=bar',
      '  chaos-testing fault update slow --proxy redis --attr latency=500    # other attributes stay as they were',
      '  chaos-testing fault rm slow --proxy redis',
      '  chaos-testing fault list',
      '  chaos-testing fault down --proxy redis     # and: fault up --proxy redis',
      '  chaos-testing fault reset',
      '',
      "HTTP attributes: http_abort status (503), body; http_delay delay, jitter (ms); http_body mode (truncate|corrupt),",
      '  bytes (truncate to), fraction (0..1 of bytes corrupted), seed (same seed, same bytes; 0 = random);',
      '  http_header action (set|replace|remove), header, value. Byte-level types act on the body of a matched exchange.',
      '',
      "'fault update' changes a fault in place (Toxiproxy's update): the attributes given, --toxicity and the match;",
      '  not its type or stream. Connections already open through the TCP proxy take the new attributes; a new',
      '  toxicity applies to connections (or requests) that start afterwards.',
    ].join('\n'),
  },

  async run({ flags, positionals }: ParsedCommand, io: CliIO): Promise<number> {
    const action = positionals[0] as (typeof ACTIONS)[number];
    if (!ACTIONS.includes(action)) throw new UsageError(`unknown fault action '${positionals[0]}'; use one of: ${ACTIONS.join(', ')}`);
    const name = positionals[1];
    if (NAMED.includes(action) && !name) throw new UsageError(`'fault ${action}' needs the fault NAME; see 'chaos-testing fault --help'`);
    if (!NAMED.includes(action) && name) throw new UsageError(`unexpected argument '${name}' for 'fault ${action}'`);
    const { callFaultApi } = await import('../../core/faults/client');
    const api = String(flags.api);
    const proxy = encodeURIComponent(String(flags.proxy));
    switch (action) {
      case 'add': {
        if (!flags.type) throw new UsageError("'fault add' needs --type; see 'chaos-testing fault --help'");
        const toxic = (await callFaultApi(api, 'POST', `/proxies/${proxy}/toxics`, await toxicBody(name!, flags))) as Toxic;
        if (!isToxic(toxic)) throw notAFaultApi(api);
        io.out(flags.json ? JSON.stringify(toxic) : `added ${describe(toxic)} to proxy '${String(flags.proxy)}'`);
        return 0;
      }
      case 'update': {
        for (const flag of ['type', 'stream'] as const) {
          if (flags[flag] !== undefined) throw new UsageError(`'fault update' changes attributes, --toxicity and the match only, not --${flag}; remove the fault and add it again`);
        }
        const path = `/proxies/${proxy}/toxics/${encodeURIComponent(name!)}`;
        const existing = await callFaultApi(api, 'GET', path);
        if (!isToxic(existing)) throw notAFaultApi(api);
        const toxic = await callFaultApi(api, 'POST', path, await updateBody(existing, flags));
        if (!isToxic(toxic)) throw notAFaultApi(api);
        io.out(flags.json ? JSON.stringify(toxic) : `changed ${describe(toxic)} on proxy '${String(flags.proxy)}'`);
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
        const answer = await callFaultApi(api, 'GET', '/proxies');
        if (!answer || typeof answer !== 'object' || Array.isArray(answer)) throw notAFaultApi(api);
        const proxies = Object.values(answer as Record<string, ProxyJson>);
        if (!proxies.every(isProxy)) throw notAFaultApi(api);
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

/** A server that answers JSON of another shape (another service on that port): said so, in one line. */
function notAFaultApi(api: string): ChaosError {
  return new ChaosError('CT_API', `the server at ${api} answered, but not as a fault API (Toxiproxy-shaped /proxies); point --api at 'chaos-testing proxy' or 'observe --api'`);
}

function isToxic(t: unknown): t is Toxic {
  return !!t && typeof t === 'object' && typeof (t as Toxic).name === 'string' && typeof (t as Toxic).type === 'string';
}

function isProxy(p: unknown): p is ProxyJson {
  return !!p && typeof p === 'object' && typeof (p as ProxyJson).name === 'string' && Array.isArray((p as ProxyJson).toxics) && (p as ProxyJson).toxics.every(isToxic);
}

/** The toxic from the flags, validated here with the API's own rules (a bad one is a usage error, exit 2). */
async function toxicBody(name: string, flags: FlagValues): Promise<Toxic> {
  const { parseToxic } = await import('../../core/faults/toxics');
  const type = String(flags.type);
  const { toxicity, attributes, match } = await changesOf(type, { ...flags, toxicity: flags.toxicity ?? '1' });
  return asUsage(() => parseToxic({ name, type, stream: String(flags.stream ?? 'downstream'), toxicity, attributes, ...(match ? { match } : {}) }));
}

/** What 'fault update' sends: only what was given, checked against the toxic it changes (a bad one is exit 2). */
async function updateBody(existing: Toxic, flags: FlagValues): Promise<Record<string, unknown>> {
  const { updateToxic } = await import('../../core/faults/toxics');
  const { toxicity, attributes, match } = await changesOf(existing.type, flags);
  const body = { attributes, ...(toxicity === undefined ? {} : { toxicity }), ...(match ? { match: { ...existing.match, ...match } } : {}) };
  if (!Object.keys(attributes).length && toxicity === undefined && !match) throw new UsageError("'fault update' needs what to change: --attr KEY=VALUE, --toxicity or --match-method/--match-path");
  asUsage(() => updateToxic(existing, body));
  return body;
}

/** --toxicity, --attr and --match-* as the API takes them; attributes typed by the toxic's type. */
async function changesOf(type: string, flags: FlagValues): Promise<{ toxicity?: number; attributes: Record<string, number | string>; match?: Record<string, string> }> {
  const { attributesFromPairs } = await import('../../core/faults/toxics');
  let toxicity: number | undefined;
  if (flags.toxicity !== undefined) {
    // Number('') is 0: an empty value would add a fault that never applies.
    toxicity = String(flags.toxicity).trim() === '' ? NaN : Number(flags.toxicity);
    if (!(toxicity >= 0 && toxicity <= 1)) throw new UsageError(`--toxicity '${String(flags.toxicity)}' must be a number from 0 to 1`);
  }
  const attributes = asUsage(() => attributesFromPairs(type, listFlag(flags, 'attr'), (pair) => `--attr '${pair}'`));
  const match: Record<string, string> = {};
  if (flags['match-method'] !== undefined) match.method = String(flags['match-method']);
  if (flags['match-path'] !== undefined) match.path = String(flags['match-path']);
  return { toxicity, attributes, ...(Object.keys(match).length ? { match } : {}) };
}

/** Runs a check of the core's; its one-line InputError becomes a usage error (exit 2). */
function asUsage<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw isChaosError(e) ? new UsageError(e.message) : e;
  }
}

function describe(t: Toxic): string {
  const attrs = Object.entries(t.attributes).map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : v}`).join(' ');
  const odds = t.toxicity < 1 ? ` toxicity=${t.toxicity}` : '';
  const match = t.match ? ` match=${[t.match.method, t.match.path].filter(Boolean).join(' ')}` : '';
  return `${t.name}: ${t.type} ${t.stream} ${attrs}${odds}${match}`;
}
