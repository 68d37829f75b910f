import type { Toxic } from '../faults/toxics';

/**
 * The result of a chaos replay: plain JSON, printed by `chaos-testing replay --json`, stored in the `runs` table
 * (kind 'replay') and rendered by the CLI's text output from the same object.
 */

export type Verdict = 'matched' | 'diverged' | 'error';

export type Pacing = { mode: 'fast' } | { mode: 'rate'; perSecond: number } | { mode: 'as-recorded'; maxGapMs: number };

export interface ReplayedExchange {
  /** The captured exchange this replays. */
  exchangeId: number;
  /** "GET /api/users/{userId}" */
  endpoint: string;
  method: string;
  /** Path and query as sent (after re-binding). */
  path: string;
  recordedStatus: number;
  status: number | null;
  verdict: Verdict;
  /** Why it diverged, one line each: "status 200 → 404", "/name: 'Ada' → 'Ada King'", "schema: /email must be string". */
  reasons: string[];
  /** Why it failed (error verdict): "connection refused (ECONNREFUSED)". */
  error?: string;
  latencyMs: number;
  /** Values re-bound from earlier replayed responses: "path:3 4 → 7". */
  rebound: string[];
  /** Secrets filled from the environment, headers dropped, bodies that could not be compared. */
  notes: string[];
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface EndpointScore {
  endpoint: string;
  count: number;
  diverged: number;
  errors: number;
  /** (diverged + errors) / count */
  failureRate: number;
}

export interface ReplaySummary {
  /** Exchanges replayed (skipped ones not included). */
  total: number;
  matched: number;
  diverged: number;
  errors: number;
  /** Captured exchanges not replayed, by reason. */
  skipped: Record<string, number>;
  latency: LatencySummary;
  /** Endpoints with divergences or errors, worst first (at most 5). */
  worst: EndpointScore[];
  durationMs: number;
}

export interface ReplayResult {
  version: 1;
  kind: 'replay';
  database: string;
  sessionId: number | null;
  target: string;
  /** Where requests went: the target, or the local fault proxy in front of it. */
  sentTo: string;
  pacing: Pacing;
  /** The faults that were on (empty: none). */
  faults: Toxic[];
  startedAt: number;
  finishedAt: number;
  /** True when the run was stopped (Ctrl-C, cancel) before every exchange was replayed. */
  aborted: boolean;
  exchanges: ReplayedExchange[];
  summary: ReplaySummary;
  /** Run-wide notes: secrets that were not available, whether the run was stored. */
  notes: string[];
}

export interface ReplayProgress {
  done: number;
  total: number;
  matched: number;
  diverged: number;
  errors: number;
}
