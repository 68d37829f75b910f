/**
 * Entry of dist/cpuThrottle.js: the cpu-throttle driver's SIGSTOP/SIGCONT duty cycle, in its own process so the
 * run's busy event loop cannot stretch the stopped part. The target runs `percent` of each `period` ms. On SIGTERM,
 * when the owner dies, when the deadline passes or when the target is gone, it continues the target and exits:
 * the target is never left stopped by a dead run.
 *   node cpuThrottle.js --owner PID --deadline EPOCH_MS --tag TAG --pid PID --start-ticks N --percent P --period MS
 */
import { signalSame, type ProcessIdentity, identify } from '../processIdentity';
import { helperArgs, shouldGiveUp, sleep } from './lifeline';

const args = helperArgs();
const percent = Number(args.values.percent);
const period = Number(args.values.period);
const pid = Number(args.values.pid);
const startTicks = Number(args.values['start-ticks']);
const found = identify(pid);
// The target as the driver saw it: a pid now held by another process is never stopped.
const target: ProcessIdentity | undefined = found && found.startTicks === startTicks ? found : undefined;

function finish(): never {
  signalSame(target, 'SIGCONT');
  process.exit(0);
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, finish);
process.on('uncaughtException', finish);

async function main(): Promise<void> {
  if (!target || !(percent > 0 && percent < 100) || !(period > 0)) finish();
  const runMs = (period * percent) / 100;
  // Absolute times, so a late timer shortens the next phase instead of drifting the cycle.
  let next = Date.now();
  for (;;) {
    if (shouldGiveUp(args) || !signalSame(target, 'SIGCONT')) finish();
    next += runMs;
    await sleep(Math.max(0, next - Date.now()));
    if (shouldGiveUp(args) || !signalSame(target, 'SIGSTOP')) finish();
    next += period - runMs;
    await sleep(Math.max(0, next - Date.now()));
  }
}

void main();
