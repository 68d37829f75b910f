/**
 * cpu-throttle: the target process gets `percent` of the CPU. With cgroup v2, through its own cgroup's cpu.max
 * (only when it is alone there); otherwise by a duty cycle of SIGSTOP/SIGCONT in a detached helper
 * (dist/cpuThrottle.js), which continues the target and exits if the run dies. Undo restores cpu.max, or stops the
 * helper and continues the target.
 */
import { InputError } from '../../errors';
import { cpuMaxValue, soleCgroup, writeCpuMax } from '../cgroupCpu';
import { helperIdentity, helpersTagged, launchHelper, newHelperTag } from '../helpers/launch';
import { resolvePid } from '../process';
import { identify, signalSame, stopSame, type ProcessIdentity } from '../processIdentity';
import type { ActionDriver, UndoRecord } from '../types';
import { argumentProblem, processTarget, safetyDeadline, targetProblems } from './localTargets';

type CgroupData = { mode: 'cgroup'; target: ProcessIdentity; dir: string; cpuMax: string };
type DutyCycleData = { mode: 'duty-cycle'; target: ProcessIdentity; tag: string; helper?: ProcessIdentity };

export const driver: ActionDriver<'cpu-throttle'> = {
  kind: 'cpu-throttle',

  check(action, experiment) {
    const problems = targetProblems(action, experiment, 'process');
    const { percent, periodMs } = action.arguments;
    if (!(percent > 0 && percent < 100)) problems.push(argumentProblem(action, 'percent', `percent must be above 0 and below 100, not ${percent}`));
    if (!(periodMs >= 10 && periodMs <= 1_000)) problems.push(argumentProblem(action, 'period', `period must be 10ms to 1s, not ${periodMs} ms`));
    return problems;
  },

  async apply(action, ctx) {
    const { percent, periodMs } = action.arguments;
    const pid = resolvePid(processTarget(ctx.experiment, action.target));
    const target = identify(pid);
    if (!target) throw new InputError(`target '${action.target}': process ${pid} exited before it could be throttled`);
    const cgroup = soleCgroup(pid);
    if (cgroup) {
      const data: CgroupData = { mode: 'cgroup', target, dir: cgroup.dir, cpuMax: cgroup.cpuMax };
      const record: UndoRecord = { action: action.name, kind: 'cpu-throttle', data };
      ctx.journal(record);
      writeCpuMax(cgroup.dir, cpuMaxValue(percent, periodMs));
      ctx.log(`cpu-throttle: ${action.target} (pid ${pid}) limited to ${percent}% by ${cgroup.dir}/cpu.max`);
      return record;
    }
    const data: DutyCycleData = { mode: 'duty-cycle', target, tag: newHelperTag() };
    const record: UndoRecord = { action: action.name, kind: 'cpu-throttle', data };
    ctx.journal(record);
    const child = launchHelper('cpuThrottle', {
      tag: data.tag,
      deadline: safetyDeadline(ctx.experiment),
      args: { pid, 'start-ticks': target.startTicks, percent, period: periodMs },
    });
    try {
      data.helper = await helperIdentity('cpuThrottle', child.pid!, data.tag);
    } catch (e) {
      await driver.undo(record, ctx.log);
      throw e;
    }
    ctx.journal(record);
    ctx.log(`cpu-throttle: ${action.target} (pid ${pid}) runs ${percent}% of every ${periodMs} ms (duty-cycle helper pid ${data.helper.pid})`);
    return record;
  },

  async undo(record, log) {
    const data = record.data as CgroupData | DutyCycleData;
    if (data.mode === 'cgroup') {
      try {
        writeCpuMax(data.dir, data.cpuMax);
        log(`cpu-throttle: ${data.dir}/cpu.max back to '${data.cpuMax}'`);
      } catch {
        log(`cpu-throttle: ${data.dir} is gone; nothing to restore`);
      }
      return;
    }
    // The helper continues the target when it is stopped; continuing it here as well covers a helper killed hard.
    await stopSame(data.helper, 2_000);
    for (const pid of helpersTagged(data.tag)) await stopSame(identify(pid), 2_000);
    const continued = signalSame(data.target, 'SIGCONT');
    log(`cpu-throttle: duty cycle stopped; pid ${data.target.pid} ${continued ? 'continued' : 'is gone'}`);
  },

  describe(action) {
    const { percent, periodMs } = action.arguments;
    return `throttle process '${action.target}' to ${percent}% of the CPU (cgroup cpu.max, or SIGSTOP/SIGCONT every ${periodMs} ms)`;
  },
};
