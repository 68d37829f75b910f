/**
 * The helper's side of launch.ts: its arguments, and whether it should give up because its owner (the run) died or
 * its deadline passed. A helper never outlives the run that started it by more than one of its own ticks.
 */
import { isAlive } from '../process';

export interface HelperArgs {
  owner: number;
  deadline: number;
  tag: string;
  values: Record<string, string>;
}

export function helperArgs(argv = process.argv.slice(2)): HelperArgs {
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < argv.length; i += 2) {
    if (argv[i].startsWith('--')) values[argv[i].slice(2)] = argv[i + 1];
  }
  const owner = Number(values.owner);
  const deadline = Number(values.deadline);
  if (!Number.isInteger(owner) || !Number.isFinite(deadline)) {
    process.stderr.write('this helper is started by chaos-testing (chaos run), not by hand\n');
    process.exit(2);
  }
  return { owner, deadline, tag: values.tag ?? '', values };
}

/** The owner died (this process was re-parented, or the owner is gone) or the deadline passed. */
export function shouldGiveUp(args: HelperArgs): boolean {
  return process.ppid !== args.owner || !isAlive(args.owner) || Date.now() > args.deadline;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
