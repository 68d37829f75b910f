import type { ExperimentProblem, ExperimentResult } from '../../core/chaos/types';
import { DisposableBase } from '../disposable';
import type { VSCode, vscodeTypes } from '../types';
import { looksLikeExperiment, placeOfPath, placeOfProbe } from './yamlLocation';

/** Checks an experiment's text: the parser's problems (schema and meaning), each with a line or a YAML path. */
export type ExperimentValidator = (text: string, file: string) => ExperimentProblem[];

export const DIAGNOSTICS_NAME = 'chaos-experiments';
const DEBOUNCE_MS = 300;

/** An experiment file: any YAML under `.chaos/experiments/`, or a YAML whose top level has `steady-state-hypothesis`. */
export function isExperimentDocument(doc: Pick<vscodeTypes.TextDocument, 'uri' | 'getText'>): boolean {
  if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled') return false;
  const file = doc.uri.fsPath;
  if (!/\.ya?ml$/i.test(file)) return false;
  const parts = file.split(/[\\/]/);
  if (parts.length >= 3 && parts[parts.length - 3] === '.chaos' && parts[parts.length - 2] === 'experiments') return true;
  return looksLikeExperiment(doc.getText());
}

/**
 * Problems of experiment files in the Problems view: the parser's (on open, on change after a pause, on save),
 * and after a run the hypothesis probes that failed, on the probe's line. A run's diagnostics stay until the file
 * is edited (their lines would drift) or run again.
 */
export class ExperimentDiagnostics extends DisposableBase {
  readonly collection: vscodeTypes.DiagnosticCollection;
  private readonly _timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly _checked = new Map<string, vscodeTypes.Diagnostic[]>();
  private readonly _failed = new Map<string, vscodeTypes.Diagnostic[]>();

  constructor(private readonly _vscode: VSCode, private readonly _validate: ExperimentValidator) {
    super();
    this.collection = this._register(_vscode.languages.createDiagnosticCollection(DIAGNOSTICS_NAME));
    const ws = _vscode.workspace;
    this._register(ws.onDidOpenTextDocument((d) => this.check(d)));
    this._register(ws.onDidSaveTextDocument((d) => this.check(d)));
    this._register(ws.onDidChangeTextDocument((e) => this._changed(e.document)));
    this._register(ws.onDidCloseTextDocument((d) => this._forget(d.uri)));
    this._register({ dispose: () => this._timers.forEach((t) => clearTimeout(t)) });
    for (const d of ws.textDocuments) this.check(d);
  }

  /** Validates the document now (if it is an experiment) and publishes its problems. */
  check(doc: vscodeTypes.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this._timers.get(key));
    this._timers.delete(key);
    if (!isExperimentDocument(doc)) {
      if (this._checked.delete(key) || this._failed.delete(key)) this.collection.delete(doc.uri);
      return;
    }
    const text = doc.getText();
    let problems: ExperimentProblem[];
    try {
      problems = this._validate(text, doc.uri.fsPath);
    } catch (e) {
      problems = [{ message: `cannot check this experiment: ${(e as Error).message}`, path: [] }];
    }
    this._checked.set(key, problems.map((p) => this._problem(text, p)));
    this._publish(doc.uri);
  }

  /** After a run: each failed hypothesis probe (before or after the method) on its probe's line. */
  showRun(doc: Pick<vscodeTypes.TextDocument, 'uri' | 'getText'>, result: ExperimentResult): void {
    const text = doc.getText();
    const vscode = this._vscode;
    const failed: vscodeTypes.Diagnostic[] = [];
    for (const [when, outcomes] of [['before', result.hypothesisBefore], ['after', result.hypothesisAfter]] as const) {
      for (const o of outcomes ?? []) {
        if (o.ok) continue;
        const place = placeOfProbe(text, o.probe) ?? placeOfPath(text, ['steady-state-hypothesis']);
        const range = place ? new vscode.Range(place.line - 1, place.column - 1, place.endLine - 1, place.endColumn - 1) : new vscode.Range(0, 0, 0, 0);
        const status = o.status === undefined ? '' : ` (status ${o.status}, ${Math.round(o.latencyMs)} ms)`;
        const d = new vscode.Diagnostic(range, `Hypothesis probe '${o.probe}' failed ${when} the method${status}: ${o.detail}`, vscode.DiagnosticSeverity.Error);
        d.source = 'chaos run';
        failed.push(d);
      }
    }
    this._failed.set(doc.uri.toString(), failed);
    this._publish(doc.uri);
  }

  private _changed(doc: vscodeTypes.TextDocument): void {
    const key = doc.uri.toString();
    if (this._failed.delete(key)) this._publish(doc.uri);
    clearTimeout(this._timers.get(key));
    this._timers.set(key, setTimeout(() => this.check(doc), DEBOUNCE_MS));
  }

  private _forget(uri: vscodeTypes.Uri): void {
    const key = uri.toString();
    clearTimeout(this._timers.get(key));
    this._timers.delete(key);
    this._checked.delete(key);
    this._failed.delete(key);
    this.collection.delete(uri);
  }

  private _publish(uri: vscodeTypes.Uri): void {
    const key = uri.toString();
    this.collection.set(uri, [...(this._checked.get(key) ?? []), ...(this._failed.get(key) ?? [])]);
  }

  /** A parser problem at its line and column, or at the node its YAML path names. */
  private _problem(text: string, p: ExperimentProblem): vscodeTypes.Diagnostic {
    const vscode = this._vscode;
    let range: vscodeTypes.Range;
    if (p.line !== undefined) {
      const line = Math.max(0, p.line - 1);
      const column = Math.max(0, (p.column ?? 1) - 1);
      const lineText = text.split(/\r?\n/)[line] ?? '';
      // To the end of the word (or line) the problem starts at, so the squiggle is visible.
      const end = Math.max(column + 1, column + (/^\S+/.exec(lineText.slice(column))?.[0].length ?? 0));
      range = new vscode.Range(line, column, line, end);
    } else {
      const place = placeOfPath(text, p.path);
      range = place ? new vscode.Range(place.line - 1, place.column - 1, place.endLine - 1, place.endColumn - 1) : new vscode.Range(0, 0, 0, 1);
    }
    const where = p.path.length ? ` (${p.path.join('.')})` : '';
    const d = new vscode.Diagnostic(range, `${p.message}${where}`, vscode.DiagnosticSeverity.Error);
    d.source = 'chaos validate';
    return d;
  }
}
