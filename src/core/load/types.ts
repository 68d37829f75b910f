/**
 * The load engine's contract: what a load run is asked to do (a `LoadSpec`, from CLI flags or `.chaos/load/*.yaml`),
 * what it reports while it runs (one `LoadTick` a second) and what it returns (a `LoadResult`, plain JSON, stored in
 * the `runs` table as kind 'load' and rendered by the CLI, the editor's panel and `load compare`).
 *
 * Three modules meet here: the generator (src/core/load/generator/: sockets, pacing, histograms), the plan (what
 * requests to send: src/core/load/mix.ts from captured traffic; profiles and SLOs) and the faces (CLI verb `load`,
 * k6 export, the editor's task and panel). Durations are milliseconds; latencies are microseconds (µs) so results
 * keep the resolution autocannon lacks.
 */

/** How load is shaped over time. */
export type ProfileKind = 'constant' | 'ramp-up' | 'spike' | 'soak' | 'stress';

/**
 * Closed model: `connections` each send the next request when the previous answered (rate follows the target).
 * Open model: requests are scheduled at `rate` per second whatever the target does; latency is counted from the
 * intended send time (coordinated omission corrected), and a request that cannot be sent because every connection
 * is busy still counts its wait.
 */
export type LoadModel = { kind: 'closed'; connections: number } | { kind: 'open'; rate: number; maxConnections: number };

/**
 * One stage of a profile, k6's shape: over `durationMs` the level (connections for a closed model, requests per
 * second for an open one) moves linearly from the previous stage's target (or `from`) to `target`.
 */
export interface Stage {
  durationMs: number;
  target: number;
}

export interface Profile {
  kind: ProfileKind;
  /** The level at the start (before the first stage). */
  from: number;
  stages: Stage[];
  /** stress only: how the rate is stepped to find the breaking point. */
  step?: { every: number; byPercent?: number; by?: number; maxLevel: number };
}

/** One SLO clause: "p99<200ms" → { metric: 'p99', op: '<', value: 200000 (µs) }; "errors<1%" → { metric: 'errors', op: '<', value: 0.01 }. */
export interface SloClause {
  /** As written, for messages: "p99<200ms". */
  text: string;
  metric: 'p50' | 'p90' | 'p95' | 'p99' | 'p99.9' | 'max' | 'mean' | 'errors' | 'rps';
  op: '<' | '<=' | '>' | '>=';
  /** µs for latency metrics, a fraction (0..1) for errors, requests/s for rps. */
  value: number;
}

/**
 * One request the mix can send, pre-built as far as it can be (method, path, headers, body → one Buffer), with the
 * weight it is drawn with. `chain` names values taken from earlier responses of this run (a created id reused by
 * a later GET); those requests are built per send.
 */
export interface MixEntry {
  /** "GET /api/users/{userId}" */
  endpoint: string;
  method: string;
  pathAndQuery: string;
  headers: Array<[string, string]>;
  body: Buffer | null;
  weight: number;
  /** Whether it writes (POST/PUT/PATCH/DELETE): for --read-write. */
  write: boolean;
  /** Where chained values go in this request and which producer entry gives them (JSON pointer into its response). */
  chain?: Array<{ where: string; producer: number; pointer: string; recorded: string }>;
}

export interface RequestMix {
  entries: MixEntry[];
  /** Where the mix came from: "traffic .chaos/traffic.db (session 3, 412 exchanges, 9 endpoints)" or "GET /". */
  source: string;
  /** Why exchanges were left out, by reason. */
  skipped: Record<string, number>;
}

/** Everything a run needs; defaults already filled in. */
export interface LoadSpec {
  /** From a spec file: its `name`; from flags: "load <target>". */
  name: string;
  target: string;
  model: LoadModel;
  profile: Profile;
  /** Bound on the whole run, always set (profiles' stages add up to it). */
  durationMs: number;
  /** Bound on requests sent, always set. */
  maxRequests: number;
  /** Per-request timeout; a request past it counts as a 'timeout' error and its socket is replaced. */
  timeoutMs: number;
  slo: SloClause[];
  /** Read share for --read-write 0.8:0.2 (0.8), absent when the mix's own weights are used. */
  readShare?: number;
  /** Sample the target's RSS each second (soak drift). */
  targetPid?: number;
  allowRemote: boolean;
  insecure: boolean;
}

export type LoadVerdict = 'passed' | 'breaking-point' | 'failed' | 'incomplete';

export type ErrorKind = '4xx' | '5xx' | 'timeout' | 'reset' | 'refused' | 'other';

export interface LatencyPercentiles {
  /** All µs. */
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  'p99.9': number;
  max: number;
  mean: number;
  min: number;
}

/** One second of the run (what the editor's live chart plots; the CLI prints it as a status line). */
export interface LoadTick {
  /** Seconds since the run began (1, 2, …). */
  second: number;
  /** Connections (closed) or intended rate (open) during this second. */
  level: number;
  sent: number;
  completed: number;
  rps: number;
  errors: number;
  errorsByKind: Partial<Record<ErrorKind, number>>;
  latency: LatencyPercentiles;
  /** Target RSS in bytes when a pid was given. */
  targetRssBytes?: number;
}

export interface EndpointResult {
  endpoint: string;
  requests: number;
  errors: number;
  latency: LatencyPercentiles;
}

export interface SloVerdict {
  clause: string;
  passed: boolean;
  /** The value measured over the run (µs, fraction or rps). */
  actual: number;
  /** The first window (seconds since start) where the clause broke, when it did. */
  brokeAt?: { fromSecond: number; toSecond: number; actual: number };
}

export interface LoadResult {
  kind: 'load';
  spec: LoadSpec;
  mixSource: string;
  startedAt: number;
  finishedAt: number;
  /** Whether the run ended early, and why ("cancelled", "request bound reached", "target refused every connection"). */
  stopped?: string;
  /**
   * `unsent` (open model, when any): arrivals due at the end that were still waiting for a free connection (all
   * `maxConnections` busy), so never sent: k6's dropped iterations. Those that waited a whole timeout are errors.
   */
  totals: { sent: number; completed: number; errors: number; errorsByKind: Partial<Record<ErrorKind, number>>; bytesRead: number; unsent?: number };
  rps: number;
  /** From each request's intended send time (the open model's arrival; the write in the closed model). */
  latency: LatencyPercentiles;
  /**
   * From each request's actual write to its response, as wrk and autocannon measure: the open model's `latency`
   * without the wait for a connection or for the generator itself. Absent in results stored before it existed.
   */
  serviceTime?: LatencyPercentiles;
  endpoints: EndpointResult[];
  timeline: LoadTick[];
  slo: SloVerdict[];
  /** All clauses passed (true when there are none). */
  passed: boolean;
  /** What the run comes to (src/core/load/verdict.ts): a stress run that found its breaking point is 'breaking-point'. Absent in results stored before it existed. */
  verdict?: LoadVerdict;
  /** stress: the highest level whose window met every SLO clause, and the first that did not. */
  breakingPoint?: { lastGoodLevel: number; lastGoodRps: number; brokeAtLevel: number | null; reason: string };
  /** soak: first vs last third of the run. */
  drift?: { p99Start: number; p99End: number; errorRateStart: number; errorRateEnd: number; rssStartBytes?: number; rssEndBytes?: number };
  /** Where it was stored: "stored as run 12 in .chaos/traffic.db", or why not. */
  stored?: string;
}

export interface LoadHooks {
  signal?: AbortSignal;
  onTick?: (tick: LoadTick) => void;
}
