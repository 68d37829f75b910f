/**
 * cascading-failure: kills the process targets in `order`, first to last, `delayMs` apart, as a failure spreading
 * along a dependency graph (SIGKILL: a crash, not a shutdown). Undo starts them again in reverse order, except that
 * a target always comes back after the targets it `dependsOn`; each with its `start` command, waiting until each
 * stays up.
 */
import { InputError } from '../../errors';
import { resolvePid, waitForExit, type StartSpec } from '../process';
import { identify, isSameProcess, signalSame, type ProcessIdentity } from '../processIdentity';
import type { ActionDriver, ProcessTarget, UndoRecord } from '../types';
import { argumentProblem, pause, processTarget, startAndSettle, startSpecOf, targetProblems } from './localTargets';

type Victim = { name: string; target: ProcessTarget; start: StartSpec; process: ProcessIdentity; killed: boolean };
type CascadeData = { victims: Victim[] };

/** Reverse kill order, moved so that each comes after the victims it depends on (a cycle keeps reverse order). */
export function restartOrder<V extends { name: string; target: { dependsOn: string[] } }>(victims: V[]): V[] {
  const names = new Set(victims.map((v) => v.name));
  const pending = [...victims].reverse();
  const done = new Set<string>();
  const order: V[] = [];
  while (pending.length) {
    const ready = pending.findIndex((v) => v.target.dependsOn.every((d) => done.has(d) || !names.has(d)));
    const next = pending.splice(Math.max(0, ready), 1)[0];
    done.add(next.name);
    order.push(next);
  }
  return order;
}

export const driver: ActionDriver<'cascading-failure'> = {
  kind: 'cascading-failure',

  check(action, experiment) {
    const { order, delayMs } = action.arguments;
    if (!order.length) return [argumentProblem(action, 'order', 'order must name at least one process target')];
    const problems = order.flatMap((name) => targetProblems(action, experiment, 'process', name).map((p) => ({ ...p, path: [...action.at, 'provider', 'arguments', 'order'] })));
    for (const name of order) {
      const target = experiment.targets[name];
      if (target?.kind === 'process' && !target.start) problems.push({ message: `action '${action.name}' (cascading-failure): target '${name}' needs a 'start' command, or its rollback cannot bring it back`, path: ['targets', name] });
    }
    const twice = order.filter((n, i) => order.indexOf(n) !== i);
    if (twice.length) problems.push(argumentProblem(action, 'order', `order names '${twice[0]}' twice`));
    if (!(delayMs >= 0)) problems.push(argumentProblem(action, 'delay', `delay must be 0 or more, not ${delayMs}`));
    return problems;
  },

  async apply(action, ctx) {
    const { order, delayMs } = action.arguments;
    // Every target must be running before the first is killed: a half-done cascade is worse than none.
    const targets = order.map((name) => processTarget(ctx.experiment, name));
    for (const t of targets) resolvePid(t);
    const data: CascadeData = { victims: [] };
    const record: UndoRecord = { action: action.name, kind: 'cascading-failure', data };
    try {
      for (const [i, target] of targets.entries()) {
        if (i > 0 && (await pause(delayMs, ctx.signal))) break;
        if (ctx.signal.aborted) break;
        const proc = identify(resolvePid(target));
        if (!proc) throw new InputError(`cascading-failure: '${target.name}' exited before it could be killed`);
        const victim: Victim = { name: target.name, target, start: startSpecOf(target)!, process: proc, killed: false };
        data.victims.push(victim);
        ctx.journal(record);
        signalSame(proc, 'SIGKILL');
        if (!(await waitForExit(proc.pid, 5_000))) throw new InputError(`cascading-failure: '${target.name}' (pid ${proc.pid}) survived SIGKILL for 5 s`);
        victim.killed = true;
        ctx.journal(record);
        ctx.log(`cascading-failure: killed '${target.name}' (pid ${proc.pid})`);
      }
    } catch (e) {
      // Half a cascade is not left behind: what was killed starts again before the error goes up.
      await driver.undo(record, ctx.log).catch(() => undefined);
      throw e;
    }
    if (ctx.signal.aborted) ctx.log(`cascading-failure: cancelled after ${data.victims.length} of ${order.length}`);
    return record;
  },

  async undo(record, log) {
    const { victims } = record.data as CascadeData;
    const failed: string[] = [];
    for (const victim of restartOrder(victims)) {
      if (isSameProcess(victim.process)) {
        log(`cascading-failure: '${victim.name}' was never killed`);
        continue;
      }
      try {
        const pid = resolvePid(victim.target);
        log(`cascading-failure: '${victim.name}' already runs again (pid ${pid})`);
        continue;
      } catch {
        // not running: start it
      }
      try {
        const started = await startAndSettle(victim.start);
        log(`cascading-failure: started '${victim.name}' again (pid ${started.pid})`);
      } catch (e) {
        failed.push(`'${victim.name}': ${(e as Error).message}`);
      }
    }
    if (failed.length) throw new InputError(`cascading-failure: could not start again ${failed.join('; ')}`);
  },

  describe(action) {
    const { order, delayMs } = action.arguments;
    return `kill processes ${order.map((n) => `'${n}'`).join(' → ')} with SIGKILL, ${delayMs} ms apart; start them again dependencies first`;
  },
};
