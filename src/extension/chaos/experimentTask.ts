import * as path from 'node:path';
import type { VSCode, vscodeTypes } from '../types';
import { ExperimentTerminal, type ExperimentTerminalOptions } from './experimentTerminal';

export const EXPERIMENT_TASK_TYPE = 'chaos-testing-experiment';
/** Experiment files the task provider offers, relative to each workspace folder. */
export const EXPERIMENT_GLOB = '.chaos/experiments/*.{yaml,yml}';

export interface ExperimentTaskDefinition extends vscodeTypes.TaskDefinition {
  type: typeof EXPERIMENT_TASK_TYPE;
  /** The experiment file, relative to the workspace folder. */
  file: string;
}

export type TerminalFactory = (options: Pick<ExperimentTerminalOptions, 'file' | 'cwd'>) => ExperimentTerminal;

/** The task that runs one experiment file in a pseudoterminal (progress, Cancel, rollbacks). */
export function experimentTask(vscode: VSCode, folder: vscodeTypes.WorkspaceFolder, file: string, terminal: TerminalFactory): vscodeTypes.Task {
  const cwd = folder.uri.fsPath;
  const absolute = path.resolve(cwd, file);
  const definition: ExperimentTaskDefinition = { type: EXPERIMENT_TASK_TYPE, file: path.relative(cwd, absolute) || absolute };
  const task = new vscode.Task(
    definition,
    folder,
    `Run experiment ${path.basename(file)}`,
    'Chaos Testing',
    new vscode.CustomExecution(async () => terminal({ file: absolute, cwd })),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
  return task;
}

/**
 * Offers one task per `.chaos/experiments/*.yaml` of each folder, and resolves tasks.json entries of this type.
 * Nothing in an untrusted workspace: a run acts on processes and the network.
 */
export class ExperimentTaskProvider implements vscodeTypes.TaskProvider {
  constructor(private readonly _vscode: VSCode, private readonly _terminal: TerminalFactory) {}

  async provideTasks(): Promise<vscodeTypes.Task[]> {
    const vscode = this._vscode;
    if (!vscode.workspace.isTrusted) return [];
    const tasks: vscodeTypes.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const files = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, EXPERIMENT_GLOB));
      for (const uri of files.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) tasks.push(experimentTask(vscode, folder, uri.fsPath, this._terminal));
    }
    return tasks;
  }

  resolveTask(task: vscodeTypes.Task): vscodeTypes.Task | undefined {
    const def = task.definition as Partial<ExperimentTaskDefinition>;
    const folder = typeof task.scope === 'object' ? (task.scope as vscodeTypes.WorkspaceFolder) : this._vscode.workspace.workspaceFolders?.[0];
    if (!this._vscode.workspace.isTrusted || typeof def.file !== 'string' || !folder) return undefined;
    const resolved = experimentTask(this._vscode, folder, def.file, this._terminal);
    // VS Code requires the definition it gave us back, unchanged.
    return new this._vscode.Task(task.definition, folder, resolved.name, resolved.source, resolved.execution);
  }
}
