/**
 * process-kill: signal a process target (found by pid file or command line), optionally start it again with the
 * target's `start` after `restartAfter`. The journal holds the pid, its command line and the start spec, so undo
 * (here or in `chaos recover`) starts the target again if it is not running, and does nothing if it is.
 */
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { ChaosError } from '../../errors';
import { commandLine, isAlive, pidsMatching, resolvePid, signal, startChecked, waitForExit, type StartSpec } from '../process';
import { actionPlace, targetOfKind } from '../targets';
import type { ActionDriver, ProcessTarget, UndoRecord } from '../types';
import { sleepUnlessAborted as sleep } from '../../timers';

export interface ProcessKillData extends Record<string, unknown> {
  target: string;
  pid: number;
  cmdline?: string;
  pidFile?: string;
  match?: string;
  start?: StartSpec;
  restartedPid?: number;
  /** Epoch ms when the fault ended by itself (the restart); the runner measures recovery from it. */
  removedAt?: number;
}

/** The target's start spec with every path absolute, so a later process in another folder can use it. */
export function startSpecOf(target: ProcessTarget, cwd = process.cwd()): StartSpec | undefined {
  if (!target.start) return undefined;
  const dir = path.resolve(cwd, target.cwd ?? '.');
  return { command: target.start, cwd: dir, ...(target.env ? { env: target.env } : {}), ...(target.pidFile ? { pidFile: path.resolve(dir, target.pidFile) } : {}) };
}

/** Is the target running now (a live pid in its pid file, or a process matching)? */
export function targetRunning(data: Pick<ProcessKillData, 'pidFile' | 'match'>): boolean {
  if (data.pidFile) {
    try {
      const pid = Number(readFileSync(data.pidFile, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 && isAlive(pid);
    } catch {
      return false;
    }
  }
  return data.match ? pidsMatching(data.match).length > 0 : false;
}

/**
 * Starts the target again and checks it stayed up: a start that exits at once (or exits 0 while the target is still
 * not running) throws, so the restart or the undo is reported FAILED and its entry stays in the journal.
 */
async function startAgain(data: ProcessKillData, start: StartSpec): Promise<number> {
  const { pid, exited } = await startChecked(start);
  if (exited && !targetRunning(data)) throw new ChaosError('CT_CHAOS', `'${data.target}' did not start: '${start.command}' exited at once and the target is not running`);
  return pid;
}

export const driver: ActionDriver<'process-kill'> = {
  kind: 'process-kill',

  check(action, experiment) {
    const { target, problems } = targetOfKind(action, experiment, 'process');
    if (target && action.arguments.restart && !target.start) {
      problems.push({ path: [...action.at, 'provider', 'arguments', 'restart'], message: `${actionPlace(action)}: restart needs the target's 'start' command; add targets.${target.name}.process.start` });
    }
    return problems;
  },

  async apply(action, ctx) {
    const { target } = targetOfKind(action, ctx.experiment, 'process');
    if (!target) throw new ChaosError('CT_CHAOS', `action '${action.name}': target '${action.target}' is not a process target`);
    const pid = resolvePid(target);
    const cwd = path.resolve(target.cwd ?? '.');
    const start = startSpecOf(target);
    const data: ProcessKillData = {
      target: target.name,
      pid,
      cmdline: commandLine(pid),
      ...(target.pidFile ? { pidFile: path.resolve(cwd, target.pidFile) } : {}),
      ...(target.match ? { match: target.match } : {}),
      ...(start ? { start } : {}),
    };
    const record: UndoRecord = { action: action.name, kind: action.kind, data };
    ctx.journal(record);
    const { signal: sig, restart, restartAfterMs } = action.arguments;
    signal(pid, sig);
    const gone = await waitForExit(pid, 10_000);
    ctx.log(`${action.name}: ${sig} sent to ${target.name} (pid ${pid})${gone ? '' : ', still running after 10 s'}`);
    if (!restart || !start) return record;
    await sleep(restartAfterMs, ctx.signal);
    if (ctx.signal.aborted) return record; // the rollback starts it
    data.removedAt = Date.now();
    data.restartedPid = await startAgain(data, start);
    ctx.journal(record);
    ctx.log(`${action.name}: restarted ${target.name} (pid ${data.restartedPid})`);
    return record;
  },

  async undo(record, log) {
    const data = record.data as ProcessKillData;
    if (targetRunning(data) || (data.restartedPid !== undefined && isAlive(data.restartedPid))) {
      log(`nothing to undo for '${data.target}': it is running`);
      return;
    }
    if (!data.start) {
      log(`'${data.target}' (pid ${data.pid}) is not running and has no start command; start it yourself: ${data.cmdline ?? '(command line unknown)'}`);
      return;
    }
    const startedAt = Date.now();
    const pid = await startAgain(data, data.start);
    data.removedAt = startedAt;
    log(`undone: started '${data.target}' again (pid ${pid})`);
  },

  describe(action, experiment) {
    const t = experiment.targets[action.target] as ProcessTarget | undefined;
    const how = t?.pidFile ? `pid file ${t.pidFile}` : `command line matching '${t?.match ?? '?'}'`;
    const { signal: sig, restart, restartAfterMs } = action.arguments;
    const then = restart ? `, start it again with '${t?.start ?? '?'}' after ${restartAfterMs} ms` : ', leave it down until the rollback starts it (if it has a start command)';
    return `send ${sig} to process '${action.target}' (${how})${then}`;
  },
};
