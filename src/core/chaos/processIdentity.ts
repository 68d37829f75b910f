/**
 * A process as the journal remembers it: pid, start time and (for people reading the journal) command line. A pid
 * alone may be reused by an unrelated process after the one we acted on exits; undo (often in a fresh `chaos recover`
 * process) signals a pid only when its start time still matches, so it never kills or stops a stranger. The command
 * line is not compared: it changes when a process execs (a shell wrapper, a version-manager shim).
 */
import { readFileSync } from 'node:fs';
import { commandLine, isAlive, signal, waitForExit } from './process';

export interface ProcessIdentity {
  pid: number;
  cmdline: string;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot at which the process started. */
  startTicks: number;
}

function startTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

/** The identity of a live process, or undefined if it is gone. */
export function identify(pid: number): ProcessIdentity | undefined {
  const cmdline = commandLine(pid);
  const ticks = startTicks(pid);
  if (cmdline === undefined || ticks === undefined || !isAlive(pid)) return undefined;
  return { pid, cmdline, startTicks: ticks };
}

/** Still running, and still the same process (not a reused pid). */
export function isSameProcess(id: ProcessIdentity | undefined): id is ProcessIdentity {
  return id !== undefined && isAlive(id.pid) && startTicks(id.pid) === id.startTicks;
}

/** Signals the process only if it is still the one remembered; false when it is gone or a stranger holds the pid. */
export function signalSame(id: ProcessIdentity | undefined, sig: NodeJS.Signals): boolean {
  return isSameProcess(id) && signal(id.pid, sig);
}

/**
 * Ends the remembered process: `first` (SIGTERM by default), then SIGKILL after `graceMs`. Also continues it, since
 * a stopped process cannot act on SIGTERM. True once it is gone (or was never there).
 */
export async function stopSame(id: ProcessIdentity | undefined, graceMs = 5_000, first: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
  if (!isSameProcess(id)) return true;
  signal(id.pid, first);
  signal(id.pid, 'SIGCONT');
  if (await waitForExit(id.pid, graceMs)) return true;
  if (isSameProcess(id)) signal(id.pid, 'SIGKILL');
  return waitForExit(id.pid, 2_000);
}

/** The environment a process was started with (readable for our own user's processes, or as root). */
export function environOf(pid: number): Record<string, string> | undefined {
  try {
    const env: Record<string, string> = {};
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  } catch {
    return undefined;
  }
}
