/**
 * Starting the small helper processes some drivers need (the CPU duty cycle, the memory hog) and finding them again.
 * A helper is detached (its own session: a Ctrl-C in the terminal goes to the run, which undoes it), knows its owner
 * (the run) and a deadline, and gives up by itself when either passes. Its command line carries a random tag, written
 * to the journal before it starts, so `chaos recover` finds it even if the run died before journaling its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../errors';
import { isAlive, pidsMatching } from '../process';
import { identify, type ProcessIdentity } from '../processIdentity';

export type HelperName = 'cpuThrottle' | 'memoryHog';

/** dist/<name>.js beside the bundle or in the repo's dist/, else the source under tsx (tests before a build). */
export function helperEntry(name: HelperName): { file: string; execArgv: string[] } {
  for (const js of [path.join(__dirname, `${name}.js`), path.resolve(__dirname, '..', '..', '..', '..', 'dist', `${name}.js`)]) {
    if (fs.existsSync(js)) return { file: js, execArgv: [] };
  }
  return { file: path.join(__dirname, `${name}.ts`), execArgv: ['--import', 'tsx'] };
}

export function newHelperTag(): string {
  return `chaos-helper-${randomBytes(6).toString('hex')}`;
}

/** Starts a helper owned by this process; `pipeStdout` when the driver waits for a line from it. */
export function launchHelper(name: HelperName, options: { tag: string; deadline: number; args: Record<string, string | number>; pipeStdout?: boolean }): ChildProcess {
  const entry = helperEntry(name);
  const args = [...entry.execArgv, entry.file, '--owner', String(process.pid), '--deadline', String(options.deadline), '--tag', options.tag];
  for (const [k, v] of Object.entries(options.args)) args.push(`--${k}`, String(v));
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', options.pipeStdout ? 'pipe' : 'ignore', 'ignore'],
    // In the editor, process.execPath is the editor's own binary; this makes it behave as plain Node.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    cwd: entry.execArgv.length ? path.resolve(__dirname, '..', '..', '..', '..') : undefined,
  });
  if (child.pid === undefined) throw new InputError(`cannot start the ${name} helper (${entry.file})`);
  child.on('error', () => undefined);
  child.unref();
  return child;
}

/** Pids of live helpers carrying the tag. */
export function helpersTagged(tag: string): number[] {
  return pidsMatching(`--tag ${tag}`);
}

/**
 * The helper's identity once it runs its own code: right after spawn its command line is still the parent's (the
 * exec has not happened), and a journal holding that would never match it again.
 */
export async function helperIdentity(name: HelperName, pid: number, tag: string, timeoutMs = 10_000): Promise<ProcessIdentity> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const id = identify(pid);
    if (id?.cmdline.includes(tag)) return id;
    if (!isAlive(pid)) throw new InputError(`the ${name} helper exited as it started (is ${helperEntry(name).file} built? run npm run build)`);
    if (Date.now() > deadline) throw new InputError(`the ${name} helper did not start within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
