/** The production-readiness suite (.chaos/suite.yaml) and what `chaos-testing ci` makes of it. */
import type { AuditResult, Framework } from '../compliance/types';
import type { RunnerLanguage } from '../generate/runners';
import type { LoadPlanInput } from '../load/plan';

export const CHECK_KINDS = ['tests', 'properties', 'chaos', 'load', 'audit'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** Where a check was declared in the suite file: reports point there. */
export interface SuitePlace {
  line: number;
  column: number;
}

export interface TestsCheckSpec {
  kind: 'tests';
  name: string;
  place: SuitePlace;
  language?: RunnerLanguage;
  dir?: string;
  command?: string;
  timeoutMs: number;
}

export interface ChaosCheckSpec {
  kind: 'chaos';
  name: string;
  place: SuitePlace;
  file: string;
  maxRecoveryTimeMs?: number;
  maxErrorRate?: number;
}

export interface PropertiesCheckSpec {
  kind: 'properties';
  name: string;
  place: SuitePlace;
  runs: number;
  seed?: number;
  maxSteps: number;
  checks: string[];
  /** As `--invariant` takes them: NAME or NAME=VALUE (VALUE inline JSON for options). */
  invariants: string[];
  invariantsDir: string;
  timeoutMs: number;
}

export interface LoadCheckSpec {
  kind: 'load';
  name: string;
  place: SuitePlace;
  input: LoadPlanInput;
}

export interface AuditCheckSpec {
  kind: 'audit';
  name: string;
  place: SuitePlace;
  frameworks: Framework[];
  failOn: 'high' | 'medium' | 'low' | 'none';
  workspace: string | null;
}

export type CheckSpec = TestsCheckSpec | ChaosCheckSpec | PropertiesCheckSpec | LoadCheckSpec | AuditCheckSpec;

export interface Suite {
  file: string;
  name: string;
  target: string;
  traffic: string;
  checks: CheckSpec[];
}

/** The part of an engine's result the reports draw. */
export interface CheckCharts {
  /** Load: one point per second. Latencies in ms. */
  latency?: Array<{ second: number; p50: number; p99: number; rps: number; errors: number }>;
  /** Chaos: every probe, ms since the start; the phases; the recovery time. */
  recovery?: {
    samples: Array<{ at: number; latencyMs: number; ok: boolean }>;
    phases: Array<{ phase: string; from: number; to: number }>;
    recoveryTimeMs: number | null;
  };
  /** Audit: controls per framework. */
  coverage?: Array<{ framework: string; compliant: number; failing: number; notAssessed: number }>;
}

export interface CheckOutcome {
  kind: CheckKind;
  name: string;
  status: 'passed' | 'failed' | 'error' | 'skipped';
  /** The measured figure, one line: "recovered in 812 ms (≤ 5000 ms)", "p99 12 ms, 0.0 % errors". */
  figure: string;
  /** What broke, one line each (empty when passed). */
  failures: string[];
  startedAt: number;
  durationMs: number;
  place: SuitePlace;
  /** Where the engine's own result is: "stored as run 12 in .chaos/traffic.db", a result file. */
  run?: string;
  charts?: CheckCharts;
}

export interface ReadinessResult {
  version: 1;
  kind: 'readiness';
  suite: string;
  name: string;
  target: string;
  passed: boolean;
  aborted: boolean;
  startedAt: number;
  finishedAt: number;
  checks: CheckOutcome[];
  /** The audit's full result, for SARIF. */
  audit?: AuditResult;
}

export interface ReadinessProgress {
  index: number;
  total: number;
  check: { kind: CheckKind; name: string };
  phase: 'start' | 'end' | 'log';
  outcome?: CheckOutcome;
  line?: string;
}

