/** Helpers for chaos tests: the fixture backend as a real process, free ports, experiment files. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { isAlive, pidsMatching } from '../../src/core/chaos/process';
import { closedPort, ROOT, waitFor, request } from './index';

export const BACKEND = path.join(ROOT, 'test', 'fixtures', 'chaos', 'backend.js');

export interface Backend {
  port: number;
  pidFile: string;
  /** The command a process target's `start` runs to bring it back (with `env`). */
  start: string;
  pid(): number | undefined;
}

export function pidFromFile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the fixture backend on a free port, writing its pid to `dir/backend.pid`, and waits until it answers.
 * When the test ends, whatever process the pid file names then (a restarted one too) is killed.
 */
export async function startBackend(t: TestContext, dir: string, env: Record<string, string> = {}): Promise<Backend> {
  const port = await closedPort();
  const pidFile = path.join(dir, 'backend.pid');
  const child = spawn(process.execPath, [BACKEND], { env: { ...process.env, PORT: String(port), PID_FILE: pidFile, ...env }, stdio: 'ignore' });
  const pid = (): number | undefined => pidFromFile(pidFile);
  // By environment, not by pid file: tmpDir's cleanup may remove the file first, and restarts write new pids.
  t.after(() => {
    for (const p of [child.pid, ...backendsWithPidFile(pidFile)]) if (p && isAlive(p)) process.kill(p, 'SIGKILL');
  });
  await waitFor(async () => (await request(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status, 10_000, 'the backend to answer');
  return { port, pidFile, start: `${JSON.stringify(process.execPath)} ${JSON.stringify(BACKEND)}`, pid };
}

/** Live fixture backends started with PID_FILE=file (the first one, restarts, recoveries). */
export function backendsWithPidFile(file: string): number[] {
  return pidsMatching(BACKEND).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`PID_FILE=${file}`);
    } catch {
      return false;
    }
  });
}

export function writeExperiment(dir: string, name: string, yaml: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  return file;
}
