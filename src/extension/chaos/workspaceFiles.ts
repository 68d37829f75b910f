import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VSCode, vscodeTypes } from '../types';
import { isExperimentDocument } from './experimentDiagnostics';
import { EXPERIMENT_GLOB } from './experimentTask';

/** The files matching `glob` (relative to each workspace folder), by name. */
export async function findWorkspaceFiles(vscode: VSCode, glob: string): Promise<string[]> {
  const files: string[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    for (const u of await vscode.workspace.findFiles(new vscode.RelativePattern(folder, glob))) files.push(u.fsPath);
  }
  return files.sort((a, b) => a.localeCompare(b));
}

/** One of the files matching `glob`, picked (newest first if asked); `none` is the error when there are none. */
export async function pickWorkspaceFile(vscode: VSCode, o: { glob: string; placeHolder: string; none: string; newestFirst?: boolean }): Promise<string | undefined> {
  const files = await findWorkspaceFiles(vscode, o.glob);
  if (!files.length) throw new Error(o.none);
  const mtime = (f: string): number => fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (o.newestFirst) files.sort((a, b) => mtime(b) - mtime(a));
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const pick = await vscode.window.showQuickPick(files.map((f) => ({ label: path.basename(f), description: path.relative(root, path.dirname(f)), file: f })), { placeHolder: o.placeHolder });
  return pick?.file;
}

/** The experiment a command acts on: the file given (editor title, explorer), else the active experiment, else one picked. */
export async function experimentFile(vscode: VSCode, uri: vscodeTypes.Uri | undefined, placeHolder: string): Promise<string | undefined> {
  if (uri) return uri.fsPath;
  const active = vscode.window.activeTextEditor?.document;
  if (active && isExperimentDocument(active)) return active.uri.fsPath;
  return pickWorkspaceFile(vscode, {
    glob: EXPERIMENT_GLOB,
    placeHolder,
    none: 'no experiment files in .chaos/experiments/: write one (see examples/experiments/backend-restart.yaml)',
  });
}
