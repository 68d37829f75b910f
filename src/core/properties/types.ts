/**
 * Property-based and stateful API testing: the contract. Commands built from the behaviour model send random but
 * plausible request sequences (fast-check's `fc.commands` + `fc.asyncModelRun`); checks judge every response;
 * invariants judge the run as a whole. A failure is shrunk to a minimal sequence, replayable from seed + path.
 * The result is plain JSON: printed by `chaos-testing properties --json` and stored in the runs table (kind
 * 'properties').
 */
import type { JsonTemplate, TemplateString } from '../learn/model';

/** Schemathesis's check names, so users recognise them. */
export const CHECK_NAMES = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'use_after_free',
  'ensure_resource_availability',
  'ignored_auth',
  'negative_data_rejection',
  'max_response_time',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export type RegressionLanguage = 'python' | 'go' | 'rust' | 'typescript' | 'java';

export interface PropertiesProgress {
  /** Test cases (request sequences) run so far, all rounds together. */
  runs: number;
  /** Requests sent so far. */
  requests: number;
  violations: number;
  /** 'searching' while generating cases, 'shrinking' while minimising a failure. */
  phase: 'searching' | 'shrinking' | 'invariants';
}

export interface PropertiesOptions {
  /** The traffic database the behaviour model is learned from. */
  database: string;
  /** Base URL of the backend under test, e.g. http://127.0.0.1:9000 */
  target: string;
  sessionId?: number;
  /** Test cases to run (default 100); 0 runs the invariants alone (no traffic database needed). */
  runs: number;
  /** fast-check seed; random when absent (always reported, so a run can be replayed). */
  seed?: number;
  /** fast-check replay path of a reported violation (with its seed): runs exactly that case. */
  path?: string;
  /** Checks to run (default: all). */
  checks?: CheckName[];
  /** Invariants to run after the commands (default: none): NAME, NAME=ARG, or a user invariant in `invariantsDir`. */
  invariants?: string[];
  /** Invariant objects given in code (the library's StateInvariant.custom), run after the named ones. */
  customInvariants?: Invariant[];
  /** Where user invariants live (default .chaos/invariants in the working directory). */
  invariantsDir?: string;
  /** Most requests in one sequence. */
  maxSteps: number;
  /** Per request. */
  timeoutMs: number;
  /** max_response_time's bound; default: generous, from the model's latency. */
  maxResponseTimeMs?: number;
  /** Language of the regression tests written for violations (default: none written). */
  language?: RegressionLanguage;
  /** Its test framework when the language has several (typescript: vitest or node). */
  framework?: string;
  /** Project folder the regression tests go into (default: the working directory). */
  outDir?: string;
  /** Where CHAOS_SECRET_* values come from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Store the result in the database's runs table (default true). */
  store?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: PropertiesProgress) => void;
}

/** One request of a sequence, as a person reads it. */
export interface Step {
  /** "POST /api/items/{itemId}": the model's endpoint. */
  endpoint: string;
  method: string;
  /** Path and query as sent. */
  path: string;
  /** Request headers as sent, secrets shown as their CHAOS_SECRET_* name. */
  headers: Array<[string, string]>;
  body?: unknown;
  /** null when the request failed (connection refused, reset, timed out). */
  status: number | null;
  error?: string;
  latencyMs: number;
  /** What the command did to the request: 'credentials removed', 'invalid body: /price wrong type'. */
  variant?: string;
  /** What a step that is not an HTTP request found (a fault armed, a SQL or Redis read): printed instead of a status. */
  outcome?: string;
}

export interface RegressionTest {
  language: RegressionLanguage;
  framework: string;
  /** Where it was written, or null when it was only rendered. */
  file: string | null;
  code: string;
}

