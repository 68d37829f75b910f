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
