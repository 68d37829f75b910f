import type { ReadinessResult } from '../../core/readiness/types';
import type { CliEntry } from '../chaos/cliEntry';
import { CliTerminal, type CliTaskExit } from '../cliTask/cliTerminal';
import type { VSCode, vscodeTypes } from '../types';

export const READINESS_TASK_TYPE = 'chaos-testing-readiness';
export const DEFAULT_SUITE = '.chaos/suite.yaml';
export const DEFAULT_REPORTS = '.chaos/reports';

export interface ReadinessTaskDefinition extends vscodeTypes.TaskDefinition {
  type: typeof READINESS_TASK_TYPE;
  /** The suite file, relative to the workspace folder (default .chaos/suite.yaml). */
  suite?: string;
  /** Only checks of these kinds. */
  only?: string[];
}

export type ReadinessExit = CliTaskExit<ReadinessResult>;

/** `[2/5] chaos: The API answers again ...` → `2/5 chaos: The API answers again`. */
const PROGRESS_LINE = /^\[(\d+\/\d+)\] (\w+): (.+?)(?: \.\.\.|: (?:passed|failed|error|skipped) \(.*\))$/;

export function readinessArgs(def: Pick<ReadinessTaskDefinition, 'suite' | 'only'>): string[] {
  return ['ci', '--suite', def.suite ?? DEFAULT_SUITE, '--out', DEFAULT_REPORTS, '--json', ...(def.only ?? []).flatMap((k) => ['--only', k])];
}

/** The last line of the terminal: the verdict and the checks that failed. */
export function readinessSummary(exit: ReadinessExit): string {
  const r = exit.result;
  if (!r) return `No result: ${exit.error ?? 'the suite ended without one'}`;
  const passed = r.checks.filter((c) => c.status === 'passed').length;
  const failed = r.checks.filter((c) => c.status === 'failed' || c.status === 'error').map((c) => c.name);
  const verdict = r.passed ? 'ready' : r.aborted ? 'stopped' : 'NOT ready';
  return `Readiness: ${verdict}: ${passed} of ${r.checks.length} checks passed${failed.length ? `; failed: ${failed.join(', ')}` : ''}.`;
}

export interface ReadinessTerminalOptions {
  cwd: string;
  definition: Pick<ReadinessTaskDefinition, 'suite' | 'only'>;
  onFinished(exit: ReadinessExit): unknown;
  cli?: CliEntry;
  graceMs?: number;
}

/** The terminal of a Run Readiness Suite task. Cancel is SIGINT: the check in hand stops (rollbacks run), the rest are skipped. */
export function readinessTerminal(vscode: VSCode, o: ReadinessTerminalOptions): CliTerminal<ReadinessResult> {
  const args = readinessArgs(o.definition);
  return new CliTerminal<ReadinessResult>(vscode, {
    args,
    cwd: o.cwd,
    cli: o.cli,
    graceMs: o.graceMs,
    cancelSignal: 'SIGINT',
    isResult: (v) => v.kind === 'readiness',
    commandLine: `chaos-testing ${args.join(' ')}`,
    progressTitle: 'Chaos Testing: readiness suite',
    cancelNote: 'stopping the check in hand (rollbacks still run)…',
    progressMessage: (line) => {
      const m = PROGRESS_LINE.exec(line);
      return m ? `${m[1]} ${m[2]}: ${m[3]}` : undefined;
    },
    summary: readinessSummary,
    onFinished: o.onFinished,
  });
}

export type ReadinessTerminalFactory = (definition: ReadinessTaskDefinition, folder: vscodeTypes.WorkspaceFolder) => vscodeTypes.Pseudoterminal;

export function readinessTask(vscode: VSCode, folder: vscodeTypes.WorkspaceFolder, definition: ReadinessTaskDefinition, terminal: ReadinessTerminalFactory): vscodeTypes.Task {
  const task = new vscode.Task(definition, folder, `Run readiness suite ${definition.suite ?? DEFAULT_SUITE}`, 'Chaos Testing', new vscode.CustomExecution(async () => terminal(definition, folder)));
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
  return task;
}

/** Offers the workspace's suite as a task and resolves tasks.json entries of this type. None when untrusted. */
export class ReadinessTaskProvider implements vscodeTypes.TaskProvider {
  constructor(private readonly _vscode: VSCode, private readonly _terminal: ReadinessTerminalFactory, private readonly _hasSuite: (folder: vscodeTypes.WorkspaceFolder) => boolean) {}

  provideTasks(): vscodeTypes.Task[] {
    if (!this._vscode.workspace.isTrusted) return [];
    return (this._vscode.workspace.workspaceFolders ?? []).filter(this._hasSuite).map((folder) => readinessTask(this._vscode, folder, { type: READINESS_TASK_TYPE }, this._terminal));
  }

  resolveTask(task: vscodeTypes.Task): vscodeTypes.Task | undefined {
    const folder = typeof task.scope === 'object' ? (task.scope as vscodeTypes.WorkspaceFolder) : this._vscode.workspace.workspaceFolders?.[0];
    if (!this._vscode.workspace.isTrusted || !folder) return undefined;
    const resolved = readinessTask(this._vscode, folder, task.definition as ReadinessTaskDefinition, this._terminal);
    return new this._vscode.Task(task.definition, folder, resolved.name, resolved.source, resolved.execution);
  }
}
