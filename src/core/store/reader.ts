import * as fs from 'node:fs';
import { StoreError } from '../errors';
import { TrafficDb } from './database';

/**
 * Opens a database for reading. A running capture's journal is replayed in memory (so a reader sees what the
 * writer has journaled but not yet snapshotted); the file itself is never written here.
 */
export async function openForReading(file: string): Promise<TrafficDb> {
  if (!fs.existsSync(file)) throw new StoreError(`no traffic database at ${file}: capture some first with 'chaos-testing observe', or pass --db PATH`);
  return TrafficDb.open(file);
}
