import * as fs from 'node:fs';
import { StoreError, describeError } from '../errors';

/** One writer per database file: `traffic.db.lock` holds the writer's pid; a lock whose process is gone is taken over. */
export function lockPath(dbFile: string): string {
  return `${dbFile}.lock`;
}

export function acquireLock(dbFile: string): void {
  const file = lockPath(dbFile);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new StoreError(`cannot write beside ${dbFile}: ${describeError(e)} — choose a database path in a folder you can write to`);
      const holder = lockHolder(dbFile);
      if (holder !== null && holder !== process.pid && isAlive(holder)) {
        throw new StoreError(`${dbFile} is being written by another capture (pid ${holder}); stop it or choose another --output`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new StoreError(`cannot lock ${dbFile}; remove ${file} if no capture is running`);
}

export function releaseLock(dbFile: string): void {
  fs.rmSync(lockPath(dbFile), { force: true });
}

/** The pid of a live writer, or null. */
export function liveWriter(dbFile: string): number | null {
  const pid = lockHolder(dbFile);
  return pid !== null && isAlive(pid) ? pid : null;
}

function lockHolder(dbFile: string): number | null {
  try {
    const pid = Number(fs.readFileSync(lockPath(dbFile), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const LOCK_WAIT_MS = 10_000;
/** A lock file not yet holding a pid is being written; older than this, its writer died between create and write. */
const EMPTY_LOCK_STALE_MS = 2_000;

/**
 * Runs `fn` while holding `file.lock` (created with O_EXCL, so one process at a time), waiting for another holder
 * to finish: for short read-modify-write sections shared by processes, such as the chaos journal. A lock whose
 * holder is dead (a run killed inside the section) is taken over. Synchronous, like the sections it guards.
 */
export function withFileLock<T>(file: string, fn: () => T, timeoutMs = LOCK_WAIT_MS): T {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let wait = 1; !tryLock(file, deadline, timeoutMs); wait = Math.min(wait * 2, 20)) Atomics.wait(pause, 0, 0, wait);
  try {
    return fn();
  } finally {
    fs.rmSync(lockPath(file), { force: true });
  }
}

/**
 * The same lock around async work (e.g. a build and run in a folder several processes share), waiting without
 * blocking the event loop.
 */
export async function withFileLockAsync<T>(file: string, fn: () => Promise<T>, timeoutMs = LOCK_WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 5; !tryLock(file, deadline, timeoutMs); wait = Math.min(wait * 2, 200)) await new Promise((r) => setTimeout(r, wait));
  try {
    return await fn();
  } finally {
    fs.rmSync(lockPath(file), { force: true });
  }
}

/** Takes `file.lock` (O_EXCL) or removes a stale one; false while another live holder has it; throws past the deadline. */
function tryLock(file: string, deadline: number, timeoutMs: number): boolean {
  const lock = lockPath(file);
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreError(`cannot lock ${file}: ${describeError(e)}`);
  }
  if (isStale(lock)) fs.rmSync(lock, { force: true });
  else if (Date.now() > deadline) throw new StoreError(`${file} stayed locked by pid ${lockHolder(file) ?? '?'} for ${timeoutMs} ms; if no such process runs, remove ${lock}`);
  return false;
}

function isStale(lock: string): boolean {
  let text: string;
  let age: number;
  try {
    text = fs.readFileSync(lock, 'utf8').trim();
    age = Date.now() - fs.statSync(lock).mtimeMs;
  } catch {
    return false; // gone already: the next attempt takes it
  }
  const pid = Number(text);
  if (Number.isInteger(pid) && pid > 0) return pid !== process.pid && !isAlive(pid);
  return age > EMPTY_LOCK_STALE_MS;
}
