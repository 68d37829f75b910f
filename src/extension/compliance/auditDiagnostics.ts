import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuditResult, Finding, FindingFix, Framework, Severity } from '../../core/compliance/types';
import { DisposableBase } from '../disposable';
import type { VSCode, vscodeTypes } from '../types';

export const AUDIT_DIAGNOSTICS = 'chaos-compliance';
export const AUDIT_SOURCE = 'chaos audit';

/** How control ids read in a message, in this order; FISMA and FedRAMP both assess NIST SP 800-53. */
const LABELS: Array<[string, Framework[]]> = [['PCI-DSS', ['pci-dss']], ['NIST', ['fisma', 'fedramp']], ['SOC 2', ['soc2']], ['HIPAA', ['hipaa']]];

/** `[PCI-DSS 7.2.1, 7.2.2, NIST AC-6]`: the finding's control ids per framework family. */
export function controlTag(f: Pick<Finding, 'frameworks'>): string {
  const parts: string[] = [];
  for (const [label, frameworks] of LABELS) {
    const ids = [...new Set(frameworks.flatMap((fw) => f.frameworks[fw] ?? []))];
    if (ids.length) parts.push(`${label} ${ids.join(', ')}`);
  }
  return parts.length ? `[${parts.join(', ')}]` : '';
}

/** The Problems line of a file finding: control ids, what is wrong, and the fix when there is one. */
export function findingMessage(f: Pick<Finding, 'frameworks' | 'title' | 'message' | 'fix'>): string {
  return `${controlTag(f)} ${f.title} — ${f.fix?.description ?? f.message}`.trim();
}

/** A file finding's place in the file: its range, or from its column to the end of the word there. */
function rangeOf(vscode: VSCode, lines: string[], loc: { line: number; column: number; endLine?: number; endColumn?: number }): vscodeTypes.Range {
  const line = Math.max(0, loc.line - 1);
  const column = Math.max(0, loc.column - 1);
  if (loc.endLine !== undefined && loc.endColumn !== undefined && (loc.endLine > loc.line || loc.endColumn > loc.column)) return new vscode.Range(line, column, loc.endLine - 1, loc.endColumn - 1);
  const text = lines[line] ?? '';
  const word = /^\S+/.exec(text.slice(column))?.[0].length ?? 0;
  return new vscode.Range(line, column, line, Math.max(column + 1, column + word));
}

interface Published {
  diagnostic: vscodeTypes.Diagnostic;
  fix?: FindingFix;
}

/**
 * File findings of the last audit in the Problems view, at their line and column, severity mapped (high → error,
 * medium → warning, low → information), with the control ids in the message. A file's marks go when it is edited
 * (their lines would drift); the next audit puts them back. Mechanical fixes are kept for the quick fixes.
 */
export class AuditDiagnostics extends DisposableBase {
  readonly collection: vscodeTypes.DiagnosticCollection;
  private readonly _byFile = new Map<string, { uri: vscodeTypes.Uri; list: Published[] }>();

  constructor(private readonly _vscode: VSCode) {
    super();
    this.collection = this._register(_vscode.languages.createDiagnosticCollection(AUDIT_DIAGNOSTICS));
    this._register(_vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges && e.contentChanges.length === 0) return;
      const key = e.document.uri.toString();
      if (this._byFile.delete(key)) this.collection.delete(e.document.uri);
    }));
  }

  show(result: AuditResult, workspace: string): void {
    const vscode = this._vscode;
    this.collection.clear();
    this._byFile.clear();
    const severity: Record<Severity, vscodeTypes.DiagnosticSeverity> = { high: vscode.DiagnosticSeverity.Error, medium: vscode.DiagnosticSeverity.Warning, low: vscode.DiagnosticSeverity.Information };
    const texts = new Map<string, string[]>();
    for (const f of result.findings) {
      if (!('file' in f.location)) continue;
      const file = path.resolve(workspace, f.location.file);
      if (!texts.has(file)) texts.set(file, fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split(/\r?\n/) : []);
      const d = new vscode.Diagnostic(rangeOf(vscode, texts.get(file)!, f.location), findingMessage(f), severity[f.severity]);
      d.source = AUDIT_SOURCE;
      d.code = f.ruleId;
      const uri = vscode.Uri.file(file);
      const entry = this._byFile.get(uri.toString()) ?? { uri, list: [] };
      entry.list.push({ diagnostic: d, fix: f.fix && { ...f.fix, file: path.resolve(workspace, f.fix.file) } });
      this._byFile.set(uri.toString(), entry);
    }
    for (const { uri, list } of this._byFile.values()) this.collection.set(uri, list.map((p) => p.diagnostic));
  }

  /** The mechanical fix of a diagnostic this collection published in `uri` (matched by rule, line and message). */
  fixFor(uri: vscodeTypes.Uri, d: vscodeTypes.Diagnostic): FindingFix | undefined {
    const code = typeof d.code === 'object' ? d.code.value : d.code;
    return this._byFile.get(uri.toString())?.list.find((p) => p.diagnostic.message === d.message && p.diagnostic.code === code && p.diagnostic.range.start.line === d.range.start.line)?.fix;
  }
}
