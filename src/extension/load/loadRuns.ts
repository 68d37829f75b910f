import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StoredRun } from '../../core/store/database';
import type { LoadResult } from '../../core/load/types';
import type { VSCode } from '../types';
import { findWorkspaceFiles } from '../chaos/workspaceFiles';
import { isLoadResult } from './loadProcess';
import { formatLatency, verdict } from './loadTerminal';
import type { LabeledLoadResult } from './types';

/** Load results saved as files by `chaos-testing load`. */
export const LOAD_RESULTS_GLOB = '.chaos/results/load-*.json';

/** A stored run as the picker offers it. */
export interface LoadRunChoice extends LabeledLoadResult {
  description: string;
  detail: string;
  finishedAt: number;
}

function describe(r: LoadResult): string {
  return `${new Date(r.startedAt).toLocaleString()} · ${Math.round(r.rps)} req/s · p99 ${formatLatency(r.latency.p99)} · ${verdict(r)}`;
}

function parse(text: string | null): LoadResult | undefined {
  try {
    const v = JSON.parse(text ?? '') as unknown;
    return isLoadResult(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every stored load run: the traffic database's `runs` of kind 'load' and the workspace's load-*.json files, newest
 * first, each run once. A row or file that is not a load result is left out (and counted in `skipped`).
 */
export async function loadRunChoices(vscode: VSCode, rows: StoredRun[], database: string | undefined): Promise<{ choices: LoadRunChoice[]; skipped: number }> {
  const choices: LoadRunChoice[] = [];
  let skipped = 0;
  const dbName = database ? path.basename(database) : 'the database';
  for (const row of rows) {
    const result = parse(row.result);
    if (!result) {
      skipped++;
      continue;
    }
    choices.push({ label: `Run ${row.id} in ${dbName}: ${result.spec.name}`, description: describe(result), detail: result.spec.target, result, finishedAt: row.finishedAt ?? row.startedAt });
  }
  // The CLI stores a run in both places: the file of a run already listed from the database adds nothing.
  const seen = new Set(choices.map((c) => `${c.result.startedAt}|${c.result.spec.name}`));
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  for (const file of await findWorkspaceFiles(vscode, LOAD_RESULTS_GLOB)) {
    const result = parse(fs.readFileSync(file, 'utf8'));
    if (!result) {
      skipped++;
      continue;
    }
    if (seen.has(`${result.startedAt}|${result.spec.name}`)) continue;
    choices.push({ label: path.basename(file), description: describe(result), detail: `${result.spec.target} · ${path.relative(root, file)}`, result, finishedAt: result.finishedAt });
  }
  choices.sort((a, b) => b.finishedAt - a.finishedAt);
  return { choices, skipped };
}
