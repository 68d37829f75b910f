import type { CompareRow, LoadComparison } from '../../core/load/compare';
import type { LoadResult, LoadTick } from '../../core/load/types';

/** A run as the panel titles it. */
export interface LoadRunInfo {
  name: string;
  target: string;
  /** The planned length, when known (a quick run's duration, a spec's `duration`). */
  durationMs?: number;
}

/** A result with where it came from, for the comparison ("run 12 in traffic.db", "load-….json"). */
export interface LabeledLoadResult {
  label: string;
  result: LoadResult;
}

/** Where runs are shown; the extension opens the webview panels, fast tests record the calls. */
export interface LoadView {
  /** A run starts: the live panel clears and waits for ticks. */
  start(run: LoadRunInfo): void;
  tick(tick: LoadTick): void;
  /** The run's result (partial after a cancel); `source` says where it was stored or read from. */
  result(result: LoadResult, source?: string): void;
  compare(a: LabeledLoadResult, b: LabeledLoadResult): void;
}

/** `load compare`'s comparison with each row judged, for the panel to colour. */
export interface LoadComparisonView extends Omit<LoadComparison, 'rows'> {
  rows: Array<CompareRow & { trend: 'better' | 'worse' | 'same' }>;
}

/** How messages name a run: a quick run is already called "load <target>"; a spec's name gets "load test". */
export function runTitle(name: string): string {
  return /^load\b/i.test(name) ? name : `load test ${name}`;
}
