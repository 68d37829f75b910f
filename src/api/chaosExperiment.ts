/**
 * Chaos experiments from code. A builder writes the experiment file's own shape (what `.chaos/experiments/*.yaml`
 * holds, as plain JS), which goes through the same schema, checks and normalisation as a file, and runs with the
 * same runner as `chaos-testing chaos run`: one implementation, two ways to write it.
 */
import * as fs from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseDuration } from '../core/chaos/duration';
import { parseExperimentObject, parseExperimentText } from '../core/chaos/parse';
import { runExperiment } from '../core/chaos/runner';
import type { Experiment, TimelineEvent } from '../core/chaos/types';
import { chaosOutcome, type ChaosOutcome } from './chaosOutcome';
import { describeError } from '../core/errors';
import { CancelledError, ExperimentInvalidError, InputError, UsageError, throwIfCancelled } from './errors';
import type { CallOptions, Duration } from './options';

export type { ChaosOutcome } from './chaosOutcome';

type Doc = Record<string, unknown> & { targets: Record<string, Record<string, unknown>>; method: Record<string, unknown>[] };

/** A process you started, found by its pid file or a substring of its command line. */
export interface ProcessSpec {
  /** The target's name in the experiment (default 'service'). */
  name?: string;
  pidFile?: string;
  /** A substring of its command line, as `pgrep -f` (at least 3 characters). */
  match?: string;
  /** Shell command that starts it again (after a kill; clock-skew relaunches it under libfaketime). */
  start?: string;
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * A fault proxy in front of a dependency: one the run starts itself (`listen` + `upstream`, HOST:PORT each; point
 * the service at `listen`), or one already running behind a fault API (`api` + `proxy`).
 */
export type ProxySpec = { name?: string } & ({ listen: string; upstream: string } | { api: string; proxy: string });

/** What a probe's answer must be for the system to count as healthy. */
export interface ProbeTolerance {
  /** Accepted statuses (default 2xx). */
  status?: number | number[];
  /** A JSONPath into the JSON body, and the value it must equal. */
  jsonpath?: string;
  equals?: unknown;
  /** The answer must arrive within this. */
  latency?: Duration;
}

/** How the run measures: steady probes through the baseline, fault and recovery phases. */
export interface MeasureOptions {
  interval?: Duration;
  baseline?: Duration;
  /** How long faults hold when an action has no duration of its own. */
  fault?: Duration;
  /** Successful probes in a row that count as recovered. */
  consecutive?: number;
  recoveryTimeout?: Duration;
}

/** Options of {@link ChaosExperiment.execute}. */
export interface ExecuteOptions extends CallOptions<TimelineEvent> {
  /** Where the fault journal lives (default `.chaos`): `chaos-testing chaos recover` undoes what a killed run left. */
  journalDir?: string;
  /** Drivers' log lines. */
  onLog?: (line: string) => void;
  /** Validate and say (in the timeline) what each action would do; touch nothing (`chaos run --dry-run`). */
  dryRun?: boolean;
}


const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function processTarget(t: ProcessSpec, dependsOn?: string[]): Record<string, unknown> {
  const { name: _name, ...rest } = t;
  return { process: { ...rest, ...(dependsOn ? { dependsOn } : {}) } };
}

function proxyTarget(t: ProxySpec): Record<string, unknown> {
  const { name: _name, ...rest } = t;
  return { proxy: rest };
}

/** Seconds from a number of seconds or a duration string ('-1h', '30m', '90s'). */
function offsetSeconds(offset: number | string): number {
  if (typeof offset === 'number') return offset;
  const m = /^\s*([+-])?\s*(.+)$/.exec(offset);
  const ms = m ? parseDuration(m[2]) : undefined;
  if (ms === undefined || !m) throw new UsageError(`clockSkew offset '${offset}' is not a duration; give seconds (-3600) or a string such as '-1h' or '30m'`);
  return (m[1] === '-' ? -1 : 1) * Math.round(ms / 1000);
}

/**
 * A chaos experiment: targets, a steady-state hypothesis (probes), a method of fault actions, and what to measure.
 * Start from a fault (`processKill`, `networkPartition`, …) or a file (`fromFile`), add at least one probe with
 * {@link ChaosExperiment.withProbe}, then {@link ChaosExperiment.execute}.
 *
 * @example
 * const outcome = await ChaosExperiment.processKill({ pidFile: '.chaos/api.pid', start: 'node server.js' }, { restart: true })
 *   .withProbe('http://127.0.0.1:3000/health')
 *   .execute({ signal });
 * assert.ok(outcome.recoveredSuccessfully);
 */
export class ChaosExperiment {
  private constructor(
    private readonly _doc: Doc,
    private readonly _file?: string,
    /** Set by fromExperiment: already validated; there is no file shape to change. */
    private readonly _validated?: Experiment,
  ) {}

