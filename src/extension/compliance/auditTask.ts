import type { AuditResult, Framework } from '../../core/compliance/types';
import type { CliEntry } from '../chaos/cliEntry';
import { CliTerminal, type CliTaskExit } from '../cliTask/cliTerminal';
import type { VSCode, vscodeTypes } from '../types';

export const AUDIT_TASK_TYPE = 'chaos-testing-audit';

export interface AuditTaskDefinition extends vscodeTypes.TaskDefinition {
  type: typeof AUDIT_TASK_TYPE;
  /** fisma, fedramp, soc2, hipaa, pci-dss, or all. */
  framework: Framework | 'all';
  /** Connect to the HTTPS hosts in the traffic to check TLS; never in Restricted Mode. */
  probeTls?: boolean;
}

export type AuditExit = CliTaskExit<AuditResult>;

/**
 * The CLI arguments of an audit: JSON out, every finding reported (the exit code is not the editor's verdict), TLS
 * probed only when asked and the workspace is trusted; no local container tool asked for digests in Restricted Mode.
 */
export function auditArgs(database: string, workspace: string, def: Pick<AuditTaskDefinition, 'framework' | 'probeTls'>, trusted: boolean): string[] {
  const args = ['audit', '--framework', def.framework, '--input', database, '--workspace', workspace, '--format', 'json', '--fail-on', 'none'];
  if (def.probeTls && trusted) args.push('--probe-tls');
  if (!trusted) args.push('--image-tool', 'none');
  return args;
}

export function auditSummary(exit: AuditExit): string {
  const r = exit.result;
  if (!r) return `No result: ${exit.error ?? 'the audit ended without one'}`;
  const failing = r.summaries.map((s) => `${s.framework} ${s.failing.length}/${s.assessed.length} failing`).join(', ');
  return `Audit: ${r.findings.length} findings over ${r.inputs.exchanges} exchanges and ${r.inputs.files} files; controls: ${failing}.`;
}

export interface AuditTerminalOptions {
  database: string;
  workspace: string;
  definition: Pick<AuditTaskDefinition, 'framework' | 'probeTls'>;
  trusted: boolean;
  onFinished(exit: AuditExit): unknown;
  cli?: CliEntry;
}

export function auditTerminal(vscode: VSCode, o: AuditTerminalOptions): CliTerminal<AuditResult> {
  const args = auditArgs(o.database, o.workspace, o.definition, o.trusted);
  return new CliTerminal<AuditResult>(vscode, {
    args,
    cwd: o.workspace,
    cli: o.cli,
    graceMs: 5_000,
    isResult: (v) => Array.isArray(v.findings) && Array.isArray(v.summaries),
    commandLine: `chaos-testing ${args.join(' ')}`,
    progressTitle: `Chaos Testing: auditing for ${o.definition.framework === 'all' ? 'every framework' : o.definition.framework}`,
    cancelNote: 'stopping the audit…',
    summary: auditSummary,
    onFinished: o.onFinished,
  });
}

export type AuditTerminalFactory = (definition: AuditTaskDefinition, folder: vscodeTypes.WorkspaceFolder) => vscodeTypes.Pseudoterminal;

export function auditTask(vscode: VSCode, folder: vscodeTypes.WorkspaceFolder, definition: AuditTaskDefinition, terminal: AuditTerminalFactory): vscodeTypes.Task {
  const task = new vscode.Task(definition, folder, `Compliance audit (${definition.framework})`, 'Chaos Testing', new vscode.CustomExecution(async () => terminal(definition, folder)));
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
  return task;
}

/** Offers one audit task (all frameworks) per folder and resolves tasks.json entries; also in Restricted Mode (read-only). */
export class AuditTaskProvider implements vscodeTypes.TaskProvider {
  constructor(private readonly _vscode: VSCode, private readonly _terminal: AuditTerminalFactory) {}

  provideTasks(): vscodeTypes.Task[] {
    return (this._vscode.workspace.workspaceFolders ?? []).map((f) => auditTask(this._vscode, f, { type: AUDIT_TASK_TYPE, framework: 'all' }, this._terminal));
  }

  resolveTask(task: vscodeTypes.Task): vscodeTypes.Task | undefined {
    const def = task.definition as Partial<AuditTaskDefinition>;
    const folder = typeof task.scope === 'object' ? (task.scope as vscodeTypes.WorkspaceFolder) : this._vscode.workspace.workspaceFolders?.[0];
    if (typeof def.framework !== 'string' || !folder) return undefined;
    const resolved = auditTask(this._vscode, folder, def as AuditTaskDefinition, this._terminal);
    return new this._vscode.Task(task.definition, folder, resolved.name, resolved.source, resolved.execution);
  }
}
