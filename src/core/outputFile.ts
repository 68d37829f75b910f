import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, describeError } from './errors';
import { atomicWriteFileSync } from './store/atomicWrite';

/**
 * Writes what a verb produced to the file its `flag` names, atomically (temp file + rename), after checking what
 * would otherwise end in data loss or a raw system error: a path that is one of the verb's inputs (a report written
 * over the database it was read from), a directory, or a folder that does not exist.
 */
export function writeOutputFile(flag: string, file: string, data: string | Uint8Array, inputs: ReadonlyArray<string | null | undefined>): void {
  const target = path.resolve(file);
  for (const input of inputs) {
    if (input && sameFile(target, path.resolve(input))) throw new InputError(`${flag} ${file} is also the input ${input}: writing it would replace what was read; choose another path`);
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(target);
  } catch {
    // Not there yet: the usual case.
  }
  if (stat?.isDirectory()) throw new InputError(`${flag} ${file} is a directory; give a file path`);
  const dir = path.dirname(target);
  if (!fs.existsSync(dir)) throw new InputError(`${flag} ${file}: the folder ${path.dirname(file)} does not exist; create it or choose another path`);
  try {
    atomicWriteFileSync(target, typeof data === 'string' ? Buffer.from(data) : data);
  } catch (e) {
    throw new InputError(`cannot write ${flag} ${file}: ${describeError(e)}; choose a writable path`);
  }
}

/** The same file: the same path, or (when both exist) the same inode through a link or another spelling. */
function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    const x = fs.statSync(a);
    const y = fs.statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
