/**
 * What the local action drivers (cpu-throttle, memory-pressure, disk-exhaustion, clock-skew, cascading-failure)
 * share: checking that an action names the right kind of target, finding that target, and turning a process
 * target into plain, absolute data the journal can hold (so `chaos recover` works from any directory).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../errors';
import { startDetached, type StartSpec } from '../process';
import { identify, isSameProcess, type ProcessIdentity } from '../processIdentity';
import type { Action, Experiment, ExperimentProblem, ProcessTarget, Target } from '../types';

/** Problems when `name` is not a target of `kind` in the experiment (empty when it is). */
export function targetProblems(action: Action, experiment: Experiment, kind: Target['kind'], name = action.target): ExperimentProblem[] {
  const at = [...action.at, 'provider', 'target'];
  const target = experiment.targets[name];
  if (!target) return [{ message: `action '${action.name}': no target named '${name}'; targets are: ${Object.keys(experiment.targets).join(', ') || 'none'}`, path: at }];
  if (target.kind !== kind) return [{ message: `action '${action.name}' (${action.kind}) needs a ${kind} target, and '${name}' is a ${target.kind} target`, path: at }];
  return [];
}

/** A problem at one of the action's arguments. */
export function argumentProblem(action: Action, argument: string, message: string): ExperimentProblem {
  return { message: `action '${action.name}' (${action.kind}): ${message}`, path: [...action.at, 'provider', 'arguments', argument] };
}

function targetOf<K extends Target['kind']>(experiment: Experiment, name: string, kind: K): Extract<Target, { kind: K }> {
  const target = experiment.targets[name];
  if (!target || target.kind !== kind) throw new InputError(`target '${name}' is not a ${kind} target of the experiment`);
  return target as Extract<Target, { kind: K }>;
}

/** The process target, with `cwd` and `pidFile` made absolute (against `cwd`, the run's directory). */
export function processTarget(experiment: Experiment, name: string, cwd = process.cwd()): ProcessTarget {
  const target = targetOf(experiment, name, 'process');
  const dir = path.resolve(cwd, target.cwd ?? '.');
  return { ...target, cwd: dir, pidFile: target.pidFile ? path.resolve(dir, target.pidFile) : undefined };
}

export function directoryPath(experiment: Experiment, name: string, cwd = process.cwd()): string {
  return path.resolve(cwd, targetOf(experiment, name, 'directory').path);
}

/** How to start the target again (its `start` command), or undefined if it has none. Expects processTarget()'s output. */
export function startSpecOf(target: ProcessTarget): StartSpec | undefined {
  if (!target.start) return undefined;
  return { command: target.start, cwd: target.cwd, env: target.env, pidFile: target.pidFile };
}

/**
 * When a helper process must give up on its own if nobody undoes it: after every action of the method could have
 * held its fault, plus a minute. Only a safety net; the run's undo or the helper's watch on its owner comes first.
 */
export function safetyDeadline(experiment: Experiment, now = Date.now()): number {
  const method = experiment.method.reduce((sum, a) => sum + (a.durationMs ?? experiment.measure.faultMs) + a.pauseBeforeMs + a.pauseAfterMs, 0);
  return now + method + experiment.measure.baselineMs + experiment.measure.recoveryTimeoutMs + 60_000;
}

/** Resolves after `ms`, or early when the signal aborts (true = aborted). */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (aborted: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(aborted);
    };
    const onAbort = (): void => done(true);
    const timer = setTimeout(() => done(false), ms);
    signal.addEventListener('abort', onAbort);
  });
}

/** Starts a target's command (startDetached) and returns the process once it has stayed up for `settleMs`. */
export async function startAndSettle(spec: StartSpec, settleMs = 300): Promise<ProcessIdentity> {
  if (spec.cwd && !fs.statSync(spec.cwd, { throwIfNoEntry: false })?.isDirectory()) throw new InputError(`cannot start '${spec.command}': its cwd ${spec.cwd} is not a directory`);
  const id = identify(startDetached(spec));
  await new Promise((r) => setTimeout(r, settleMs));
  if (!isSameProcess(id)) throw new InputError(`'${spec.command}' exited right after it started (in ${spec.cwd ?? process.cwd()})`);
  return identify(id.pid) ?? id;
}
