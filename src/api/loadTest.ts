/**
 * Load tests from code. The builder fills the same `LoadPlanInput` a `.chaos/load/*.yaml` file or the CLI's flags
 * give; `planSpec` and `planMix` turn it into the run, and `runLoad` runs it: one implementation.
 */
import { parseDuration } from '../core/chaos/duration';
import { planMix, planSpec, type LoadPlanInput, type RequestInput } from '../core/load/plan';
import { readLoadSpec } from '../core/load/specFile';
import { errorRate } from '../core/load/report';
import { runLoad } from '../core/load/run';
import { formatActual, parseSlo } from '../core/load/slo';
import { loadVerdict } from '../core/load/verdict';
import type { LoadResult, LoadSpec, LoadTick, LoadVerdict, ProfileKind, RequestMix, SloVerdict } from '../core/load/types';
import { CancelledError, UsageError, throwIfCancelled } from './errors';
import type { CallOptions, Duration } from './options';
import { LOAD_WORDING, inApiWords, inApiWordsAsync } from './wording';

/** An SLO as an object; each field becomes one clause ("p99<200ms", "errors<1%", "rps>=100"). */
export interface SloObjectives {
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  /** Most errors allowed, a fraction (0.01 = 1 %). */
  errorRate?: number;
  /** Least throughput, requests per second. */
  minRps?: number;
}

/** What a load run comes to; `raw` is the engine's full result (as `load --json`). */
export interface LoadOutcome {
  throughputRps: number;
  latencies: { p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number; meanMs: number };
  /** Errors / attempts over the run (0..1). */
  errorRate: number;
  requests: number;
  errors: number;
  /** Every SLO clause held (true with no SLO). */
  passedSlo(): boolean;
  /** One line per clause that broke: "p99<200ms: p99 312.0ms". */
  sloFailures(): string[];
  slo: SloVerdict[];
  verdict: LoadVerdict;
  raw: LoadResult;
}

/** The run as it will go: every default filled in, and the requests it will send (what `load --events` prints first). */
export interface LoadPlan {
  spec: LoadSpec;
  mix: RequestMix;
}

/** Options of {@link LoadTest.run}. */
export interface RunLoadOptions extends CallOptions<LoadTick> {
  /** A plan made by this test's {@link LoadTest.plan} (to show it before the run starts); made afresh when absent. */
  plan?: LoadPlan;
}

const US = 1000;
const SLO_KEYS: ReadonlyArray<keyof SloObjectives> = ['p50Ms', 'p95Ms', 'p99Ms', 'maxMs', 'errorRate', 'minRps'];

/**
 * A load test against one URL: a profile (constant by default; ramp-up, spike, soak, stress), a duration, a level
 * (connections, or a rate for an open model), a request mix and an SLO.
 *
 * @example
 * const outcome = await LoadTest.create('http://127.0.0.1:3000/api/accounts/1')
 *   .withRampUp(1, 10).withDuration('10s').withSlo({ p99Ms: 200, errorRate: 0.01 })
 *   .run({ signal, onProgress: (tick) => console.log(tick.rps) });
 * assert.ok(outcome.passedSlo(), outcome.sloFailures().join('\n'));
 *
 * The run shares the caller's thread: with 16 or more requests in flight it polls its sockets in turns and naps up
 * to 100 µs at a time between empty ones (README, "Turns and naps"), which holds the thread for that long.
 */
export class LoadTest {
  private constructor(private readonly _input: LoadPlanInput) {}

  /** A constant load of 10 connections on `url` for 30 s, sending GET `url` (until told otherwise). */
  static create(url: string): LoadTest {
    return new LoadTest({ target: url, mix: 'target' });
  }

  private _next(change: Partial<LoadPlanInput>): LoadTest {
    return new LoadTest({ ...this._input, ...change });
  }

  private _profile(profile: ProfileKind, to: number, from?: number): LoadTest {
    if (!(to > 0)) throw new UsageError(`load profile ${profile}: the level must be above 0 (got ${to})`);
    return this._next({ profile, to, from });
  }

