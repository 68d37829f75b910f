import type { PropertiesResult } from '../../core/properties/types';
import type { CliEntry } from '../chaos/cliEntry';
import { CliTerminal, type CliTaskExit } from '../cliTask/cliTerminal';
import type { VSCode, vscodeTypes } from '../types';

export const PROPERTIES_TASK_TYPE = 'chaos-testing-properties';

export interface PropertiesTaskDefinition extends vscodeTypes.TaskDefinition {
  type: typeof PROPERTIES_TASK_TYPE;
  /** The backend to test. */
  target: string;
  runs?: number;
  seed?: number;
}

export type PropertiesExit = CliTaskExit<PropertiesResult>;

/** `properties: 12/100 runs, 40 requests, 0 violations (searching)` → `12/100 runs, 0 violations (searching)`. */
const PROGRESS_LINE = /^properties: (\d+\/\d+) runs, \d+ requests, (\d+) violations? \((\w+)\)/;

/** The CLI arguments of a property run: JSON out, regression tests (none unless asked) under the workspace. */
export function propertiesArgs(database: string, cwd: string, def: Pick<PropertiesTaskDefinition, 'target' | 'runs' | 'seed'>): string[] {
  const args = ['properties', '--input', database, '--target', def.target, '--out', cwd, '--json'];
  if (def.runs !== undefined) args.push('--runs', String(def.runs));
  if (def.seed !== undefined) args.push('--seed', String(def.seed));
  return args;
}

/** The last line of the terminal: what the run found, in words. */
export function propertiesSummary(exit: PropertiesExit): string {
  const r = exit.result;
  if (!r) return `No result: ${exit.error ?? 'the run ended without one'}`;
  const verdict = r.aborted ? 'interrupted' : r.passed ? 'passed' : 'FAILED';
  return `Properties ${verdict}: ${r.aborted && r.runsRequested ? `${r.runs} of ${r.runsRequested}` : r.runs} runs, ${r.requests} requests, ${r.violations.length} violation${r.violations.length === 1 ? '' : 's'}; seed ${r.seed}.`;
}

export interface PropertiesTerminalOptions {
  database: string;
  cwd: string;
  definition: Pick<PropertiesTaskDefinition, 'target' | 'runs' | 'seed'>;
  onFinished(exit: PropertiesExit): unknown;
  cli?: CliEntry;
  graceMs?: number;
}

/** The terminal of a Run Properties task. Cancel is SIGINT: the CLI stops searching and prints what it found. */
export function propertiesTerminal(vscode: VSCode, o: PropertiesTerminalOptions): CliTerminal<PropertiesResult> {
  const args = propertiesArgs(o.database, o.cwd, o.definition);
  return new CliTerminal<PropertiesResult>(vscode, {
    args,
    cwd: o.cwd,
    cli: o.cli,
    graceMs: o.graceMs,
    cancelSignal: 'SIGINT',
    isResult: (v) => v.kind === 'properties',
    commandLine: `chaos-testing ${args.join(' ')}`,
    progressTitle: `Chaos Testing: property run against ${o.definition.target}`,
    cancelNote: 'stopping the search…',
    progressMessage: (line) => {
      const m = PROGRESS_LINE.exec(line);
      return m ? `${m[1]} runs, ${m[2]} violations (${m[3]})` : undefined;
    },
    summary: propertiesSummary,
    onFinished: o.onFinished,
  });
}

export type PropertiesTerminalFactory = (definition: PropertiesTaskDefinition, folder: vscodeTypes.WorkspaceFolder) => vscodeTypes.Pseudoterminal;

export function propertiesTask(vscode: VSCode, folder: vscodeTypes.WorkspaceFolder, definition: PropertiesTaskDefinition, terminal: PropertiesTerminalFactory): vscodeTypes.Task {
  const task = new vscode.Task(definition, folder, `Run properties against ${definition.target}`, 'Chaos Testing', new vscode.CustomExecution(async () => terminal(definition, folder)));
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
  return task;
}

/** Resolves tasks.json entries of this type (it offers none itself: a run needs a target). None when untrusted. */
export class PropertiesTaskProvider implements vscodeTypes.TaskProvider {
  constructor(private readonly _vscode: VSCode, private readonly _terminal: PropertiesTerminalFactory) {}

  provideTasks(): vscodeTypes.Task[] {
    return [];
  }

  resolveTask(task: vscodeTypes.Task): vscodeTypes.Task | undefined {
    const def = task.definition as Partial<PropertiesTaskDefinition>;
    const folder = typeof task.scope === 'object' ? (task.scope as vscodeTypes.WorkspaceFolder) : this._vscode.workspace.workspaceFolders?.[0];
    if (!this._vscode.workspace.isTrusted || typeof def.target !== 'string' || !folder) return undefined;
    const resolved = propertiesTask(this._vscode, folder, def as PropertiesTaskDefinition, this._terminal);
    return new this._vscode.Task(task.definition, folder, resolved.name, resolved.source, resolved.execution);
  }
}
