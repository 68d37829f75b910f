/**
 * A load run: checks the target, prepares the mix, drives the generator through the profile, and turns one-second
 * ticks into the result (throughput, latency, errors by kind, SLO verdicts, stress's breaking point, soak's drift).
 * Every run ends by its duration, its request bound, a cancel, or (stress) the step where the SLO broke.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { InputError } from '../errors';
import { LoadEngine } from './generator/engine';
import { PreparedMix } from './generator/requests';
import { byKind, percentilesOf, RunStats, type SecondFigures } from './generator/stats';
import { levelAt, stressStepAt } from './profiles';
import { checkTarget } from './safety';
import { formatActual, holds, measure, parseSlo } from './slo';
import { loadVerdict } from './verdict';
import type { LoadHooks, LoadResult, LoadSpec, LoadTick, RequestMix, SloClause, SloVerdict } from './types';
import { Window } from './windows';
import { nowMs } from './generator/clock';
import { setLongTimeout } from '../timers';

/** SLO windows (seconds) for `brokeAt`, outside stress (whose windows are its steps). */
const SLO_WINDOW_SECONDS = 5;
/** What stress holds each step to when the spec has no SLO. */
const STRESS_DEFAULT_SLO = 'p99<1s,errors<1%';

/** The mix for a run without traffic: a GET of the target's own path. */
export function singleRequestMix(target: string): RequestMix {
  const url = new URL(target);
  const pathAndQuery = `${url.pathname || '/'}${url.search}`;
  return {
    entries: [{ endpoint: `GET ${url.pathname || '/'}`, method: 'GET', pathAndQuery, headers: [], body: null, weight: 1, write: false }],
    source: `GET ${pathAndQuery}`,
    skipped: {},
  };
}

/**
 * The mix with reads weighing `readShare` in all and writes the rest, each side keeping its own proportions
 * (--read-write 0.8:0.2). Applying it twice gives the same mix.
 */
export function withReadShare(mix: RequestMix, readShare: number): RequestMix {
  if (!(readShare >= 0 && readShare <= 1)) throw new InputError(`the read share must be between 0 and 1 (got ${readShare}): write --read-write 0.8:0.2`);
  const sum = (write: boolean): number => mix.entries.reduce((s, e) => s + (e.write === write ? Math.max(0, e.weight) : 0), 0);
  const reads = sum(false);
  const writes = sum(true);
  if (reads === 0 || writes === 0) return mix;
  return {
    ...mix,
    entries: mix.entries.map((e) => ({ ...e, weight: (Math.max(0, e.weight) / (e.write ? writes : reads)) * (e.write ? 1 - readShare : readShare) })),
  };
}

