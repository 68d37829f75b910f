import * as path from 'node:path';
import type { ProfileKind } from '../../core/load/types';
import type { VSCode, vscodeTypes } from '../types';
import { PROFILES, type LoadRequest } from './loadArgs';
import type { LoadTerminal } from './loadTerminal';

export const LOAD_TASK_TYPE = 'chaos-testing-load';
/** Load specs the task provider offers, relative to each workspace folder. */
export const LOAD_SPEC_GLOB = '.chaos/load/*.{yaml,yml}';

/** A spec file, or a quick run's fields (as tasks.json may write them). */
export interface LoadTaskDefinition extends vscodeTypes.TaskDefinition {
  type: typeof LOAD_TASK_TYPE;
  spec?: string;
  target?: string;
  profile?: ProfileKind;
  duration?: string;
  level?: string;
  slo?: string;
}

/** Makes the task's terminal; `allowRemote` is true only when the user confirmed a remote target already. */
export type LoadTerminalFactory = (request: LoadRequest, cwd: string, allowRemote: boolean) => LoadTerminal;

function definitionOf(request: LoadRequest, cwd: string): LoadTaskDefinition {
  if (request.kind === 'spec') return { type: LOAD_TASK_TYPE, spec: path.relative(cwd, request.file) || request.file };
  return { type: LOAD_TASK_TYPE, target: request.target, profile: request.profile, duration: request.duration, level: request.level, slo: request.slo };
}

/** The request a tasks.json entry describes, or undefined when it describes none. */
export function requestOf(def: Partial<LoadTaskDefinition>, cwd: string): LoadRequest | undefined {
  if (typeof def.spec === 'string') return { kind: 'spec', file: path.resolve(cwd, def.spec) };
  if (typeof def.target !== 'string') return undefined;
  const profile = PROFILES.includes(def.profile as ProfileKind) ? (def.profile as ProfileKind) : 'constant';
  return { kind: 'quick', target: def.target, profile, duration: def.duration ?? '30s', level: def.level ?? '10', slo: def.slo ?? '' };
}

/** The task that runs one load test in a pseudoterminal (progress, Cancel, the live panel). */
export function loadTask(vscode: VSCode, folder: vscodeTypes.WorkspaceFolder, request: LoadRequest, terminal: LoadTerminalFactory, allowRemote = false): vscodeTypes.Task {
  const cwd = folder.uri.fsPath;
  const name = request.kind === 'spec' ? `Load test ${path.basename(request.file)}` : `Load test ${request.target} (${request.profile})`;
  const task = new vscode.Task(definitionOf(request, cwd), folder, name, 'Chaos Testing', new vscode.CustomExecution(async () => terminal(request, cwd, allowRemote)));
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
  return task;
}

/**
 * Offers one task per `.chaos/load/*.yaml` of each folder and resolves tasks.json entries of this type. Nothing in
 * an untrusted workspace: a load run sends traffic. A remote target is confirmed when the task starts.
 */
export class LoadTaskProvider implements vscodeTypes.TaskProvider {
  constructor(private readonly _vscode: VSCode, private readonly _terminal: LoadTerminalFactory) {}

  async provideTasks(): Promise<vscodeTypes.Task[]> {
    const vscode = this._vscode;
    if (!vscode.workspace.isTrusted) return [];
    const tasks: vscodeTypes.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const files = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, LOAD_SPEC_GLOB));
      for (const uri of files.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) tasks.push(loadTask(vscode, folder, { kind: 'spec', file: uri.fsPath }, this._terminal));
    }
    return tasks;
  }

  resolveTask(task: vscodeTypes.Task): vscodeTypes.Task | undefined {
    const folder = typeof task.scope === 'object' ? (task.scope as vscodeTypes.WorkspaceFolder) : this._vscode.workspace.workspaceFolders?.[0];
    if (!this._vscode.workspace.isTrusted || !folder) return undefined;
    const request = requestOf(task.definition as Partial<LoadTaskDefinition>, folder.uri.fsPath);
    if (!request) return undefined;
    const resolved = loadTask(this._vscode, folder, request, this._terminal);
    // VS Code requires the definition it gave us back, unchanged.
    return new this._vscode.Task(task.definition, folder, resolved.name, resolved.source, resolved.execution);
  }
}