  private static _with(title: string, targets: Doc['targets'], method: Doc['method']): ChaosExperiment {
    return new ChaosExperiment({ version: '1', title, targets, 'steady-state-hypothesis': { title: 'the service answers', probes: [] }, method });
  }

  /**
   * Kills the process `count` times in a row (SIGKILL by default); with `restart` (the default when the target has a
   * `start` command), that command brings it back after each kill (after `restartAfter`).
   */
  static processKill(target: ProcessSpec, options: { count?: number; signal?: 'SIGKILL' | 'SIGTERM'; restart?: boolean; restartAfter?: Duration } = {}): ChaosExperiment {
    const name = target.name ?? 'service';
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new UsageError(`processKill count ${count} must be a whole number from 1 to 100`);
    const args = { signal: options.signal ?? 'SIGKILL', restart: options.restart ?? Boolean(target.start), ...(options.restartAfter !== undefined ? { restartAfter: options.restartAfter } : {}) };
    const method = Array.from({ length: count }, (_, i) => ({ type: 'action', name: count === 1 ? `kill ${name}` : `kill ${name} #${i + 1}`, provider: { type: 'process-kill', target: name, arguments: { ...args } } }));
    return ChaosExperiment._with(`${name} survives ${count === 1 ? 'a kill' : `${count} kills`}`, { [name]: processTarget(target) }, method);
  }

  /** Cuts every connection through the proxy and refuses new ones while the fault holds (`duration`, default the measure's fault time). */
  static networkPartition(target: ProxySpec, options: { duration?: Duration } = {}): ChaosExperiment {
    const name = target.name ?? 'dependency';
    const action = { type: 'action', name: `partition ${name}`, provider: { type: 'network-partition', target: name }, ...(options.duration !== undefined ? { duration: options.duration } : {}) };
    return ChaosExperiment._with(`the service recovers from a partition of ${name}`, { [name]: proxyTarget(target) }, [action]);
  }

  /** Lets the process run only `percent` of each period (SIGSTOP/SIGCONT, or cgroup v2 cpu.max). */
  static cpuThrottle(target: ProcessSpec, percent: number, options: { period?: Duration; duration?: Duration } = {}): ChaosExperiment {
    const name = target.name ?? 'service';
    const action = { type: 'action', name: `throttle ${name} to ${percent}%`, provider: { type: 'cpu-throttle', target: name, arguments: { percent, ...(options.period !== undefined ? { period: options.period } : {}) } }, ...(options.duration !== undefined ? { duration: options.duration } : {}) };
    return ChaosExperiment._with(`${name} copes with ${percent}% of a CPU`, { [name]: processTarget(target) }, [action]);
  }

  /** Takes `mib` MiB of the machine's memory beside the process (refused above half of what is available). */
  static memoryPressure(target: ProcessSpec, mib: number, options: { duration?: Duration } = {}): ChaosExperiment {
    const name = target.name ?? 'service';
    const action = { type: 'action', name: `take ${mib} MiB beside ${name}`, provider: { type: 'memory-pressure', target: name, arguments: { mib } }, ...(options.duration !== undefined ? { duration: options.duration } : {}) };
    return ChaosExperiment._with(`${name} copes with ${mib} MiB less memory`, { [name]: processTarget(target) }, [action]);
  }

