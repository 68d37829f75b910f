/**
 * Finding, signalling and starting the processes an experiment names (process targets). Shared by the drivers that
 * act on processes (process-kill, cpu-throttle, clock-skew, cascading-failure) and by `chaos recover`, which works
 * from pids and commands written in the journal, so every function here takes plain data.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import type { ProcessTarget } from './types';

/** The command line of a live process (NUL-separated args joined by spaces), or undefined if there is none. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

/** The process's state letter from /proc (R, S, T = stopped, Z = zombie…), or undefined if it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/**
 * The name our start shells run under (argv[0]): `start` is a real shell command (`VAR=x cmd`, `cd dir && cmd`), so
 * the process started is a shell leading its own process group with the command below it. The name lets signals go
 * to the whole group and keeps the shell out of `match` lookups (its command line contains the command too).
 */
export const START_SHELL = 'chaos-testing-start';

export function isStartShell(pid: number): boolean {
  return commandLine(pid)?.startsWith(`${START_SHELL} -c `) ?? false;
}

/** Sends a signal (to a start shell's whole process group: the command under it too); false when it is gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(isStartShell(pid) ? -pid : pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Pids whose command line contains `match` (never this process or its parent: the runner itself matches often). */
export function pidsMatching(match: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || pid === process.ppid) continue;
    const cmd = commandLine(pid);
    if (cmd && cmd.includes(match) && !cmd.startsWith(`${START_SHELL} -c `) && isAlive(pid)) pids.push(pid);
  }
  return pids.sort((a, b) => a - b);
}

/** The pid a process target names now: from its pid file, or the one process matching. Throws a one-line error. */
export function resolvePid(target: ProcessTarget, cwd = process.cwd()): number {
  if (target.pidFile) {
    const file = path.resolve(target.cwd ?? cwd, target.pidFile);
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch {
      throw new InputError(`target '${target.name}': pid file ${file} cannot be read; is the process running?`);
    }
    const pid = Number(text);
    if (!Number.isInteger(pid) || pid <= 0) throw new InputError(`target '${target.name}': pid file ${file} holds '${text.slice(0, 20)}', not a pid`);
    if (!isAlive(pid)) throw new InputError(`target '${target.name}': process ${pid} from ${file} is not running`);
    return pid;
  }
  if (target.match) {
    const pids = pidsMatching(target.match);
    if (pids.length === 0) throw new InputError(`target '${target.name}': no running process matches '${target.match}'`);
    if (pids.length > 1) throw new InputError(`target '${target.name}': ${pids.length} processes match '${target.match}' (${pids.join(', ')}); make 'match' narrower or use a pidFile`);
    return pids[0];
  }
  throw new InputError(`target '${target.name}': a process target needs 'pidFile' or 'match'`);
}

export interface StartSpec {
  /** A shell command. */
  command: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Where to write the new pid (the target's pidFile), so later lookups find the new process. */
  pidFile?: string;
}

/**
 * Starts a command detached in its own process group (it outlives the run, as the process it replaces did), output
 * to /dev/null, and returns its pid: the start shell's, which lives as long as the command (see START_SHELL). With a
 * pidFile, writes the pid there (a program that writes its own pid file replaces it with the real one).
 */
export function startDetached(spec: StartSpec): number {
  return spawnStart(spec).pid;
}

/** How long a started command must stay up to count as started. */
export const START_SETTLE_MS = 300;

/**
 * startDetached, then waits `settleMs`: a command that exits at once with an error (a typo, a missing file, a port
 * in use) is an error, not a start. `exited` is set when it exited at once with code 0 (a command that daemonizes,
 * or one that did nothing): the caller decides from the target whether that started it.
 */
export async function startChecked(spec: StartSpec, settleMs = START_SETTLE_MS): Promise<{ pid: number; exited: boolean }> {
  const { pid, exit } = spawnStart(spec);
  const code = await Promise.race([exit, new Promise<undefined>((r) => setTimeout(r, settleMs))]);
  if (code === undefined) return { pid, exited: false };
  if (code !== 0) throw new InputError(`'${spec.command}' exited at once with ${code === 127 ? 'code 127 (command not found)' : `code ${code}`} (in ${spec.cwd ?? process.cwd()}); check the target's start command`);
  return { pid, exited: true };
}

function spawnStart(spec: StartSpec): { pid: number; exit: Promise<number | string> } {
  if (spec.cwd && !existsSync(spec.cwd)) throw new InputError(`cannot start '${spec.command}': its directory ${spec.cwd} does not exist`);
  // The command as written, not `exec <command>`: exec cannot take `VAR=x cmd` or `cd dir && cmd`.
  const child = spawn('/bin/sh', ['-c', spec.command], {
    argv0: START_SHELL,
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: 'ignore',
  });
  const exit = new Promise<number | string>((resolve) => {
    child.once('exit', (code, sig) => resolve(code ?? sig ?? 1));
    // A spawn failure after the pid is known arrives as an event; without a listener it would crash the run.
    child.once('error', () => resolve(1));
  });
  if (child.pid === undefined) throw new InputError(`cannot start '${spec.command}'`);
  child.unref();
  if (spec.pidFile) {
    writeFileSync(path.resolve(spec.cwd ?? process.cwd(), spec.pidFile), `${child.pid}\n`);
  }
  return { pid: child.pid, exit };
}

/** Waits until the process is gone (or `timeoutMs` passes); true if it went. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}
