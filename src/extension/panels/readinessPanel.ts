import type * as vscodeTypes from 'vscode';
import type { CheckOutcome, ReadinessResult } from '../../core/readiness/types';
import { DisposableBase } from '../disposable';
import type { ReadinessActions } from '../readiness/readinessFeatures';
import { makeNonce, panelResourceRoots, WEBVIEW_DIR } from './html';

type VSCode = typeof vscodeTypes;

const MARK: Record<CheckOutcome['status'], string> = { passed: '✓ passed', failed: '✗ failed', error: '⚠ error', skipped: '– skipped' };

/** Tab title: `✓ Readiness` or `✗ Readiness (2 failed)`. */
export function readinessTitle(r: Pick<ReadinessResult, 'passed' | 'checks'>): string {
  const failed = r.checks.filter((c) => c.status === 'failed' || c.status === 'error').length;
  return r.passed ? '✓ Readiness' : `✗ Readiness${failed ? ` (${failed} failed)` : ''}`;
}

/** A message from the page: a row's run link, or the report button. */
type PageMessage = { command: 'openRun'; index: number } | { command: 'openReport' };

function isPageMessage(m: unknown): m is PageMessage {
  const x = m as Partial<PageMessage> | null;
  return !!x && (x.command === 'openReport' || (x.command === 'openRun' && Number.isInteger((x as { index?: unknown }).index)));
}

/**
 * The Readiness panel: one row per check of the last run — pass/fail, its figure, a link to its run — and a button
 * that opens the HTML report. The page is rendered here; its one script (nonce) only turns clicks into messages.
 */
export class ReadinessPanel extends DisposableBase {
  static readonly viewType = 'chaosTesting.readiness';
  private static _current: ReadinessPanel | undefined;

  static get current(): ReadinessPanel | undefined {
    return ReadinessPanel._current;
  }

  static show(vscode: VSCode, extensionUri: vscodeTypes.Uri, result: ReadinessResult, actions: ReadinessActions): ReadinessPanel {
    const open = ReadinessPanel._current;
    if (open) {
      open._show(result, actions);
      open.panel.reveal(undefined, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(ReadinessPanel.viewType, readinessTitle(result), { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(vscode, extensionUri),
    });
    return new ReadinessPanel(vscode, panel, extensionUri, result, actions);
  }

  private constructor(private readonly _vscode: VSCode, readonly panel: vscodeTypes.WebviewPanel, private readonly _extensionUri: vscodeTypes.Uri, private _result: ReadinessResult, private _actions: ReadinessActions) {
    super();
    ReadinessPanel._current = this;
    this._register(panel);
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => {
      if (!isPageMessage(m)) return;
      if (m.command === 'openReport') this._actions.openReport();
      else if (this._result.checks[m.index]) void this._actions.openRun(this._result.checks[m.index]);
    }));
    this._register(panel.onDidDispose(() => this.dispose()));
    this._render();
  }

  get result(): ReadinessResult {
    return this._result;
  }

  private _show(result: ReadinessResult, actions: ReadinessActions): void {
    this._result = result;
    this._actions = actions;
    this._render();
  }

  private _render(): void {
    const r = this._result;
    const webview = this.panel.webview;
    const nonce = makeNonce();
    const css = webview.asWebviewUri(this._vscode.Uri.joinPath(this._extensionUri, ...WEBVIEW_DIR, 'panels.css')).toString();
    const rows = r.checks.map((c, i) => `<tr class="check ${c.status}" data-kind="${c.kind}"><td class="status">${MARK[c.status]}</td><td>${esc(c.name)}<div class="failures">${c.status === 'passed' ? '' : c.failures.map((f) => `<div>${esc(f)}</div>`).join('')}</div></td><td>${c.kind}</td><td>${esc(c.figure)}</td><td>${(c.durationMs / 1000).toFixed(1)} s</td><td>${c.run ? `<a href="#" data-run="${i}" title="${esc(c.run)}">open run</a>` : ''}</td></tr>`);
    this.panel.title = readinessTitle(r);
    webview.html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}'">
<link rel="stylesheet" href="${esc(css)}">
<title>Readiness</title>
</head>
<body class="readiness">
<h1>${esc(r.name)}: ${r.passed ? 'ready' : r.aborted ? 'stopped' : 'not ready'}</h1>
<p>${r.checks.filter((c) => c.status === 'passed').length} of ${r.checks.length} checks passed against <code>${esc(r.target)}</code> · <a href="#" id="open-report">Open HTML report</a></p>
<table class="checks">
<thead><tr><th>Result</th><th>Check</th><th>Kind</th><th>Figure</th><th>Time</th><th>Run</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
document.getElementById('open-report').addEventListener('click', (e) => { e.preventDefault(); vscode.postMessage({ command: 'openReport' }); });
for (const a of document.querySelectorAll('[data-run]')) a.addEventListener('click', (e) => { e.preventDefault(); vscode.postMessage({ command: 'openRun', index: Number(a.dataset.run) }); });
</script>
</body>
</html>`;
  }

  override dispose(): void {
    if (ReadinessPanel._current === this) ReadinessPanel._current = undefined;
    super.dispose();
  }
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
