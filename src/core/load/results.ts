/**
 * Where load results are kept: `.chaos/results/load-<ISO time>.json` (written atomically) and, when the traffic
 * database exists, its `runs` table (kind 'load'). `readLoadResult` finds one again by run id or file.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InputError, describeError } from '../errors';
import { atomicWriteFileSync, ensureParentDir } from '../store/atomicWrite';
import { openForReading } from '../store/reader';
import { saveRun } from '../store/runs';
import type { LoadResult } from './types';

export function saveLoadResultFile(result: LoadResult, dir = '.chaos'): string {
  const stamp = new Date(result.startedAt).toISOString().replace(/[:.]/g, '-');
  const file = path.resolve(dir, 'results', `load-${stamp}.json`);
  ensureParentDir(file);
  atomicWriteFileSync(file, Buffer.from(JSON.stringify(result, null, 2) + '\n'));
  return file;
}

/** Stores the run in the database's runs table when the file exists; the note says where (or why not). */
export async function storeLoadRun(result: LoadResult, database: string): Promise<string> {
  if (!existsSync(database)) return `not stored in a database: there is none at ${database}`;
  return (await saveRun(database, { kind: 'load', spec: result.spec, result, startedAt: result.startedAt, finishedAt: result.finishedAt })).note;
}

/** A result by run id (in `database`) or by JSON file. */
export async function readLoadResult(ref: string, database: string): Promise<{ result: LoadResult; label: string }> {
  if (/^\d+$/.test(ref) && !existsSync(ref)) {
    const db = await openForReading(database);
    try {
      const [row] = db.query('SELECT kind, result FROM runs WHERE id = ?', [Number(ref)]);
      if (!row) throw new InputError(`${database} has no run ${ref}; give a load run's id or a result file (.chaos/results/load-*.json)`);
      if (row.kind !== 'load') throw new InputError(`run ${ref} in ${database} is a ${String(row.kind)} run, not a load run`);
      return { result: asLoadResult(JSON.parse(String(row.result)), `run ${ref}`), label: `run ${ref}` };
    } finally {
      db.close();
    }
  }
  let text: string;
  try {
    text = readFileSync(ref, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${ref} (${describeError(e)}); give a load run's id or a result file (.chaos/results/load-*.json)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError(`${ref} is not JSON; give a load result file written by 'chaos-testing load' (.chaos/results/load-*.json)`);
  }
  return { result: asLoadResult(parsed, ref), label: path.basename(ref) };
}

function asLoadResult(value: unknown, where: string): LoadResult {
  const r = value as Partial<LoadResult> | null;
  if (!r || r.kind !== 'load' || !r.latency || !r.totals) throw new InputError(`${where} is not a load result (written by 'chaos-testing load')`);
  return r as LoadResult;
}
