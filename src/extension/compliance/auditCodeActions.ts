import type { FindingFix } from '../../core/compliance/types';
import type { VSCode, vscodeTypes } from '../types';
import { AUDIT_SOURCE, type AuditDiagnostics } from './auditDiagnostics';

/** The edit of a mechanical fix: insert its text before its (1-based) line, or replace that whole line. */
export function fixEdit(vscode: VSCode, doc: Pick<vscodeTypes.TextDocument, 'uri' | 'lineCount' | 'lineAt'>, fix: FindingFix): vscodeTypes.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  const line = Math.min(Math.max(0, fix.line - 1), doc.lineCount);
  if (fix.replace !== undefined && line < doc.lineCount) edit.replace(doc.uri, new vscode.Range(line, 0, line, doc.lineAt(line).text.length), fix.replace);
  else if (fix.insert !== undefined) edit.insert(doc.uri, new vscode.Position(line, 0), line === doc.lineCount && !fix.insert.startsWith('\n') ? `\n${fix.insert}` : fix.insert);
  return edit;
}

/**
 * Quick fixes for audit findings whose fix is mechanical (add USER, add runAsNonRoot to a securityContext): one
 * preferred code action per such diagnostic under the cursor.
 */
export class AuditCodeActions implements vscodeTypes.CodeActionProvider {
  static readonly kinds = ['quickfix'];

  constructor(private readonly _vscode: VSCode, private readonly _diagnostics: AuditDiagnostics) {}

  provideCodeActions(doc: vscodeTypes.TextDocument, _range: vscodeTypes.Range | vscodeTypes.Selection, context: vscodeTypes.CodeActionContext): vscodeTypes.CodeAction[] {
    const vscode = this._vscode;
    const actions: vscodeTypes.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== AUDIT_SOURCE) continue;
      const fix = this._diagnostics.fixFor(doc.uri, d);
      if (!fix) continue;
      const action = new vscode.CodeAction(`Fix: ${fix.description}`, vscode.CodeActionKind.QuickFix);
      action.edit = fixEdit(vscode, doc, fix);
      action.diagnostics = [d];
      action.isPreferred = true;
      actions.push(action);
    }
    return actions;
  }
}
