import * as path from 'node:path';
import type { AuditResult, Framework } from '../../core/compliance/types';
import type { CliEntry } from '../chaos/cliEntry';
import { DisposableBase } from '../disposable';
import type { VSCode, vscodeTypes } from '../types';
import { AuditCodeActions } from './auditCodeActions';
import { AuditDiagnostics } from './auditDiagnostics';
import { AUDIT_TASK_TYPE, AuditTaskProvider, auditTask, auditTerminal, type AuditExit, type AuditTaskDefinition, type AuditTerminalFactory } from './auditTask';

export interface AuditFeaturesOptions {
  /** The traffic database to audit (the views' one); traffic rules are skipped when it does not exist. */
  database(): string | undefined;
  /** Opens the audit panel (injected: fast tests have no webviews). */
  showResults(result: AuditResult, workspace: string): void;
  cli?: CliEntry;
}

const FRAMEWORK_ITEMS: Array<{ label: string; description: string; framework: Framework | 'all' }> = [
  { label: 'All frameworks', description: 'FISMA, FedRAMP Moderate, SOC 2, HIPAA, PCI-DSS', framework: 'all' },
  { label: 'FISMA', description: 'NIST SP 800-53 rev. 5', framework: 'fisma' },
  { label: 'FedRAMP Moderate', description: 'NIST SP 800-53 rev. 5', framework: 'fedramp' },
  { label: 'SOC 2', description: 'Trust Services Criteria', framework: 'soc2' },
  { label: 'HIPAA', description: 'Security Rule', framework: 'hipaa' },
  { label: 'PCI-DSS', description: 'v4.0', framework: 'pci-dss' },
];

/**
 * The editor faces of the compliance audit: Run Compliance Audit (a task), file findings in the Problems view with
 * quick fixes, the audit panel (traffic findings and per-framework summary). The audit only reads captured traffic
 * and workspace files with the extension's own CLI (it runs no workspace code), so it also runs in Restricted Mode;
 * there it never probes TLS (that connects to hosts named in the traffic), whatever chaosTesting.audit.probeTls says.
 */
export class AuditFeatures extends DisposableBase {
  readonly diagnostics: AuditDiagnostics;
  readonly terminal: AuditTerminalFactory;
  last: AuditResult | undefined;

  constructor(private readonly _vscode: VSCode, private readonly _options: AuditFeaturesOptions, command: (id: string, run: (...args: never[]) => unknown) => void) {
    super();
    const vscode = _vscode;
    this.diagnostics = this._register(new AuditDiagnostics(vscode));
    this._register(vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new AuditCodeActions(vscode, this.diagnostics), { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }));
    this.terminal = (definition, folder) => {
      const database = this._options.database() ?? path.join(folder.uri.fsPath, '.chaos', 'traffic.db');
      return auditTerminal(vscode, { database, workspace: folder.uri.fsPath, definition, trusted: vscode.workspace.isTrusted, cli: _options.cli, onFinished: (exit) => this._finished(folder, exit) });
    };
    this._register(vscode.tasks.registerTaskProvider(AUDIT_TASK_TYPE, new AuditTaskProvider(vscode, this.terminal)));
    command('chaosTesting.runAudit', () => this.run());
  }

  /** Run Compliance Audit: a framework (or all) picked, then the task runs the CLI over the traffic and the workspace. */
  async run(): Promise<vscodeTypes.TaskExecution | undefined> {
    const vscode = this._vscode;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== 'file') throw new Error('open a folder first: the audit reads its files and its traffic database');
    const pick = await vscode.window.showQuickPick(FRAMEWORK_ITEMS, { title: 'Chaos Testing: Run Compliance Audit', placeHolder: 'Framework to audit against' });
    if (!pick) return undefined;
    const probeTls = vscode.workspace.isTrusted && vscode.workspace.getConfiguration('chaosTesting.audit').get<boolean>('probeTls', false);
    const definition: AuditTaskDefinition = { type: AUDIT_TASK_TYPE, framework: pick.framework, ...(probeTls ? { probeTls: true } : {}) };
    return vscode.tasks.executeTask(auditTask(vscode, folder, definition, this.terminal));
  }

  /** Opens a file the audit named (relative to the folder) at a 1-based line and column. */
  async openLocation(file: string, line: number, column: number): Promise<void> {
    const vscode = this._vscode;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    const absolute = path.resolve(folder.uri.fsPath, file);
    if (path.relative(folder.uri.fsPath, absolute).startsWith('..')) throw new Error(`${file} is outside the workspace`);
    const at = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(absolute)), { selection: new vscode.Range(at.line, at.character, at.line, at.character) });
  }

  private _finished(folder: vscodeTypes.WorkspaceFolder, exit: AuditExit): void {
    const vscode = this._vscode;
    const r = exit.result;
    if (!r) {
      void vscode.window.showErrorMessage(`Chaos Testing: the audit did not finish: ${exit.error ?? 'no result'}`);
      return;
    }
    this.last = r;
    this.diagnostics.show(r, folder.uri.fsPath);
    this._options.showResults(r, folder.uri.fsPath);
    const high = r.findings.filter((f) => f.severity === 'high').length;
    const inFiles = r.findings.filter((f) => 'file' in f.location).length;
    const text = `Chaos Testing: audit found ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'} (${high} high; ${inFiles} in workspace files, in Problems).`;
    if (high) void vscode.window.showWarningMessage(text);
    else void vscode.window.showInformationMessage(text);
  }
}
