/**
 * A schema-valid experiment file (plain JS from YAML) → the typed Experiment: durations in ms, defaults filled in,
 * tolerances in one shape, every probe and action knowing its YAML path. Only called after the schema passed.
 */
import * as path from 'node:path';
import { parseDuration } from './duration';
import type { Action, ActionArguments, ActionKind, Experiment, HttpProbe, Measure, Target, Tolerance } from './types';

type Raw = Record<string, unknown>;

export const MEASURE_DEFAULTS: Omit<Measure, 'probe'> = {
  intervalMs: 100,
  baselineMs: 2000,
  faultMs: 3000,
  consecutiveSuccesses: 3,
  recoveryTimeoutMs: 30_000,
};

const ms = (v: unknown, fallback: number): number => (v === undefined ? fallback : (parseDuration(v) ?? fallback));

export function normalizeExperiment(raw: Raw, file?: string): Experiment {
  const hypothesis = (raw['steady-state-hypothesis'] ?? {}) as Raw;
  const probes = ((hypothesis.probes ?? []) as Raw[]).map((p, i) => normalizeProbe(p, i));
  const measure = (raw.measure ?? {}) as Raw;
  return {
    version: String(raw.version ?? '1'),
    title: String(raw.title),
    ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
    tags: (raw.tags as string[] | undefined) ?? [],
    targets: Object.fromEntries(Object.entries(raw.targets as Record<string, Raw>).map(([name, t]) => [name, normalizeTarget(name, t)])),
    hypothesis: { title: String(hypothesis.title ?? 'steady state'), probes },
    method: ((raw.method ?? []) as Raw[]).map((a, i) => normalizeAction(a, ['method', i])),
    rollbacks: ((raw.rollbacks ?? []) as Raw[]).map((a, i) => normalizeAction(a, ['rollbacks', i])),
    measure: {
      probe: typeof measure.probe === 'string' ? measure.probe : (probes[0]?.name ?? ''),
      intervalMs: Math.max(1, ms(measure.interval, MEASURE_DEFAULTS.intervalMs)),
      baselineMs: ms(measure.baseline, MEASURE_DEFAULTS.baselineMs),
      faultMs: ms(measure.fault, MEASURE_DEFAULTS.faultMs),
      consecutiveSuccesses: (measure.consecutive as number | undefined) ?? MEASURE_DEFAULTS.consecutiveSuccesses,
      recoveryTimeoutMs: ms(measure['recovery-timeout'], MEASURE_DEFAULTS.recoveryTimeoutMs),
    },
    ...(file ? { file: path.resolve(file) } : {}),
  };
}

function normalizeTarget(name: string, t: Raw): Target {
  const kubernetes = t.kubernetes ? { kubernetes: t.kubernetes as Target['kubernetes'] } : {};
  if (typeof t.url === 'string') return { kind: 'url', name, url: t.url.replace(/\/+$/, ''), ...kubernetes };
  if (t.process) {
    const p = t.process as Raw;
    return {
      kind: 'process',
      name,
      ...(p.pidFile !== undefined ? { pidFile: String(p.pidFile) } : {}),
      ...(p.match !== undefined ? { match: String(p.match) } : {}),
      ...(p.start !== undefined ? { start: String(p.start) } : {}),
      ...(p.cwd !== undefined ? { cwd: String(p.cwd) } : {}),
      ...(p.env !== undefined ? { env: p.env as Record<string, string> } : {}),
      dependsOn: (p.dependsOn as string[] | undefined) ?? [],
      ...kubernetes,
    };
  }
  if (t.proxy) {
    const p = t.proxy as Raw;
    const pick = (k: string): Record<string, string> => (typeof p[k] === 'string' ? { [k]: p[k] as string } : {});
    return { kind: 'proxy', name, ...pick('listen'), ...pick('upstream'), ...pick('api'), ...pick('proxy'), ...kubernetes };
  }
  return { kind: 'directory', name, path: String((t.directory as Raw | undefined)?.path ?? ''), ...kubernetes };
}

function normalizeTolerance(t: unknown): Tolerance {
  if (t === undefined) return {};
  if (typeof t === 'number') return { status: [t] };
  if (Array.isArray(t)) return { status: t as number[] };
  const o = t as Raw;
  const out: Tolerance = {};
  if (o.status !== undefined) out.status = Array.isArray(o.status) ? (o.status as number[]) : [o.status as number];
  if (typeof o.jsonpath === 'string') out.jsonpath = o.jsonpath;
  if ('equals' in o) out.equals = o.equals;
  if (o.latency !== undefined) out.latencyMs = parseDuration(o.latency);
  return out;
}

function normalizeProbe(p: Raw, index: number): HttpProbe {
  const provider = p.provider as Raw;
  return {
    name: String(p.name),
    url: String(provider.url),
    method: String(provider.method ?? 'GET'),
    headers: (provider.headers as Record<string, string> | undefined) ?? {},
    ...(typeof provider.body === 'string' ? { body: provider.body } : {}),
    timeoutMs: ms(provider.timeout, 2000),
    tolerance: normalizeTolerance(p.tolerance),
    at: ['steady-state-hypothesis', 'probes', index],
  };
}

function normalizeArguments(kind: ActionKind, a: Raw): ActionArguments[ActionKind] {
  const stream = (a.stream as 'upstream' | 'downstream' | undefined) ?? 'downstream';
  switch (kind) {
    case 'process-kill':
      return { signal: (a.signal as 'SIGKILL' | 'SIGTERM' | undefined) ?? 'SIGKILL', restart: a.restart === true, restartAfterMs: ms(a.restartAfter, 0) };
    case 'network-partition':
      return {};
    case 'latency':
      return { latencyMs: ms(a.latency, 0), jitterMs: ms(a.jitter, 0), stream };
    case 'loss':
      return { percent: Number(a.percent), stream };
    case 'bandwidth':
      return { rateKBps: Number(a.rate), stream };
    case 'cpu-throttle':
      return { percent: Number(a.percent), periodMs: ms(a.period, 100) };
    case 'memory-pressure':
      return { mib: Number(a.mib) };
    case 'disk-exhaustion':
      return { percent: Number(a.percent), floorMiB: a.floor === undefined ? 256 : Number(a.floor) };
    case 'clock-skew':
      return { offsetSeconds: Number(a.offset) };
    case 'cascading-failure':
      return { order: (a.order as string[] | undefined) ?? [], delayMs: ms(a.delay, 0) };
  }
}

function normalizeAction(a: Raw, at: (string | number)[]): Action {
  const provider = a.provider as Raw;
  const kind = provider.type as ActionKind;
  const pauses = (a.pauses ?? {}) as Raw;
  return {
    name: String(a.name),
    kind,
    target: String(provider.target),
    arguments: normalizeArguments(kind, (provider.arguments ?? {}) as Raw),
    ...(a.duration !== undefined ? { durationMs: ms(a.duration, 0) } : {}),
    pauseBeforeMs: ms(pauses.before, 0),
    pauseAfterMs: ms(pauses.after, 0),
    at,
  };
}