export interface Violation {
  /** A check name, or an invariant's name. */
  check: CheckName | string;
  kind: 'check' | 'invariant';
  endpoint: string | null;
  /** One line: "GET /api/items/{itemId} returned 200 after the item was deleted (expected 404 or 410)". */
  message: string;
  /** The shrunk failing request sequence; its last step is the failing one. */
  minimalExample: Step[];
  seed: number;
  /** fast-check replay path; with `seed` and this check alone, re-runs exactly this case. */
  path: string | null;
  /** The command that replays this case. */
  replay: string;
  regressionTest?: RegressionTest;
}

export interface CheckCount {
  /** Responses judged by the check. */
  checked: number;
  failed: number;
}

export interface InvariantOutcome {
  name: string;
  passed: boolean;
  /** What was measured, one line: "p99 12 ms ≤ 2000 ms over 812 requests". */
  summary: string;
  /** Stateful invariants: trials run (shrinking included), and the time from the first failure to the minimal case. */
  trials?: number;
  shrinkMs?: number;
}

export interface PropertiesResult {
  version: 1;
  kind: 'properties';
  database: string;
  target: string;
  passed: boolean;
  /** Test cases run (all rounds); each is one request sequence. Fewer than asked when interrupted. */
  runs: number;
  /** --runs as asked (per round). */
  runsRequested: number;
  requests: number;
  /** The seed of the first round (later rounds, after a violation, use seed + round). */
  seed: number;
  /** The replay path given with --path, if any. */
  path?: string;
  checks: Record<string, CheckCount>;
  invariants: InvariantOutcome[];
  violations: Violation[];
  /** What we can see from outside: distinct endpoint × status pairs hit, and server coverage when supplied. */
  codePathsExercised: {
    endpointStatusPairs: string[];
    distinct: number;
    /** Endpoint × status pairs the model knows that the run never hit. */
    notHit: string[];
    serverCoverage?: unknown;
  };
  timing: { totalMs: number; shrinkMs: number; perRunMs: number };
  startedAt: number;
  finishedAt: number;
  aborted: boolean;
  notes: string[];
}

/** A request an invariant sends; `json` of the answer is the parsed body when it is JSON. */
export interface InvariantRequest {
  method: string;
  path: string;
  headers?: Array<[string, string]>;
  body?: unknown;
}

/** What an invariant is given: every exchange the run made, a way to send more, and the run's options. */
export interface InvariantContext {
  target: URL;
  steps: readonly Step[];
  options: PropertiesOptions;
  send(request: InvariantRequest): Promise<Step & { json?: unknown }>;
  signal?: AbortSignal;
  /** The seed its own fast-check runs use (the run's seed), and the replay path when replaying one case. */
  seed: number;
  path?: string;
}

/**
 * A violation's minimal case as plain HTTP from a fresh start, for its regression test: `{ variable }` parts of the
 * path and `{ $var }` leaves of the body are values captured by earlier steps; `values` are what the last step must
 * serve (JSON pointer → value).
 */
export interface HttpExampleStep {
  method: string;
  path: TemplateString;
  headers: Array<[string, string]>;
  body?: JsonTemplate;
  status: number;
  /** 'application/json' when the answer was JSON (captures and values need it), else null. */
  contentType: string | null;
  captures: Array<{ variable: string; from: string }>;
  values: Array<{ pointer: string; value: string | number | boolean | null }>;
}

/** An invariant's violation; stateful ones give the seed and fast-check path that replay their minimal case. */
export type InvariantViolation = Omit<Violation, 'seed' | 'path' | 'replay'> & { seed?: number; path?: string | null; httpExample?: HttpExampleStep[] };

/**
 * A property of the system as a whole, judged after (or alongside) the commands. Built-in ones need only HTTP;
 * later ones drive fault proxies, PostgreSQL or Redis themselves. The result has the same shape as a check's.
 */
export interface Invariant {
  name: string;
  description: string;
  /** It judges the run's own requests (latency, error rate): its case replays with the whole run, not --runs 0. */
  judgesRun?: boolean;
  run(ctx: InvariantContext): Promise<{ outcome: InvariantOutcome; violations: InvariantViolation[] }>;
}
