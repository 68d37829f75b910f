/**
 * The chaos journal (`.chaos/chaos-journal.json`): every fault's undo record is written here before the fault
 * starts and removed once its undo succeeded, so whatever a killed run left behind can be undone later by
 * `chaos recover` (or the next `chaos run`) from the records alone. Written atomically (temp file + rename), and
 * changed under a lock file: runs sharing a folder each read-modify-write it, and must not drop each other's entries.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeError, InputError, isChaosError } from '../errors';
import { atomicWriteFileSync, ensureParentDir } from '../store/atomicWrite';
import { withFileLock } from '../store/lock';
import { getDriver } from './drivers';
import { isAlive } from './process';
import type { UndoRecord } from './types';

export const JOURNAL_FILE = 'chaos-journal.json';

export interface JournalEntry {
  id: string;
  /** The run that applied the fault; its entries are left alone while it is alive. */
  runPid: number;
  experiment?: string;
  at: string;
  record: UndoRecord;
}

interface JournalFile {
  version: 1;
  entries: JournalEntry[];
}

export function journalPath(dir: string): string {
  return path.resolve(dir, JOURNAL_FILE);
}

export function readJournal(dir: string): JournalEntry[] {
  const file = journalPath(dir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed = JSON.parse(text) as JournalFile;
    if (!Array.isArray(parsed.entries)) throw new Error('no entries');
    return parsed.entries;
  } catch (e) {
    throw new InputError(`the chaos journal ${file} is not readable (${errorText(e)}); undo its faults by hand, then delete it`);
  }
}

function writeJournal(dir: string, entries: JournalEntry[]): void {
  const file = journalPath(dir);
  ensureParentDir(file);
  const body: JournalFile = { version: 1, entries };
  atomicWriteFileSync(file, Buffer.from(JSON.stringify(body, null, 2) + '\n'));
}

/** One run's handle on the journal: put (add or replace) an entry before a fault acts, drop it once undone. */
export class Journal {
  constructor(
    readonly dir: string,
    private readonly _experiment?: string,
  ) {}

  put(id: string, record: UndoRecord): void {
    this._locked(() => {
      const entries = readJournal(this.dir).filter((e) => e.id !== id);
      entries.push({ id, runPid: process.pid, ...(this._experiment ? { experiment: this._experiment } : {}), at: new Date().toISOString(), record });
      writeJournal(this.dir, entries);
    });
  }

  drop(id: string): void {
    this._locked(() => {
      const entries = readJournal(this.dir);
      const left = entries.filter((e) => e.id !== id);
      if (left.length !== entries.length) writeJournal(this.dir, left);
    });
  }

  private _locked(change: () => void): void {
    const file = journalPath(this.dir);
    ensureParentDir(file);
    withFileLock(file, change);
  }
}

export interface RecoverReport {
  undone: string[];
  failed: { action: string; error: string }[];
  /** Entries of runs still alive: not touched. */
  skipped: string[];
}

/**
 * Undoes every entry left by runs that are no longer alive (newest first), with each kind's driver.undo (which is
 * idempotent), and removes the entries that were undone. Entries that fail stay for another try.
 */
export async function recoverFromJournal(dir: string, log: (line: string) => void): Promise<RecoverReport> {
  const report: RecoverReport = { undone: [], failed: [], skipped: [] };
  const entries = readJournal(dir);
  for (const entry of [...entries].reverse()) {
    const label = `${entry.record.action} (${entry.record.kind})`;
    if (entry.runPid !== process.pid && isAlive(entry.runPid)) {
      report.skipped.push(label);
      log(`left alone: ${label} belongs to run pid ${entry.runPid}, which is still running`);
      continue;
    }
    const driver = getDriver(entry.record.kind);
    try {
      if (!driver) throw new Error(`action kind '${entry.record.kind}' is not available in this build`);
      await driver.undo(entry.record, log);
      new Journal(dir).drop(entry.id);
      report.undone.push(label);
    } catch (e) {
      report.failed.push({ action: label, error: errorText(e) });
      log(`could not undo ${label}: ${errorText(e)}`);
    }
  }
  return report;
}

/** One line: a ChaosError's own message, anything else with its code. */
function errorText(e: unknown): string {
  return isChaosError(e) ? e.message : describeError(e);
}
