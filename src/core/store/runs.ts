import { describeError, isChaosError } from '../errors';
import { TrafficDb } from './database';
import type { NewRun } from './database';
import { acquireLock, liveWriter, releaseLock } from './lock';

/**
 * Stores an engine run in the database file's `runs` table, unless a capture is writing the file: then it is left
 * alone (a capture owns its file; two writers would lose one's changes) and the note says so. Never throws.
 */
export async function saveRun(file: string, run: NewRun): Promise<{ saved: boolean; note: string }> {
  const writer = liveWriter(file);
  if (writer !== null) return { saved: false, note: `not stored in ${file}: a capture (pid ${writer}) is writing it` };
  try {
    acquireLock(file);
  } catch (e) {
    return { saved: false, note: `not stored in ${file}: ${isChaosError(e) ? e.message : describeError(e)}` };
  }
  try {
    const db = await TrafficDb.open(file);
    try {
      const id = db.addRun(run);
      db.save();
      return { saved: true, note: `stored as run ${id} in ${file}` };
    } finally {
      db.close();
    }
  } catch (e) {
    return { saved: false, note: `not stored in ${file}: ${isChaosError(e) ? e.message : describeError(e)}` };
  } finally {
    releaseLock(file);
  }
}
