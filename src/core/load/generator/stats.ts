/**
 * What a run measured: latencies in microseconds (recorded per endpoint for the current second, added each second
 * to per-endpoint totals and to one recorder of that second), the service time beside them (one run total), and
 * counts by error kind. The recorders become HDR histograms (hdr-histogram-js) for the run's result.
 */
import type { Histogram } from 'hdr-histogram-js';
// The plain-JS histogram alone: the package's index also loads its WebAssembly build and log codecs (startup time).
import Int32Histogram from 'hdr-histogram-js/dist/Int32Histogram';
import type { ErrorKind, LatencyPercentiles } from '../types';
import { Recorder } from './recorder';

export type { Histogram };

/** The longest latency kept apart (an hour, µs); longer ones count as this. */
const HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  const h = new Int32Histogram(1, 2, 3);
  h.autoResize = true;
  return h;
}

export function percentiles(h: Histogram): LatencyPercentiles {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, 'p99.9': 0, max: 0, mean: 0, min: 0 };
  // A percentile reads as the top of its HDR bucket: never above the largest value recorded.
  const max = h.maxValue;
  const at = (p: number): number => Math.min(max, h.getValueAtPercentile(p));
  return {
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    'p99.9': at(99.9),
    max,
    mean: Math.round(h.mean),
    min: h.minNonZeroValue,
  };
}

export const ERROR_KINDS: readonly ErrorKind[] = ['4xx', '5xx', 'timeout', 'reset', 'refused', 'other'];
const KIND_INDEX: Record<ErrorKind, number> = { '4xx': 0, '5xx': 1, timeout: 2, reset: 3, refused: 4, other: 5 };

export function byKind(counts: ArrayLike<number>): Partial<Record<ErrorKind, number>> {
  const out: Partial<Record<ErrorKind, number>> = {};
  for (let i = 0; i < ERROR_KINDS.length; i++) if (counts[i] > 0) out[ERROR_KINDS[i]] = counts[i];
  return out;
}

/**
 * One second's figures, taken out of the live counters. `recorder` holds that second's latencies until the next
 * `foldSecond` (windows add it to theirs right away).
 */
export interface SecondFigures {
  sent: number;
  completed: number;
  errors: number;
  errorCounts: Float64Array;
  latency: LatencyPercentiles;
  recorder: Recorder;
}

export class RunStats {
  /** Per endpoint: this second's latencies (from the intended send time), and the whole run's. */
  private readonly _second: Recorder[];
  readonly endpointTotals: Recorder[];
  /** The whole run's service times: from the actual write to the response, what wrk and autocannon report. */
  readonly serviceTotal = new Recorder();
  private readonly _secondAll = new Recorder();
  readonly endpointRequests: Float64Array;
  readonly endpointErrors: Float64Array;
  sent = 0;
  completed = 0;
  readonly errorCounts = new Float64Array(ERROR_KINDS.length);
  private _secSent = 0;
  private _secCompleted = 0;
  private readonly _secErrors = new Float64Array(ERROR_KINDS.length);

  constructor(endpoints: number) {
    this._second = Array.from({ length: endpoints }, () => new Recorder());
    this.endpointTotals = Array.from({ length: endpoints }, () => new Recorder());
    this.endpointRequests = new Float64Array(endpoints);
    this.endpointErrors = new Float64Array(endpoints);
  }

  onSent(): void {
    this.sent++;
    this._secSent++;
  }

  /**
   * A response arrived `us` after its intended start and `serviceUs` after it was written (both integers);
   * 4xx/5xx also count as errors.
   */
  onResponse(entry: number, us: number, serviceUs: number, status: number): void {
    this._second[entry].record(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
    this.serviceTotal.record(serviceUs < 1 ? 1 : serviceUs > HIGHEST_US ? HIGHEST_US : serviceUs);
    this.completed++;
    this._secCompleted++;
    this.endpointRequests[entry]++;
    if (status >= 400) this.onError(entry, status >= 500 ? '5xx' : '4xx');
  }

  /** An error; transport errors (no response) also count as a request of the endpoint. */
  onError(entry: number, kind: ErrorKind): void {
    const k = KIND_INDEX[kind];
    this.errorCounts[k]++;
    this._secErrors[k]++;
    this.endpointErrors[entry]++;
    if (k > 1) this.endpointRequests[entry]++;
  }

  /** Closes the current second: returns its figures and starts the next. */
  foldSecond(): SecondFigures {
    const all = this._secondAll;
    all.clear();
    for (let i = 0; i < this._second.length; i++) {
      const r = this._second[i];
      if (r.empty) continue;
      all.add(r);
      this.endpointTotals[i].add(r);
      r.clear();
    }
    const errorCounts = Float64Array.from(this._secErrors);
    const figures: SecondFigures = {
      sent: this._secSent,
      completed: this._secCompleted,
      errors: errorCounts.reduce((s, x) => s + x, 0),
      errorCounts,
      latency: all.percentiles(),
      recorder: all,
    };
    this._secSent = 0;
    this._secCompleted = 0;
    this._secErrors.fill(0);
    return figures;
  }

  get errors(): number {
    return this.errorCounts.reduce((s, x) => s + x, 0);
  }
}

/**
 * The figures of several recorders together, read from the flat recorders themselves: the same as an HDR histogram
 * of their values gives (test/unit/load-recorder.test.ts), without building one (hdr-histogram-js's percentiles and
 * mean iterate, tens of ms per run's result).
 */
export function percentilesOf(recorders: readonly Recorder[]): LatencyPercentiles {
  if (recorders.length === 1) return recorders[0].percentiles();
  const all = new Recorder();
  for (const r of recorders) all.add(r);
  return all.percentiles();
}

/** A recorder's values as an HDR histogram (hdr-histogram-js's own, for checking the recorder against). */
export function histogramOf(...recorders: Recorder[]): Histogram {
  const h = newHistogram();
  for (const r of recorders) r.foldInto(h);
  return h;
}