  /**
   * From a load spec's fields, as a `.chaos/load/*.yaml` file or the CLI's flags give them (`chaos-testing load`
   * builds its run this way). Checked when planned or run.
   */
  static fromInput(input: LoadPlanInput): LoadTest {
    return new LoadTest({ ...input });
  }

  /** Reads a load spec file (`.chaos/load/*.yaml`, schemas/load.schema.json); a bad file is an InputError naming the line. */
  static fromSpecFile(file: string): LoadTest {
    return new LoadTest(readLoadSpec(file));
  }

  /** A name for the run (default "load URL"). */
  withName(name: string): LoadTest {
    return this._next({ name });
  }

  /** Constant load at `level` (connections, or requests per second with {@link LoadTest.withRate}). */
  withConstant(level: number): LoadTest {
    return this._profile('constant', level);
  }

  /** From `from` to `to` over 80 % of the run, then hold. */
  withRampUp(from: number, to: number): LoadTest {
    return this._profile('ramp-up', to, from);
  }

  /** A baseline, a sudden jump to `peak`, hold, a sudden drop, recovery. */
  withSpike(peak: number, baseline?: number): LoadTest {
    return this._profile('spike', peak, baseline);
  }

  /** A short ramp, then a long hold at `level` (watch drift; give the target's pid with withTargetPid). */
  withSoak(level: number): LoadTest {
    return this._profile('soak', level);
  }

  /** Steps up to `max` until a step breaks the SLO: the breaking point. */
  withStress(max: number, options: { from?: number; stepEvery?: Duration } = {}): LoadTest {
    return this._profile('stress', max, options.from)._next(options.stepEvery === undefined ? {} : { stepEveryMs: ms(options.stepEvery, 'withStress stepEvery') });
  }

  /** How long the run lasts: ms, or '30s', '5m'. */
  withDuration(duration: Duration): LoadTest {
    return this._next({ durationMs: ms(duration, 'withDuration') });
  }

  /** Closed model: this many connections (or, with a rate, the most the open model may open). */
  withConnections(connections: number): LoadTest {
    return this._next({ connections });
  }

  /** Open model: requests per second whatever the target does (latency from the intended send time). */
  withRate(rps: number): LoadTest {
    return this._next({ rate: rps });
  }

  /** Draw the requests from captured traffic (each endpoint weighted as called, created ids chained). */
  withTraffic(database: string, options: { session?: number } = {}): LoadTest {
    return this._next({ mix: 'traffic', input: database, ...(options.session !== undefined ? { session: options.session } : {}) });
  }

  /** Reads and writes in this ratio, from captured traffic (see {@link LoadTest.withTraffic}). */
  withReadWriteRatio(read: number, write: number): LoadTest {
    if (!(read >= 0 && write >= 0 && read + write > 0)) throw new UsageError(`withReadWriteRatio(${read}, ${write}): give two shares that are not negative and not both 0`);
    return this._next({ readWrite: `${read}:${write}`, mix: 'traffic' });
  }

  /** An explicit request mix (paths relative to the target URL), each drawn by its weight. */
  withRequests(requests: RequestInput[]): LoadTest {
    return this._next({ requests, mix: undefined });
  }

  /** The SLO: an object, or the CLI's text ("p99<200ms,errors<1%"). Added to any given before. */
  withSlo(slo: SloObjectives | string): LoadTest {
    const clauses = typeof slo === 'string' ? [slo] : sloClauses(slo);
    const before = this._input.slo === undefined ? [] : Array.isArray(this._input.slo) ? this._input.slo : [this._input.slo];
    return this._next({ slo: [...before, ...clauses] });
  }

  /** Allow a target that is not this machine (refused by default). Only a system you own or may test. */
  withRemoteTarget(): LoadTest {
    return this._next({ allowRemote: true });
  }

  /** Per-request timeout (default 10 s). */
  withTimeout(timeout: Duration): LoadTest {
    return this._next({ timeoutMs: ms(timeout, 'withTimeout') });
  }

  /** Stop after this many requests. */
  withMaxRequests(n: number): LoadTest {
    return this._next({ maxRequests: n });
  }

  /** Sample this process's memory each second (soak drift). */
  withTargetPid(pid: number): LoadTest {
    return this._next({ pid });
  }

