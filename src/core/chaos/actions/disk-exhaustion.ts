/**
 * disk-exhaustion: fills the filesystem of a directory target until it is `percent` full (as df counts it), never
 * leaving less than `floorMiB` free, with one filler file `.chaos-filler-<id>` inside the directory. Written in
 * chunks of incompressible bytes, re-checking free space and the run's signal between chunks. Undo deletes it.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../errors';
import type { ActionDriver, UndoRecord } from '../types';
import { argumentProblem, directoryPath, targetProblems } from './localTargets';

const MIB = 1024 * 1024;
const CHUNK = 4 * MIB;
export const FILLER_PREFIX = '.chaos-filler-';

type FillerData = { file: string; bytes: number };

/** Bytes to add so the filesystem is `percent` full (used / (used + available), as df), keeping `floorMiB` free. */
export function bytesToFill(s: fs.StatsFs, percent: number, floorMiB: number): number {
  const used = (s.blocks - s.bfree) * s.bsize;
  const available = s.bavail * s.bsize;
  const toPercent = Math.ceil((percent / 100) * (used + available)) - used;
  const toFloor = available - floorMiB * MIB;
  return Math.max(0, Math.min(toPercent, toFloor));
}

function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Appends up to `want` bytes in chunks, stopping at the floor, on ENOSPC or when the run is cancelled. */
async function fill(handle: fs.promises.FileHandle, data: FillerData, want: number, dir: string, floorMiB: number, signal: AbortSignal): Promise<void> {
  const chunk = randomBytes(CHUNK); // incompressible: a compressing filesystem still fills
  while (data.bytes < want && !signal.aborted) {
    // Other writers may be filling the disk too: never go below the floor, whatever was planned.
    const n = Math.min(CHUNK, want - data.bytes, freeBytes(dir) - floorMiB * MIB);
    if (n <= 0) break;
    try {
      await handle.write(chunk, 0, n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
      throw e;
    }
    data.bytes += n;
  }
  await handle.sync();
}

export const driver: ActionDriver<'disk-exhaustion'> = {
  kind: 'disk-exhaustion',

  check(action, experiment) {
    const problems = targetProblems(action, experiment, 'directory');
    const { percent, floorMiB } = action.arguments;
    if (!(percent > 0 && percent <= 100)) problems.push(argumentProblem(action, 'percent', `percent must be above 0 and at most 100, not ${percent}`));
    if (!(floorMiB >= 0)) problems.push(argumentProblem(action, 'floor', `floor must be 0 MiB or more, not ${floorMiB}`));
    return problems;
  },

  async apply(action, ctx) {
    const { percent, floorMiB } = action.arguments;
    const dir = directoryPath(ctx.experiment, action.target);
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new InputError(`target '${action.target}': ${dir} is not a directory`);
    const data: FillerData = { file: path.join(dir, `${FILLER_PREFIX}${randomBytes(6).toString('hex')}`), bytes: 0 };
    const record: UndoRecord = { action: action.name, kind: 'disk-exhaustion', data };
    const want = bytesToFill(fs.statfsSync(dir), percent, floorMiB);
    ctx.journal(record);
    const handle = await fs.promises.open(data.file, 'wx');
    try {
      await fill(handle, data, want, dir, floorMiB, ctx.signal);
    } catch (e) {
      await handle.close().catch(() => undefined);
      await driver.undo(record, ctx.log);
      throw e;
    }
    await handle.close();
    ctx.journal(record);
    const s = fs.statfsSync(dir);
    const full = Math.round((100 * (s.blocks - s.bfree)) / (s.blocks - s.bfree + s.bavail));
    ctx.log(`disk-exhaustion: wrote ${Math.round(data.bytes / MIB)} MiB to ${data.file}; the filesystem is ${full}% full, ${Math.round((s.bavail * s.bsize) / MIB)} MiB free`);
    return record;
  },

  async undo(record, log) {
    const { file } = record.data as FillerData;
    if (!path.basename(file).startsWith(FILLER_PREFIX)) throw new InputError(`disk-exhaustion: refusing to delete ${file}, which is not a filler file`);
    const existed = fs.existsSync(file);
    fs.rmSync(file, { force: true });
    log(`disk-exhaustion: ${existed ? `deleted ${file}` : `${file} already gone`}`);
  },

  describe(action, experiment) {
    const { percent, floorMiB } = action.arguments;
    const target = experiment.targets[action.target];
    const where = target?.kind === 'directory' ? target.path : action.target;
    return `fill the filesystem of ${where} to ${percent}% with a filler file, keeping at least ${floorMiB} MiB free`;
  },
};
