/**
 * The experiment file's shape (`.chaos/experiments/*.yaml`), after validation, and the result of a run. Chaos
 * Toolkit's shape (title, steady-state-hypothesis with probes and tolerances, method of actions, rollbacks) with two
 * additions of ours: `targets`, the only things actions may touch, each named; and `measure`, the probe load and
 * the phases that give recovery time, error rate and latency percentiles.
 *
 * Every duration in the file is milliseconds (a number) or a string with a unit ('500ms', '2s', '1m').
 * The JSON Schema (schemas/experiment.schema.json) is the file's contract; these types are what the parser returns
 * (durations already in milliseconds, defaults filled in).
 */

/** A thing an action may act on. An action naming anything else is refused at validation. */
export type Target = (UrlTarget | ProcessTarget | ProxyTarget | DirectoryTarget) & { kubernetes?: KubernetesSelector };

/**
 * Where the target lives in a Kubernetes cluster, for `chaos export --to chaos-mesh` only (local runs ignore it):
 * the pods it is (namespace + labels), and for a proxy target the pods behind its upstream.
 */
export interface KubernetesSelector {
  namespace: string;
  labels: Record<string, string>;
  /** Container names inside the pods (PodChaos container-kill, StressChaos, TimeChaos). */
  containers?: string[];
  /** For HTTPChaos: the port the service listens on in the pod. */
  port?: number;
}

/** A service reached over HTTP (what probes call). */
export interface UrlTarget {
  kind: 'url';
  name: string;
  url: string;
}

/**
 * A process the user started. Found by `pidFile` or by `match` (a substring of its command line, as `pgrep -f`);
 * `start` (a shell command run in `cwd`) restarts it after a kill and is how clock-skew relaunches it under
 * libfaketime. `dependsOn` names other process targets (for cascading-failure's order).
 */
export interface ProcessTarget {
  kind: 'process';
  name: string;
  pidFile?: string;
  match?: string;
  start?: string;
  cwd?: string;
  env?: Record<string, string>;
  dependsOn: string[];
}

/**
 * A fault proxy: either one the run starts itself (`listen` + `upstream`, gone when the run ends) or one already
 * running behind a fault API (`api` + `proxy` name, e.g. `chaos-testing proxy --api 127.0.0.1:8474`).
 */
export interface ProxyTarget {
  kind: 'proxy';
  name: string;
  listen?: string;
  upstream?: string;
  api?: string;
  proxy?: string;
}

/** A directory whose filesystem disk-exhaustion may fill (the filler file goes inside it). */
export interface DirectoryTarget {
  kind: 'directory';
  name: string;
  path: string;
}

/** What a probe's answer must be for the system to count as healthy. */
export interface Tolerance {
  /** Accepted status codes (default [200..299] when absent). */
  status?: number[];
  /** A JSONPath into the JSON body, and the value it must equal (any value found when `equals` is absent). */
  jsonpath?: string;
  equals?: unknown;
  /** The answer must arrive within this many ms. */
  latencyMs?: number;
}

export interface HttpProbe {
  name: string;
  /** A url target's name plus a path, or an absolute URL on a url target's origin. */
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  tolerance: Tolerance;
  /** Where the probe is in the file, for diagnostics: the YAML path of the probe, e.g. ['steady-state-hypothesis','probes',0]. */
  at: (string | number)[];
}

export type ActionKind =
  | 'process-kill'
  | 'network-partition'
  | 'latency'
  | 'loss'
  | 'bandwidth'
  | 'cpu-throttle'
  | 'memory-pressure'
  | 'disk-exhaustion'
  | 'clock-skew'
  | 'cascading-failure';

export const ACTION_KINDS: readonly ActionKind[] = [
  'process-kill',
  'network-partition',
  'latency',
  'loss',
  'bandwidth',
  'cpu-throttle',
  'memory-pressure',
  'disk-exhaustion',
  'clock-skew',
  'cascading-failure',
];

/** Each kind's own settings, durations in ms. */
export interface ActionArguments {
  'process-kill': { signal: 'SIGKILL' | 'SIGTERM'; restart: boolean; restartAfterMs: number };
  'network-partition': Record<string, never>;
  latency: { latencyMs: number; jitterMs: number; stream: 'upstream' | 'downstream' };
  /** A share of connections reset (Toxiproxy's reset_peer with toxicity = percent / 100). */
  loss: { percent: number; stream: 'upstream' | 'downstream' };
  bandwidth: { rateKBps: number; stream: 'upstream' | 'downstream' };
  /** The target runs `percent` of each `periodMs` and is stopped the rest (SIGSTOP/SIGCONT), or cgroup v2 cpu.max. */
  'cpu-throttle': { percent: number; periodMs: number };
  'memory-pressure': { mib: number };
  /** Fill until the filesystem is `percent` full, never leaving less than `floorMiB` free. */
  'disk-exhaustion': { percent: number; floorMiB: number };
  /** Restart the target under libfaketime, `offsetSeconds` off (negative is the past). */
  'clock-skew': { offsetSeconds: number };
  /** Kill `order` (process targets, first to last) with `delayMs` between, restart in reverse on rollback. */
  'cascading-failure': { order: string[]; delayMs: number };
}

