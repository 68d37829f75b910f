/**
 * Service level objectives for load runs: "p99<200ms,errors<1%,rps>=100" → clauses, and whether measured figures
 * meet them.
 */
import { InputError } from '../errors';
import type { LatencyPercentiles, SloClause } from './types';

const CLAUSE = /^(p50|p90|p95|p99\.9|p99|max|mean|errors|rps)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s|%)?$/;
const FORM = 'METRIC OP VALUE, e.g. "p99<200ms", "errors<1%", "rps>=100" (metrics p50 p90 p95 p99 p99.9 max mean errors rps; units us ms s, %)';
const US_PER: Record<string, number> = { us: 1, µs: 1, ms: 1000, s: 1_000_000 };

export function parseSlo(text: string): SloClause[] {
  const clauses: SloClause[] = [];
  for (const raw of text.split(',')) {
    const clause = raw.trim();
    if (!clause) continue;
    const m = CLAUSE.exec(clause);
    if (!m) throw new InputError(`SLO clause "${clause}" is not understood: write ${FORM}`);
    const [, metric, op, num, unit] = m;
    let value = Number(num);
    if (metric === 'errors') {
      if (unit && unit !== '%') throw new InputError(`SLO clause "${clause}": errors take a percentage ("errors<1%") or a fraction ("errors<0.01")`);
      if (unit === '%') value /= 100;
      if (value > 1) throw new InputError(`SLO clause "${clause}": an error rate is at most 100% (write "errors<1%")`);
    } else if (metric === 'rps') {
      if (unit) throw new InputError(`SLO clause "${clause}": rps takes a plain number of requests per second ("rps>=100")`);
    } else {
      if (!unit || unit === '%') throw new InputError(`SLO clause "${clause}": a latency needs a unit us, ms or s ("${metric}${op}200ms")`);
      value *= US_PER[unit];
    }
    clauses.push({ text: clause, metric: metric as SloClause['metric'], op: op as SloClause['op'], value });
  }
  return clauses;
}

/** What a clause is measured against: the whole run or one window of it. */
export interface SloFigures {
  latency: LatencyPercentiles;
  /** errors / (completed + transport errors), 0 when nothing was sent. */
  errorRate: number;
  rps: number;
}

export function measure(clause: SloClause, f: SloFigures): number {
  if (clause.metric === 'errors') return f.errorRate;
  if (clause.metric === 'rps') return f.rps;
  return f.latency[clause.metric];
}

export function holds(clause: SloClause, actual: number): boolean {
  switch (clause.op) {
    case '<': return actual < clause.value;
    case '<=': return actual <= clause.value;
    case '>': return actual > clause.value;
    case '>=': return actual >= clause.value;
  }
}

/** A one-line account of a measured figure in the clause's own units ("p99 312ms", "errors 4.2%"). */
export function formatActual(clause: SloClause, actual: number): string {
  if (clause.metric === 'errors') return `errors ${(actual * 100).toFixed(2)}%`;
  if (clause.metric === 'rps') return `rps ${actual.toFixed(1)}`;
  return `${clause.metric} ${actual >= 1000 ? `${(actual / 1000).toFixed(1)}ms` : `${actual}us`}`;
}
