import type * as vscodeTypes from 'vscode';
import { toHtml } from '../../core/readiness/report/html';
import type { ReadinessResult } from '../../core/readiness/types';
import { DisposableBase } from '../disposable';
import { makeNonce } from './html';

type VSCode = typeof vscodeTypes;

/**
 * The HTML report of a readiness run in a webview, the same page `chaos-testing ci` writes: everything inline, under
 * its own CSP whose scripts (uPlot and the charts) run only with this page's fresh nonce. No local resource is
 * reachable (localResourceRoots is empty) and the page posts nothing.
 */
export class ReadinessReportPanel extends DisposableBase {
  static readonly viewType = 'chaosTesting.readinessReport';
  private static _current: ReadinessReportPanel | undefined;

  static get current(): ReadinessReportPanel | undefined {
    return ReadinessReportPanel._current;
  }

  static show(vscode: VSCode, result: ReadinessResult): ReadinessReportPanel {
    const open = ReadinessReportPanel._current;
    if (open) {
      open.render(result);
      open.panel.reveal(undefined, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(ReadinessReportPanel.viewType, `Readiness report: ${result.name}`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: [],
    });
    return new ReadinessReportPanel(panel, result);
  }

  private constructor(readonly panel: vscodeTypes.WebviewPanel, result: ReadinessResult) {
    super();
    ReadinessReportPanel._current = this;
    this._register(panel);
    this._register(panel.onDidDispose(() => this.dispose()));
    this.render(result);
  }

  render(result: ReadinessResult): void {
    this.panel.title = `Readiness report: ${result.name}`;
    this.panel.webview.html = toHtml(result, { nonce: makeNonce() });
  }

  override dispose(): void {
    if (ReadinessReportPanel._current === this) ReadinessReportPanel._current = undefined;
    super.dispose();
  }
}