  /** Fills the filesystem of `directory` until it is `percent` full, never leaving less than `floorMiB` (default 256) free. */
  static diskExhaustion(directory: string, percent: number, options: { floorMiB?: number; duration?: Duration; name?: string } = {}): ChaosExperiment {
    const name = options.name ?? 'data';
    const action = { type: 'action', name: `fill ${name} to ${percent}%`, provider: { type: 'disk-exhaustion', target: name, arguments: { percent, ...(options.floorMiB !== undefined ? { floor: options.floorMiB } : {}) } }, ...(options.duration !== undefined ? { duration: options.duration } : {}) };
    return ChaosExperiment._with(`the service copes with a ${percent}% full disk`, { [name]: { directory: { path: directory } } }, [action]);
  }

  /** Restarts the process under libfaketime with its clock `offset` off: seconds (negative is the past) or '-1h'. */
  static clockSkew(target: ProcessSpec, offset: number | string, options: { duration?: Duration } = {}): ChaosExperiment {
    const name = target.name ?? 'service';
    const seconds = offsetSeconds(offset);
    const action = { type: 'action', name: `skew ${name}'s clock by ${seconds}s`, provider: { type: 'clock-skew', target: name, arguments: { offset: seconds } }, ...(options.duration !== undefined ? { duration: options.duration } : {}) };
    return ChaosExperiment._with(`${name} copes with a clock ${seconds}s off`, { [name]: processTarget(target) }, [action]);
  }

  /**
   * Kills the processes of `graph` one after another, `delay` apart: in `order`, or dependencies first as the
   * graph's `dependsOn` say (a database before the service that uses it); restarts them in reverse on rollback.
   * Every process needs a `start` command.
   */
  static cascadingFailure(graph: Record<string, ProcessSpec & { dependsOn?: string[] }>, options: { order?: string[]; delay?: Duration } = {}): ChaosExperiment {
    const names = Object.keys(graph);
    if (!names.length) throw new UsageError('cascadingFailure needs at least one process in its graph');
    const order = options.order ?? dependencyOrder(graph);
    const targets = Object.fromEntries(names.map((n) => [n, processTarget(graph[n], graph[n].dependsOn ?? [])]));
    const action = { type: 'action', name: `cascade ${order.join(' → ')}`, provider: { type: 'cascading-failure', target: order[0], arguments: { order, ...(options.delay !== undefined ? { delay: options.delay } : {}) } } };
    return ChaosExperiment._with(`the system recovers from the loss of ${order.join(', ')}`, targets, [action]);
  }

  /** Reads an experiment file (`.chaos/experiments/*.yaml`); problems are thrown with their lines. */
  static fromFile(file: string): ChaosExperiment {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read the experiment file ${file} (${describeError(e)}); check the path`);
    }
    const { problems } = parseExperimentText(text, file);
    if (problems.length) throw new ExperimentInvalidError(file, problems.map((p) => ({ ...p, message: `${file}:${p.line ?? 1}:${p.column ?? 1}: ${p.message}` })));
    return new ChaosExperiment(parseYaml(text) as Doc, file);
  }

  /**
   * An experiment already read and checked (`parseExperimentText(...).experiment`), as the CLI and the readiness
   * suite have it after reporting a file's problems themselves. It runs as is; the `with…` methods refuse it.
   */
  static fromExperiment(experiment: Experiment): ChaosExperiment {
    return new ChaosExperiment({ title: experiment.title, targets: {}, method: [] }, experiment.file, experiment);
  }

  private _next(change: (doc: Doc) => void): ChaosExperiment {
    if (this._validated) throw new UsageError(`experiment '${this._validated.title}' came from fromExperiment and cannot be changed; change its file, or build it with fromFile or a builder`);
    const doc = clone(this._doc);
    change(doc);
    return new ChaosExperiment(doc, this._file);
  }

  /** The experiment's title (one line: what it shows). */
  withTitle(title: string): ChaosExperiment {
    return this._next((d) => {
      d.title = title;
    });
  }

  /**
   * Adds a probe of the steady-state hypothesis: an absolute http(s) URL; its origin becomes a url target. The first
   * probe is the one sent steadily to measure recovery, error rate and latency.
   */
  withProbe(url: string, options: { name?: string; method?: string; tolerance?: ProbeTolerance | number | number[]; timeout?: Duration } = {}): ChaosExperiment {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      throw new UsageError(`withProbe('${url}') needs an absolute http:// or https:// URL`);
    }
    return this._next((d) => {
      const existing = Object.entries(d.targets).find(([, t]) => t.url === origin)?.[0];
      const target = existing ?? (d.targets.app ? `app${Object.keys(d.targets).length}` : 'app');
      if (!existing) d.targets[target] = { url: origin };
      const hypothesis = d['steady-state-hypothesis'] as { probes: unknown[] };
      const name = options.name ?? (hypothesis.probes.length ? `probe ${hypothesis.probes.length + 1}` : 'health');
      hypothesis.probes.push({
        type: 'probe',
        name,
        provider: { type: 'http', url, method: options.method ?? 'GET', ...(options.timeout !== undefined ? { timeout: options.timeout } : {}) },
        ...(options.tolerance !== undefined ? { tolerance: options.tolerance } : {}),
      });
    });
  }