  /** What the CLI's flags or a spec file would give (before defaults). */
  toInput(): LoadPlanInput {
    return { ...this._input };
  }

  /** The run with every default filled in (as `chaos-testing load` plans it); throws on a bad value. */
  toSpec(): LoadSpec {
    return inApiWords(LOAD_WORDING, () => planSpec(this._input));
  }

  /**
   * The spec and the request mix, read from the traffic when the test draws from it. `env` fills redacted secrets
   * (CHAOS_SECRET_*; default process.env).
   */
  async plan(options: { env?: NodeJS.ProcessEnv } = {}): Promise<LoadPlan> {
    const spec = this.toSpec();
    return { spec, mix: await inApiWordsAsync(LOAD_WORDING, () => planMix(spec, this._input, options.env)) };
  }

  /** Runs it; `onProgress` gets one tick a second. Rejects with CancelledError when `signal` fires (`partial` has the outcome so far). */
  async run(options: RunLoadOptions = {}): Promise<LoadOutcome> {
    const { spec, mix } = options.plan ?? (await this.plan());
    throwIfCancelled(options.signal, `load test ${spec.name}`);
    const raw = await inApiWordsAsync(LOAD_WORDING, () => runLoad(spec, mix, { signal: options.signal, onTick: options.onProgress }));
    const outcome = loadOutcome(raw);
    if (options.signal?.aborted) throw new CancelledError(`load test ${spec.name}`, outcome);
    return outcome;
  }
}

function ms(d: Duration, where: string): number {
  const v = parseDuration(d);
  if (v === undefined || !(v > 0)) throw new UsageError(`${where}(${JSON.stringify(d)}): give milliseconds above 0 or a duration such as '30s' or '5m'`);
  return v;
}

function sloClauses(o: SloObjectives): string[] {
  const unknown = Object.keys(o).filter((k) => !(SLO_KEYS as readonly string[]).includes(k));
  if (unknown.length) throw new UsageError(`withSlo: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; the known keys are ${SLO_KEYS.join(', ')} (latencies in ms, errorRate a fraction, minRps requests per second)`);
  for (const k of SLO_KEYS) {
    const v = o[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new UsageError(`withSlo: ${k} must be a number of ${k === 'errorRate' ? 'errors per request (0.01 = 1 %)' : k === 'minRps' ? 'requests per second' : 'milliseconds'}, not ${JSON.stringify(v)}`);
  }
  const out: string[] = [];
  const latency: Array<[keyof SloObjectives, string]> = [['p50Ms', 'p50'], ['p95Ms', 'p95'], ['p99Ms', 'p99'], ['maxMs', 'max']];
  for (const [key, metric] of latency) if (o[key] !== undefined) out.push(`${metric}<${o[key]}ms`);
  if (o.errorRate !== undefined) out.push(`errors<${o.errorRate}`);
  if (o.minRps !== undefined) out.push(`rps>=${o.minRps}`);
  if (!out.length) throw new UsageError('withSlo({}) names no objective: give p50Ms, p95Ms, p99Ms, maxMs, errorRate or minRps');
  return out;
}

function loadOutcome(raw: LoadResult): LoadOutcome {
  const t = raw.totals;
  const round = (us: number): number => Math.round((us / US) * 100) / 100;
  const failed = raw.slo.filter((v) => !v.passed);
  return {
    throughputRps: raw.rps,
    latencies: { p50Ms: round(raw.latency.p50), p90Ms: round(raw.latency.p90), p99Ms: round(raw.latency.p99), maxMs: round(raw.latency.max), meanMs: round(raw.latency.mean) },
    errorRate: errorRate(t),
    requests: t.sent,
    errors: t.errors,
    passedSlo: () => raw.passed,
    sloFailures: () => failed.map((v) => `${v.clause}: ${sloActual(v)}${v.brokeAt ? ` (first broke at ${v.brokeAt.fromSecond}-${v.brokeAt.toSecond}s)` : ''}`),
    slo: raw.slo,
    verdict: loadVerdict(raw),
    raw,
  };
}

function sloActual(v: SloVerdict): string {
  const clause = parseSlo(v.clause)[0];
  return clause ? formatActual(clause, v.actual) : String(v.actual);
}
