/**
 * memory-pressure: a helper process (dist/memoryHog.js) allocates and writes `mib` MiB and holds it, so the target
 * shares a machine with less free memory. Refused above half of what is available, so the run cannot push the
 * machine into the OOM killer. Undo kills the hog (only if its pid still is the hog).
 */
import { InputError } from '../../errors';
import { helperIdentity, helpersTagged, launchHelper, newHelperTag } from '../helpers/launch';
import { memoryAvailableBytes, residentBytes } from '../memoryAvailable';
import { identify, stopSame, type ProcessIdentity } from '../processIdentity';
import type { ActionDriver, UndoRecord } from '../types';
import { argumentProblem, safetyDeadline, targetProblems } from './localTargets';

const MIB = 1024 * 1024;
/** The share of available memory one hog may take. */
export const SAFETY_SHARE = 0.5;
const READY_TIMEOUT_MS = 60_000;

type HogData = { tag: string; mib: number; hog?: ProcessIdentity };

/** Resolves when the hog prints `ready` and its RSS shows the memory; rejects if it exits, stalls or the run aborts. */
function waitUntilTouched(child: import('node:child_process').ChildProcess, mib: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.removeListener('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = (): void => finish(new InputError('memory-pressure: cancelled while the hog was allocating'));
    const onExit = (code: number | null, sig: string | null): void =>
      finish(new InputError(`memory-pressure: the hog exited (${sig ?? `code ${code}`}) before holding ${mib} MiB; is memory short?`));
    const timer = setTimeout(() => finish(new InputError(`memory-pressure: the hog did not hold ${mib} MiB within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    signal.addEventListener('abort', onAbort);
    child.once('exit', onExit);
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (!out.includes('ready')) return;
      const rss = residentBytes(child.pid!) ?? 0;
      if (rss >= 0.9 * mib * MIB) finish();
      else finish(new InputError(`memory-pressure: the hog reports ${mib} MiB but holds only ${Math.round(rss / MIB)} MiB resident (swapped out?)`));
    });
  });
}

export const driver: ActionDriver<'memory-pressure'> = {
  kind: 'memory-pressure',

  check(action, experiment) {
    const problems = targetProblems(action, experiment, 'process');
    const { mib } = action.arguments;
    if (!(Number.isInteger(mib) && mib > 0)) problems.push(argumentProblem(action, 'mib', `mib must be a whole number of MiB above 0, not ${mib}`));
    return problems;
  },

  async apply(action, ctx) {
    const { mib } = action.arguments;
    const availableMiB = Math.floor(memoryAvailableBytes() / MIB);
    if (mib > availableMiB * SAFETY_SHARE) {
      throw new InputError(`memory-pressure: ${mib} MiB is more than ${SAFETY_SHARE * 100}% of the ${availableMiB} MiB available (MemAvailable); ask for at most ${Math.floor(availableMiB * SAFETY_SHARE)}`);
    }
    const data: HogData = { tag: newHelperTag(), mib };
    const record: UndoRecord = { action: action.name, kind: 'memory-pressure', data };
    ctx.journal(record);
    const child = launchHelper('memoryHog', { tag: data.tag, deadline: safetyDeadline(ctx.experiment), args: { mib }, pipeStdout: true });
    try {
      data.hog = await helperIdentity('memoryHog', child.pid!, data.tag);
      ctx.journal(record);
      await waitUntilTouched(child, mib, ctx.signal);
    } catch (e) {
      await driver.undo(record, ctx.log);
      throw e;
    }
    ctx.log(`memory-pressure: hog pid ${data.hog.pid} holds ${mib} MiB`);
    return record;
  },

  async undo(record, log) {
    const data = record.data as HogData;
    const gone = await stopSame(data.hog, 2_000, 'SIGKILL');
    for (const pid of helpersTagged(data.tag)) await stopSame(identify(pid), 2_000, 'SIGKILL');
    log(`memory-pressure: ${data.mib} MiB released${gone ? '' : ` (hog pid ${data.hog?.pid} did not exit)`}`);
  },

  describe(action) {
    return `allocate and hold ${action.arguments.mib} MiB of memory beside process '${action.target}' (a helper process)`;
  },
};
