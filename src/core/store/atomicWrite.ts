import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreError, describeError } from '../errors';

/**
 * Writes a file so that a reader (or a crash) sees the old bytes or the new bytes, never a mix: write a temp file
 * in the same folder, fsync it, rename it over the target.
 */
export function atomicWriteFileSync(file: string, data: Uint8Array): void {
  const tmp = path.join(path.dirname(file), `${tmpPrefix(file)}${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Creates the folder that will hold `file`, like `mkdirSync(dir, { recursive: true })` but walking up itself:
 * node's recursive mkdir never returns for a path under /proc (it retries ENOENT forever).
 */
export function ensureParentDir(file: string, mode?: number): void {
  const missing: string[] = [];
  let dir = path.dirname(path.resolve(file));
  for (let depth = 0; depth < 512; depth++) {
    try {
      if (!fs.statSync(dir).isDirectory()) throw new StoreError(`cannot use ${dir} as the folder for ${file}: it is a file, not a folder`);
      break;
    } catch (e) {
      if (e instanceof StoreError) throw e;
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreError(`cannot use the folder ${dir} for ${file}: ${describeError(e)}`);
    }
    missing.push(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d, mode === undefined ? undefined : { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreError(`cannot create the folder ${d} for ${file}: ${describeError(e)}`);
    }
  }
}

function tmpPrefix(file: string): string {
  return `.${path.basename(file)}.`;
}

/** Removes temp files a killed writer left beside `file`. Call only while holding the file's lock. */
export function removeStaleTempFiles(file: string): number {
  const prefix = tmpPrefix(file);
  let removed = 0;
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    return 0;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) {
      fs.rmSync(path.join(path.dirname(file), name), { force: true });
      removed++;
    }
  }
  return removed;
}
