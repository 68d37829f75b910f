import * as fs from 'node:fs';
import type { PropertiesResult, Violation } from '../../core/properties/types';
import { DisposableBase } from '../disposable';
import type { VSCode, vscodeTypes } from '../types';

export const PROPERTIES_DIAGNOSTICS = 'chaos-properties';

/** The 0-based line of the first line matching `test`, or 0. */
function lineOf(text: string, test: (line: string) => boolean): { line: number; length: number } {
  const lines = text.split(/\r?\n/);
  const i = lines.findIndex(test);
  return i < 0 ? { line: 0, length: lines[0]?.length ?? 0 } : { line: i, length: lines[i].length };
}

/**
 * A property run's violations in the Problems view, each where a click leads somewhere useful: on its regression
 * test when one was written (at the test's name), else on the run's text report (at the violation's heading, above
 * its minimal sequence and replay command). A new run replaces them.
 */
export class PropertiesDiagnostics extends DisposableBase {
  readonly collection: vscodeTypes.DiagnosticCollection;

  constructor(private readonly _vscode: VSCode) {
    super();
    this.collection = this._register(_vscode.languages.createDiagnosticCollection(PROPERTIES_DIAGNOSTICS));
  }

  /** Publishes every violation of `result`; `report` is the text report's file and its text. */
  show(result: PropertiesResult, report: { file: string; text: string }): void {
    this.collection.clear();
    const byFile = new Map<string, vscodeTypes.Diagnostic[]>();
    result.violations.forEach((v, i) => {
      const test = v.regressionTest?.file && fs.existsSync(v.regressionTest.file) ? v.regressionTest.file : undefined;
      const [file, d] = test ? [test, this._onTest(v, test)] : [report.file, this._onReport(v, i, report.text)];
      byFile.set(file, [...(byFile.get(file) ?? []), d]);
    });
    for (const [file, list] of byFile) this.collection.set(this._vscode.Uri.file(file), list);
  }

  /** After Create Regression Test: the violation is (also) marked on the test written for it. */
  addTestFile(v: Violation, file: string): void {
    const uri = this._vscode.Uri.file(file);
    this.collection.set(uri, [...(this.collection.get(uri) ?? []), this._onTest(v, file)]);
  }

  private _onReport(v: Violation, index: number, text: string): vscodeTypes.Diagnostic {
    const at = lineOf(text, (l) => l.startsWith(`${index + 1}) ${v.check}`));
    return this._diagnostic(v, at);
  }

  private _onTest(v: Violation, file: string): vscodeTypes.Diagnostic {
    const text = fs.readFileSync(file, 'utf8');
    const at = lineOf(text, (l) => l.includes(v.check) && !/^\s*(\/\/|#|\*|\/\*)/.test(l));
    return this._diagnostic(v, at);
  }

  private _diagnostic(v: Violation, at: { line: number; length: number }): vscodeTypes.Diagnostic {
    const vscode = this._vscode;
    const steps = v.minimalExample.length ? ` (minimal sequence: ${v.minimalExample.length} step${v.minimalExample.length === 1 ? '' : 's'})` : '';
    const d = new vscode.Diagnostic(new vscode.Range(at.line, 0, at.line, Math.max(1, at.length)), `${v.check}: ${v.message}${steps}. Replay: ${v.replay}`, vscode.DiagnosticSeverity.Error);
    d.source = 'chaos properties';
    d.code = v.check;
    return d;
  }
}