export async function runLoad(spec: LoadSpec, mix: RequestMix, hooks: LoadHooks = {}): Promise<LoadResult> {
  const url = checkTarget(spec.target, spec.allowRemote);
  if (mix.entries.length === 0) throw new InputError(`the request mix (${mix.source}) has no requests to send`);
  if (!(spec.durationMs > 0) || !(spec.maxRequests > 0)) throw new InputError('a load run needs a duration and a request bound above 0');
  const tls = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (spec.model.kind === 'closed' ? !(spec.model.connections >= 1) : !(spec.model.rate > 0) || !(spec.model.maxConnections >= 1)) {
    throw new InputError('a load run needs at least 1 connection (--connections) or a rate above 0 with at least 1 connection (--rate)');
  }
  if (!(spec.timeoutMs > 0)) throw new InputError(`the request timeout must be above 0 ms (got ${spec.timeoutMs})`);
  const prepared = new PreparedMix(spec.readShare === undefined ? mix : withReadShare(mix, spec.readShare), url.host);
  const stats = new RunStats(mix.entries.length);
  const startedAt = Date.now();
  const t0 = nowMs();
  const profile = spec.profile;
  const stress = profile.kind === 'stress' && profile.step ? new StressTracker(spec.slo.length ? spec.slo : parseSlo(STRESS_DEFAULT_SLO)) : null;
  const slo = new SloTracker(spec.slo);
  const drift = profile.kind === 'soak' ? new DriftTracker(spec.durationMs) : null;
  const timeline: LoadTick[] = [];
  let stopped: string | undefined;

  const engine = new LoadEngine({
    endpoint: { host, port: Number(url.port) || (tls ? 443 : 80), tls, insecure: spec.insecure, servername: tls && !net.isIP(host) ? host : undefined },
    mix: prepared,
    stats,
    model: spec.model,
    timeoutMs: spec.timeoutMs,
    maxRequests: spec.maxRequests,
    // Nothing is due after the end: a stop timer that fires late (a busy machine) must not let the open model catch up
    // arrivals intended past the run's duration.
    levelAt: (ms) => (ms < spec.durationMs ? levelAt(profile, ms) : 0),
    onBoundReached: () => void finish('request bound reached'),
    onCannotConnect: (reason) => void finish(reason, true),
  });

  let finished: (r: LoadResult) => void = () => undefined;
  const done = new Promise<LoadResult>((resolve) => (finished = resolve));
  let ending = false;
  let second = 0;
  let lastTickAt = t0;
  let endedAt = t0;

  const tick = (final: boolean): void => {
    const now = nowMs();
    const f = stats.foldSecond();
    const span = final ? (now - lastTickAt) / 1000 : 1;
    const spanStart = lastTickAt;
    lastTickAt = now;
    if (final && span < 0.05 && f.sent === 0 && f.completed === 0 && f.errors === 0) return;
    second++;
    // The last, partial second is mostly the drain after the end: it keeps the level of the second before it.
    const previous = timeline.at(-1);
    const level = final && previous && endedAt - spanStart < 500
      ? previous.level
      : levelAt(profile, Math.min(spec.durationMs, final ? (spanStart + endedAt) / 2 - t0 : (second - 0.5) * 1000));
    const t: LoadTick = {
      second,
      level: Math.round(level * 100) / 100,
      sent: f.sent,
      completed: f.completed,
      rps: Math.round((f.completed / Math.max(span, 0.001)) * 10) / 10,
      errors: f.errors,
      errorsByKind: byKind(f.errorCounts),
      latency: f.latency,
    };
    if (spec.targetPid) {
      const rss = rssBytes(spec.targetPid);
      if (rss !== undefined) t.targetRssBytes = rss;
    }
    timeline.push(t);
    slo.add(second, f, span, final);
    drift?.add(second, f, span, t.targetRssBytes);
    if (stress && stress.add(profile, second, f, span, final) && !final) void finish(stress.stopReason());
    try {
      hooks.onTick?.(t);
    } catch {
      // A listener that throws (a closed panel) must not end the run: the ticks are in the result too.
    }
  };

  let tickTimer: NodeJS.Timeout | null = null;
  const scheduleTick = (): void => {
    const due = t0 + (second + 1) * 1000;
    // The last second is the final tick's, drain included: a tick of the drain alone would show a false dip in RPS.
    if (due > t0 + spec.durationMs - 50) return;
    tickTimer = setTimeout(() => {
      tick(false);
      if (!ending) scheduleTick();
    }, Math.max(0, due - nowMs()));
  };
  const durationTimer = setLongTimeout(() => void finish(undefined), spec.durationMs);
  const onAbort = (): void => void finish('cancelled', true);

  async function finish(reason: string | undefined, immediately = false): Promise<void> {
    if (ending) {
      // A cancel while the run drains its last requests: close the sockets now.
      if (reason === 'cancelled') {
        stopped = reason;
        engine.destroy();
      }
      return;
    }
    ending = true;
    endedAt = nowMs();
    stopped = reason;
    durationTimer.clear();
    if (!immediately) await engine.stopSending(Math.min(spec.timeoutMs, 2000));
    hooks.signal?.removeEventListener('abort', onAbort);
    // Unanswered by the end of the grace (a hung target): timeouts, each once. A cancelled run counts none.
    if (reason !== 'cancelled') engine.abandonInFlight();
    engine.destroy();
    if (tickTimer) clearTimeout(tickTimer);
    tick(true);
    finished(result());
  }

  const result = (): LoadResult => {
    // Throughput over the time requests were being sent (the drain after the end adds answers, not time).
    const elapsed = (endedAt - t0) / 1000;
    const transport = stats.errors - stats.errorCounts[0] - stats.errorCounts[1];
    const attempts = stats.completed + transport;
    const figures = { latency: percentilesOf(stats.endpointTotals), errorRate: attempts ? stats.errors / attempts : 0, rps: stats.completed / Math.max(elapsed, 0.001) };
    const verdicts = slo.verdicts(figures, stats.completed);
    const r: LoadResult = {
      kind: 'load',
      spec,
      mixSource: mix.source,
      startedAt,
      finishedAt: Date.now(),
      totals: { sent: stats.sent, completed: stats.completed, errors: stats.errors, errorsByKind: byKind(stats.errorCounts), bytesRead: engine.bytesRead, ...(engine.unsent ? { unsent: engine.unsent } : {}) },
      rps: Math.round(figures.rps * 10) / 10,
      latency: figures.latency,
      serviceTime: stats.serviceTotal.percentiles(),
      endpoints: endpointResults(mix, stats),
      timeline,
      slo: verdicts,
      passed: verdicts.every((v) => v.passed),
    };
    if (stopped) r.stopped = stopped;
    if (stress) r.breakingPoint = stress.breakingPoint();
    if (drift) r.drift = drift.result();
    r.verdict = loadVerdict(r);
    return r;
  };

  if (hooks.signal?.aborted) {
    void finish('cancelled', true);
    return done;
  }
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  engine.start(t0);
  scheduleTick();
  return done;
}

function endpointResults(mix: RequestMix, stats: RunStats): LoadResult['endpoints'] {
  const byName = new Map<string, { requests: number; errors: number; entries: number[] }>();
  mix.entries.forEach((e, i) => {
    let r = byName.get(e.endpoint);
    if (!r) byName.set(e.endpoint, (r = { requests: 0, errors: 0, entries: [] }));
    r.requests += stats.endpointRequests[i];
    r.errors += stats.endpointErrors[i];
    r.entries.push(i);
  });
  return [...byName].map(([endpoint, r]) => ({ endpoint, requests: r.requests, errors: r.errors, latency: percentilesOf(r.entries.map((i) => stats.endpointTotals[i])) }));
}

