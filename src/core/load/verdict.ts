/** What a load run comes to; shared by the CLI's report and exit code, the editor's notification and panel. */
import type { LoadResult, LoadVerdict } from './types';


/**
 * What a run comes to. A stress run is meant to break the SLO: finding the level where it breaks, above a first step
 * that met it, is its answer, not a failure. A cancel or a dead target is never a pass.
 */
export function loadVerdict(r: LoadResult): LoadVerdict {
  if (r.stopped === 'cancelled' || r.stopped?.includes('refused')) return r.passed ? 'incomplete' : 'failed';
  if (r.passed) return 'passed';
  const b = r.breakingPoint;
  return r.spec.profile.kind === 'stress' && b && b.lastGoodLevel > 0 ? 'breaking-point' : 'failed';
}

/** A stress run's answer in words: "level 300 (298.0 req/s) met the SLO; 400 broke it". */
export function breakingPointText(r: LoadResult): string | undefined {
  const b = r.breakingPoint;
  if (!b || b.lastGoodLevel <= 0) return undefined;
  return `breaking point: level ${Math.round(b.lastGoodLevel * 100) / 100} (${b.lastGoodRps.toFixed(1)} req/s) met the SLO${b.brokeAtLevel === null ? '' : `; ${Math.round(b.brokeAtLevel * 100) / 100} broke it`}`;
}
