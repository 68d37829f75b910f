/**
 * What a load run is asked to do, from CLI flags or a `.chaos/load/*.yaml` file (both give a `LoadPlanInput`; flags
 * win), turned into a `LoadSpec` with every default filled in, and the request mix it sends.
 */
import { existsSync } from 'node:fs';
import { InputError } from '../errors';
import { buildMix, parseReadWrite } from './mix';
import { buildProfile } from './profiles';
import { singleRequestMix } from './run';
import { checkTarget } from './safety';
import { parseSlo } from './slo';
import type { LoadSpec, MixEntry, ProfileKind, RequestMix, SloClause } from './types';

/** One request of an explicit mix (`requests:` in a spec file). */
export interface RequestInput {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  weight?: number;
}

export interface LoadPlanInput {
  name?: string;
  target?: string;
  profile?: ProfileKind;
  from?: number;
  to?: number;
  durationMs?: number;
  /** Open model: requests per second. */
  rate?: number;
  /** Closed model: connections; with a rate, the most connections the open model may use. */
  connections?: number;
  /** 'traffic' (the database's captured requests) or 'target' (GET the target URL); default: traffic when the database exists. */
  mix?: 'traffic' | 'target';
  readWrite?: string;
  requests?: RequestInput[];
  slo?: string | string[];
  input?: string;
  session?: number;
  maxRequests?: number;
  timeoutMs?: number;
  pid?: number;
  allowRemote?: boolean;
  insecure?: boolean;
  /** stress: how long each step holds. */
  stepEveryMs?: number;
}

export const LOAD_DEFAULTS = {
  durationMs: 30_000,
  connections: 10,
  maxConnections: 100,
  maxRequests: 5_000_000,
  timeoutMs: 10_000,
  input: '.chaos/traffic.db',
} as const;

/** The spec with defaults filled in; throws InputError naming the bad value. */
export function planSpec(input: LoadPlanInput): LoadSpec {
  if (!input.target) throw new InputError('a load run needs a target URL (--target URL, or target: in the spec file)');
  const target = checkTarget(input.target, Boolean(input.allowRemote));
  if (input.rate !== undefined && !(input.rate > 0)) throw new InputError(`rate ${input.rate} must be above 0 requests per second`);
  if (input.pid !== undefined && !processExists(input.pid)) {
    throw new InputError(`no process ${input.pid} to sample (pid): give the target's pid, e.g. from 'pgrep -f server', or leave it out`);
  }
  const kind = input.profile ?? 'constant';
  // Values a profile has no use for are refused, not dropped: the run would not be the one asked for.
  if (kind === 'constant' && input.from !== undefined) {
    throw new InputError(`from ${input.from} is where ramp-up, spike, soak and stress start; a constant run holds one level (to, rate or connections): leave out from, or pick one of those profiles`);
  }
  if (kind !== 'stress' && input.stepEveryMs !== undefined) throw new InputError(`step-every is how long each step of the stress profile holds; profile ${kind} has no steps: leave it out, or use profile stress`);
  const open = input.rate !== undefined;
  const level = open ? input.rate! : input.connections ?? LOAD_DEFAULTS.connections;
  const durationMs = input.durationMs ?? LOAD_DEFAULTS.durationMs;
  const to = input.to ?? level;
  const profile = buildProfile(kind, { from: input.from, to, durationMs, model: open ? 'open' : 'closed', stepEveryMs: input.stepEveryMs });
  const peak = Math.max(profile.from, ...profile.stages.map((s) => s.target));
  const model: LoadSpec['model'] = open
    ? { kind: 'open', rate: peak, maxConnections: input.connections ?? LOAD_DEFAULTS.maxConnections }
    : { kind: 'closed', connections: peak };
  const slo: SloClause[] = (Array.isArray(input.slo) ? input.slo : input.slo ? [input.slo] : []).flatMap((s) => parseSlo(s));
  return {
    name: input.name ?? `load ${target.href}`,
    target: target.href,
    model,
    profile,
    durationMs,
    maxRequests: input.maxRequests ?? LOAD_DEFAULTS.maxRequests,
    timeoutMs: input.timeoutMs ?? LOAD_DEFAULTS.timeoutMs,
    slo,
    ...(input.readWrite !== undefined ? { readShare: parseReadWrite(input.readWrite) } : {}),
    ...(input.pid !== undefined ? { targetPid: input.pid } : {}),
    allowRemote: Boolean(input.allowRemote),
    insecure: Boolean(input.insecure),
  };
}

/** The requests the run sends: an explicit list, the captured traffic, or the target URL alone. */
export async function planMix(spec: LoadSpec, input: LoadPlanInput, env?: NodeJS.ProcessEnv): Promise<RequestMix> {
  if (input.requests?.length) {
    if (input.mix !== undefined || input.readWrite !== undefined) throw new InputError('requests: is a mix of its own; leave out mix and read-write');
    return explicitMix(spec.target, input.requests);
  }
  if (input.mix === 'target' && input.readWrite !== undefined) throw new InputError('read-write reshapes the captured traffic; it does not go with mix target');
  if (input.mix === 'target' && input.session !== undefined) throw new InputError(`session ${input.session} picks the captured traffic to send; it does not go with mix target`);
  const database = input.input ?? LOAD_DEFAULTS.input;
  const fromTraffic = input.mix === 'traffic' || input.readWrite !== undefined || (input.mix === undefined && existsSync(database));
  if (!fromTraffic) return singleRequestMix(spec.target);
  if (!existsSync(database)) throw new InputError(`no traffic database at ${database} to draw the request mix from: capture some with 'chaos-testing observe', pass --input PATH, or use --mix target`);
  return buildMix({ database, sessionId: input.session, target: spec.target, readShare: spec.readShare, env });
}

function explicitMix(target: string, requests: RequestInput[]): RequestMix {
  const base = new URL(target);
  const prefix = base.pathname.replace(/\/$/, '');
  const total = requests.reduce((s, r) => s + (r.weight ?? 1), 0);
  const entries: MixEntry[] = requests.map((r) => {
    const method = (r.method ?? 'GET').toUpperCase();
    const path = r.path.startsWith('/') ? r.path : `/${r.path}`;
    const headers = Object.entries(r.headers ?? {}).map(([n, v]): [string, string] => [n.toLowerCase(), String(v)]);
    let body: Buffer | null = null;
    if (typeof r.body === 'string') body = Buffer.from(r.body, 'utf8');
    else if (r.body !== undefined && r.body !== null) {
      body = Buffer.from(JSON.stringify(r.body), 'utf8');
      if (!headers.some(([n]) => n === 'content-type')) headers.push(['content-type', 'application/json']);
    }
    return { endpoint: `${method} ${path.split('?')[0]}`, method, pathAndQuery: `${prefix}${path}`, headers, body, weight: (r.weight ?? 1) / total, write: ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) };
  });
  return { entries, source: `${requests.length} request(s) from the spec file`, skipped: {} };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process is there
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // there, but not ours to signal
  }
}
