/** Where a run's result is kept: `.chaos/results/<experiment-basename>-<ISO time>.json`, written atomically. */
import * as path from 'node:path';
import { atomicWriteFileSync, ensureParentDir } from '../store/atomicWrite';
import type { ExperimentResult } from './types';

export function saveResult(result: ExperimentResult, dir = '.chaos'): string {
  const base = result.file ? path.basename(result.file).replace(/\.(ya?ml|json)$/i, '') : 'experiment';
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const file = path.resolve(dir, 'results', `${base}-${stamp}.json`);
  ensureParentDir(file);
  atomicWriteFileSync(file, Buffer.from(JSON.stringify(result, null, 2) + '\n'));
  return file;
}
