/**
 * clock-skew: stops the target and starts it again (its `start` command) under libfaketime, so its wall clock reads
 * `offsetSeconds` off. Undo stops the skewed process and starts the original command again. Needs the Debian
 * package `faketime`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../errors';
import { resolvePid, type StartSpec } from '../process';
import { environOf, identify, isSameProcess, stopSame, type ProcessIdentity } from '../processIdentity';
import type { ActionDriver, ProcessTarget, UndoRecord } from '../types';
import { argumentProblem, processTarget, startAndSettle, startSpecOf, targetProblems } from './localTargets';

type SkewData = {
  target: ProcessTarget;
  start: StartSpec;
  offsetSeconds: number;
  original?: ProcessIdentity;
  /** The original was stopped: undo must start it again. */
  stopped: boolean;
  skewed?: ProcessIdentity;
};

/** libfaketime.so.1 as Debian installs it (/usr/lib/<arch>/faketime/), or undefined. */
export function libfaketimePath(): string | undefined {
  const dirs = ['/usr/lib/faketime', '/usr/local/lib/faketime'];
  try {
    for (const d of fs.readdirSync('/usr/lib')) dirs.push(path.join('/usr/lib', d, 'faketime'));
  } catch {
    // no /usr/lib
  }
  return dirs.map((d) => path.join(d, 'libfaketime.so.1')).find((f) => fs.existsSync(f));
}

/** The environment that makes a process's wall clock read `offsetSeconds` off (negative: in the past). */
export function faketimeEnv(lib: string, offsetSeconds: number): Record<string, string> {
  return {
    LD_PRELOAD: lib,
    FAKETIME: `${offsetSeconds < 0 ? '-' : '+'}${Math.abs(offsetSeconds)}`,
    FAKETIME_DONT_RESET: '1',
    // Not DONT_FAKE_MONOTONIC: with libfaketime 0.9.10 it makes Python's time.sleep fail with EINVAL.
  };
}

export const driver: ActionDriver<'clock-skew'> = {
  kind: 'clock-skew',

  check(action, experiment) {
    const problems = targetProblems(action, experiment, 'process');
    const target = experiment.targets[action.target];
    if (target?.kind === 'process' && !target.start) {
      problems.push({ message: `action '${action.name}' (clock-skew): target '${action.target}' needs a 'start' command to be restarted under libfaketime`, path: ['targets', action.target] });
    }
    const { offsetSeconds } = action.arguments;
    if (!(Number.isFinite(offsetSeconds) && offsetSeconds !== 0)) problems.push(argumentProblem(action, 'offset', `offset must be a number of seconds other than 0, not ${offsetSeconds}`));
    return problems;
  },

  async apply(action, ctx) {
    const lib = libfaketimePath();
    if (!lib) throw new InputError('clock-skew needs libfaketime: install the Debian package faketime (apt-get install faketime)');
    const target = processTarget(ctx.experiment, action.target);
    const start = startSpecOf(target);
    if (!start) throw new InputError(`clock-skew: target '${action.target}' has no 'start' command to restart it with`);
    const original = identify(resolvePid(target));
    const data: SkewData = { target, start, offsetSeconds: action.arguments.offsetSeconds, original, stopped: false };
    const record: UndoRecord = { action: action.name, kind: 'clock-skew', data };
    ctx.journal(record);
    if (!(await stopSame(original, 5_000))) throw new InputError(`clock-skew: process ${original?.pid} of '${action.target}' would not stop`);
    data.stopped = true;
    ctx.journal(record);
    try {
      data.skewed = await startAndSettle({ ...start, env: { ...start.env, ...faketimeEnv(lib, data.offsetSeconds) } });
    } catch (e) {
      await driver.undo(record, ctx.log);
      throw new InputError(`clock-skew: ${(e as Error).message} under libfaketime; the original command was started again`);
    }
    ctx.journal(record);
    ctx.log(`clock-skew: '${action.target}' restarted as pid ${data.skewed.pid} with its clock ${data.offsetSeconds} s off`);
    return record;
  },

  async undo(record, log) {
    const data = record.data as SkewData;
    if (data.skewed && !(await stopSame(data.skewed, 5_000))) throw new InputError(`clock-skew: skewed process ${data.skewed.pid} would not stop`);
    if (!data.stopped && isSameProcess(data.original)) {
      log(`clock-skew: '${data.target.name}' was never restarted; nothing to undo`);
      return;
    }
    // A previous undo may have started it already: a running target without FAKETIME is the restored one.
    try {
      const pid = resolvePid(data.target);
      if (environOf(pid)?.FAKETIME === undefined) {
        log(`clock-skew: '${data.target.name}' already runs with the real clock (pid ${pid})`);
        return;
      }
    } catch {
      // not running: start it below
    }
    const restored = await startAndSettle(data.start);
    log(`clock-skew: '${data.target.name}' started again with the real clock (pid ${restored.pid})`);
  },

  describe(action) {
    const s = action.arguments.offsetSeconds;
    return `restart process '${action.target}' under libfaketime with its clock ${Math.abs(s)} s ${s < 0 ? 'in the past' : 'in the future'}`;
  },
};