  /** The hypothesis's title. */
  withHypothesis(title: string): ChaosExperiment {
    return this._next((d) => {
      (d['steady-state-hypothesis'] as { title: string }).title = title;
    });
  }

  /** How the run measures (durations in ms or with a unit). */
  withMeasure(measure: MeasureOptions): ChaosExperiment {
    return this._next((d) => {
      const m = (d.measure ?? {}) as Record<string, unknown>;
      if (measure.interval !== undefined) m.interval = measure.interval;
      if (measure.baseline !== undefined) m.baseline = measure.baseline;
      if (measure.fault !== undefined) m.fault = measure.fault;
      if (measure.consecutive !== undefined) m.consecutive = measure.consecutive;
      if (measure.recoveryTimeout !== undefined) m['recovery-timeout'] = measure.recoveryTimeout;
      d.measure = m;
    });
  }

  /** The experiment in its file shape, ready to save as `.chaos/experiments/NAME.yaml`. */
  toYaml(): string {
    if (this._validated) throw new UsageError(`experiment '${this._validated.title}' came from fromExperiment and has no file shape; save the file it was read from`);
    return stringifyYaml(this._doc);
  }

  /** The validated experiment the runner takes (what `parseExperimentText` gives for the same file). */
  toExperiment(): Experiment {
    if (this._validated) return this._validated;
    const { experiment, problems } = parseExperimentObject(this._doc, this._file);
    if (!experiment) throw new ExperimentInvalidError(`experiment '${String(this._doc.title)}'`, problems);
    return experiment;
  }

  /** Runs it: baseline, faults, rollbacks (also on abort), recovery. Rejects with CancelledError when `signal` fires. */
  async execute(options: ExecuteOptions = {}): Promise<ChaosOutcome> {
    const experiment = this.toExperiment();
    throwIfCancelled(options.signal, `experiment '${experiment.title}'`);
    const raw = await runExperiment(experiment, { signal: options.signal, onProgress: options.onProgress, onLog: options.onLog, journalDir: options.journalDir, dryRun: options.dryRun });
    const outcome = chaosOutcome(raw);
    if (options.signal?.aborted) throw new CancelledError(`experiment '${experiment.title}'`, outcome);
    return outcome;
  }
}

/** Processes ordered so each comes after the ones it depends on (dependencies die first). */
function dependencyOrder(graph: Record<string, { dependsOn?: string[] }>): string[] {
  const out: string[] = [];
  const visiting = new Set<string>();
  const visit = (n: string): void => {
    if (out.includes(n)) return;
    if (visiting.has(n)) throw new UsageError(`cascadingFailure: '${n}' depends on itself through its dependsOn`);
    visiting.add(n);
    for (const d of graph[n]?.dependsOn ?? []) if (graph[d]) visit(d);
    out.push(n);
  };
  Object.keys(graph).forEach(visit);
  return out;
}