function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** SLO clauses per fixed window: the first window where each broke. */
class SloTracker {
  private _window = new Window();
  private readonly _brokeAt = new Map<SloClause, NonNullable<SloVerdict['brokeAt']>>();
  constructor(private readonly _clauses: SloClause[]) {}

  add(second: number, f: SecondFigures, span: number, final: boolean): void {
    if (!this._clauses.length) return;
    this._window.add(second, f, span);
    if (this._window.seconds >= SLO_WINDOW_SECONDS - 1e-9 || (final && this._window.seconds >= 0.5)) this._close();
  }

  /** `completed`: responses over the run; a latency clause measured over none does not hold (nothing answered). */
  verdicts(run: ReturnType<Window['figures']>, completed: number): SloVerdict[] {
    return this._clauses.map((c) => {
      const actual = measure(c, run);
      const unmeasured = completed === 0 && c.metric !== 'errors' && c.metric !== 'rps';
      const v: SloVerdict = { clause: c.text, passed: !unmeasured && holds(c, actual) && !this._brokeAt.has(c), actual };
      const at = this._brokeAt.get(c);
      if (at) v.brokeAt = at;
      return v;
    });
  }

  private _close(): void {
    const w = this._window;
    const f = w.figures();
    for (const c of this._clauses) {
      const actual = measure(c, f);
      if (!this._brokeAt.has(c) && !holds(c, actual)) this._brokeAt.set(c, { fromSecond: w.fromSecond, toSecond: w.toSecond, actual });
    }
    this._window = new Window();
  }
}

/** stress: each step's window against the SLO; the highest step that met every clause, and the first that did not. */
class StressTracker {
  private _step = -1;
  private _judged = -1;
  private _level = 0;
  private _window = new Window();
  private _lastGood: { level: number; rps: number } | null = null;
  private _broke: { level: number; reason: string } | null = null;
  constructor(private readonly _clauses: SloClause[]) {}

  /** Adds a second; returns true when a step broke the SLO (the run should stop). */
  add(profile: LoadSpec['profile'], second: number, f: SecondFigures, span: number, final: boolean): boolean {
    const step = stressStepAt(profile, (second - 0.5) * 1000);
    if (!step) return false;
    if (step.index !== this._step) {
      this._step = step.index;
      this._level = step.level;
      this._window = new Window();
    }
    this._window.add(second, f, span);
    // A step is judged on its last second (or when the run ends inside it), before the next step's level is seen.
    return final || second * 1000 >= step.endMs ? this._judge() : false;
  }

  stopReason(): string {
    return `the SLO broke at level ${this._broke?.level} (${this._broke?.reason}): stress stopped stepping`;
  }

  breakingPoint(): LoadResult['breakingPoint'] {
    return {
      lastGoodLevel: this._lastGood?.level ?? 0,
      lastGoodRps: Math.round((this._lastGood?.rps ?? 0) * 10) / 10,
      brokeAtLevel: this._broke?.level ?? null,
      reason: this._broke
        ? `level ${this._broke.level} broke ${this._broke.reason}`
        : `no step broke ${this._clauses.map((c) => c.text).join(',')} up to level ${this._lastGood?.level ?? this._level}`,
    };
  }

  private _judge(): boolean {
    if (this._broke || this._window.empty || this._judged === this._step) return this._broke !== null;
    this._judged = this._step;
    const f = this._window.figures();
    const broken = this._clauses.filter((c) => !holds(c, measure(c, f)));
    if (broken.length) {
      this._broke = { level: this._level, reason: broken.map((c) => `${c.text} (${formatActual(c, measure(c, f))})`).join(', ') };
      return true;
    }
    if (!this._lastGood || this._level >= this._lastGood.level) this._lastGood = { level: this._level, rps: f.rps };
    return false;
  }
}

/** soak: the first third of the run against the last (p99, error rate, the target's RSS). */
class DriftTracker {
  private readonly _first = new Window();
  private readonly _last = new Window();
  private _rssStart: number | undefined;
  private _rssEnd: number | undefined;
  constructor(private readonly _durationMs: number) {}

  add(second: number, f: SecondFigures, span: number, rss: number | undefined): void {
    const mid = (second - 0.5) * 1000;
    if (mid < this._durationMs / 3) this._first.add(second, f, span);
    else if (mid >= (2 * this._durationMs) / 3) this._last.add(second, f, span);
    if (rss !== undefined) {
      this._rssStart ??= rss;
      this._rssEnd = rss;
    }
  }

  result(): NonNullable<LoadResult['drift']> {
    const a = this._first.figures();
    const b = this._last.figures();
    const d: NonNullable<LoadResult['drift']> = { p99Start: a.latency.p99, p99End: b.latency.p99, errorRateStart: a.errorRate, errorRateEnd: b.errorRate };
    if (this._rssStart !== undefined) d.rssStartBytes = this._rssStart;
    if (this._rssEnd !== undefined) d.rssEndBytes = this._rssEnd;
    return d;
  }
}