export interface Action<K extends ActionKind = ActionKind> {
  name: string;
  kind: K;
  /** The target the action acts on (for cascading-failure, the first of `order`). */
  target: string;
  arguments: ActionArguments[K];
  /** How long the fault holds before its rollback runs; absent = until the method ends. */
  durationMs?: number;
  pauseBeforeMs: number;
  pauseAfterMs: number;
  at: (string | number)[];
}

/** How the run measures: a steady probe load through the baseline, fault and recovery phases. */
export interface Measure {
  /** The probe (by name) sent steadily; default: the hypothesis's first. */
  probe: string;
  intervalMs: number;
  baselineMs: number;
  /** How long faults hold when no action has its own duration. */
  faultMs: number;
  /** Successful probes in a row that count as recovered. */
  consecutiveSuccesses: number;
  recoveryTimeoutMs: number;
}

export interface Experiment {
  version: string;
  title: string;
  description?: string;
  tags: string[];
  targets: Record<string, Target>;
  hypothesis: { title: string; probes: HttpProbe[] };
  method: Action[];
  /** Extra rollbacks the user wrote, run after every action's own rollback. */
  rollbacks: Action[];
  measure: Measure;
  /** The file it came from (absolute), for the journal and diagnostics. */
  file?: string;
}

/** One schema or semantic problem, with the YAML path so the editor can put it on the right line. */
export interface ExperimentProblem {
  message: string;
  path: (string | number)[];
  line?: number;
  column?: number;
}

// ---- Running -------------------------------------------------------------------------------------------------------

/** What an applied action leaves behind to be undone: plain JSON, written to the journal before the fault starts. */
export interface UndoRecord {
  action: string;
  kind: ActionKind;
  /**
   * Kind-specific facts a later process needs to undo it: pids, file paths, proxy API and toxic names, commands.
   * `removedAt` (epoch ms), when a driver sets it, is when the fault ended by itself (process-kill's restart): the
   * runner measures recovery time from it instead of from the end of the undo.
   */
  data: Record<string, unknown>;
}

/** Context an action driver gets: the experiment's targets, the run's signal, and a log line sink. */
export interface ActionContext {
  experiment: Experiment;
  signal: AbortSignal;
  log(line: string): void;
  /** Persists the undo record (journal) before the driver changes anything; called again to update it. */
  journal(record: UndoRecord): void;
}

/** One action kind's implementation: apply the fault, return what undoes it; undo works from the record alone. */
export interface ActionDriver<K extends ActionKind = ActionKind> {
  kind: K;
  /** Checks the action against the targets (the right kind of target, named) without side effects. */
  check(action: Action<K>, experiment: Experiment): ExperimentProblem[];
  apply(action: Action<K>, ctx: ActionContext): Promise<UndoRecord>;
  /** Must be idempotent and work in a fresh process (chaos recover) from the record alone. */
  undo(record: UndoRecord, log: (line: string) => void): Promise<void>;
  /** Words for --dry-run: what apply would do. */
  describe(action: Action<K>, experiment: Experiment): string;
}

export type Phase = 'baseline' | 'fault' | 'recovery';

export interface ProbeSample {
  /** ms since the run's start. */
  at: number;
  phase: Phase;
  ok: boolean;
  latencyMs: number;
  status?: number;
  error?: string;
}

export interface PhaseStats {
  phase: Phase;
  startedAt: number;
  endedAt: number;
  probes: number;
  errors: number;
  errorRate: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface TimelineEvent {
  at: number;
  kind: 'hypothesis' | 'action' | 'rollback' | 'phase' | 'recovered' | 'abort' | 'error';
  name: string;
  detail?: string;
  ok?: boolean;
}

export interface ProbeOutcome {
  probe: string;
  ok: boolean;
  status?: number;
  latencyMs: number;
  detail: string;
}

export interface ExperimentResult {
  title: string;
  file?: string;
  status: 'completed' | 'failed' | 'aborted' | 'unhealthy-before';
  dryRun: boolean;
  startedAt: string;
  durationMs: number;
  hypothesisBefore: ProbeOutcome[];
  hypothesisAfter: ProbeOutcome[];
  /** The hypothesis held after the method (and rollbacks). */
  hypothesisHeld: boolean;
  recoveredSuccessfully: boolean;
  /** From the last fault's removal to the first of `consecutiveSuccesses` successful probes in a row; null if never. */
  recoveryTimeMs: number | null;
  consecutiveSuccesses: number;
  errorRateDuringFailure: number;
  phases: PhaseStats[];
  samples: ProbeSample[];
  timeline: TimelineEvent[];
  rollbacks: { action: string; ok: boolean; error?: string }[];
}
