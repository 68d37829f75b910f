/**
 * cgroup v2 CPU limits for cpu-throttle: usable only when the target sits alone in its own cgroup (so the limit
 * throttles nothing else, e.g. not the run itself) and that cgroup's cpu.max is writable. Otherwise the driver
 * falls back to the SIGSTOP/SIGCONT duty cycle.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Where cgroup2 is mounted, from /proc/self/mountinfo (field 5 is the mount point, the type follows ' - '). */
function cgroup2Mount(procRoot: string): string | undefined {
  try {
    for (const line of readFileSync(path.join(procRoot, 'self', 'mountinfo'), 'utf8').split('\n')) {
      const [before, after] = line.split(' - ');
      if (after?.startsWith('cgroup2 ')) return before.split(' ')[4];
    }
  } catch {
    // no /proc: no cgroups
  }
  return undefined;
}

/** The target's own cgroup directory when it can be limited alone, with its current cpu.max; else undefined. */
export function soleCgroup(pid: number, procRoot = '/proc'): { dir: string; cpuMax: string } | undefined {
  const mount = cgroup2Mount(procRoot);
  if (!mount) return undefined;
  try {
    const line = readFileSync(path.join(procRoot, String(pid), 'cgroup'), 'utf8').split('\n').find((l) => l.startsWith('0::'));
    if (!line || line === '0::/') return undefined;
    const dir = path.join(mount, line.slice(3));
    const procs = readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
    if (procs.length !== 1 || Number(procs[0]) !== pid) return undefined;
    const cpuMax = readFileSync(path.join(dir, 'cpu.max'), 'utf8').trim();
    writeFileSync(path.join(dir, 'cpu.max'), cpuMax); // writable? (writing the same value changes nothing)
    return { dir, cpuMax };
  } catch {
    return undefined;
  }
}

/** cpu.max for `percent` of one CPU over `periodMs` (the kernel accepts periods of 1 ms to 1 s). */
export function cpuMaxValue(percent: number, periodMs: number): string {
  const periodUs = Math.min(1_000_000, Math.max(1_000, Math.round(periodMs * 1000)));
  const quotaUs = Math.max(1_000, Math.round((periodUs * percent) / 100));
  return `${quotaUs} ${periodUs}`;
}

export function writeCpuMax(dir: string, value: string): void {
  writeFileSync(path.join(dir, 'cpu.max'), value);
}
