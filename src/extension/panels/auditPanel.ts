import type * as vscodeTypes from 'vscode';
import type { AuditResult } from '../../core/compliance/types';
import { DisposableBase } from '../disposable';
import { panelHtml, panelResourceRoots } from './html';
import { RpcHost } from './rpcHost';

type VSCode = typeof vscodeTypes;

/** What the audit panel asks of the extension. */
export interface AuditPanelActions {
  /** Opens the exchange panel on a captured exchange. */
  openExchange(id: number): void;
  /** Opens a workspace file (relative to the audited folder) at a 1-based line and column. */
  openLocation(file: string, line: number, column: number): Promise<void>;
}

/** Tab title: `Compliance: 12 findings`. */
export function auditTitle(r: Pick<AuditResult, 'findings'>): string {
  return `Compliance: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`;
}

/**
 * One audit: the per-framework summary, the traffic findings (each opens its exchange) and the file findings (each
 * opens its place). One panel, reused; the host pushes the result each time the page says ready.
 */
export class AuditPanel extends DisposableBase {
  static readonly viewType = 'chaosTesting.audit';
  private static _current: AuditPanel | undefined;

  static get current(): AuditPanel | undefined {
    return AuditPanel._current;
  }

  static show(vscode: VSCode, extensionUri: vscodeTypes.Uri, result: AuditResult, actions: AuditPanelActions): AuditPanel {
    const open = AuditPanel._current;
    if (open) {
      open._show(result);
      open.panel.reveal(undefined, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(AuditPanel.viewType, auditTitle(result), { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(vscode, extensionUri),
    });
    return new AuditPanel(vscode, panel, extensionUri, result, actions);
  }

  private readonly _rpc: RpcHost;

  private constructor(vscode: VSCode, readonly panel: vscodeTypes.WebviewPanel, extensionUri: vscodeTypes.Uri, private _result: AuditResult, actions: AuditPanelActions) {
    super();
    AuditPanel._current = this;
    this._register(panel);
    this._rpc = this._register(RpcHost.forPanel(panel, {
      openExchange: async ({ id }) => {
        actions.openExchange(id);
        return null;
      },
      openLocation: async ({ file, line, column }) => {
        await actions.openLocation(file, line, column);
        return null;
      },
    }, () => this._post(), () => this.dispose()));
    panel.webview.html = panelHtml(vscode, panel.webview, extensionUri, { script: 'auditResults.js', title: 'Compliance Audit', styles: ['experimentResults.css'] });
  }

  get result(): AuditResult {
    return this._result;
  }

  private _show(result: AuditResult): void {
    this._result = result;
    this._post();
  }

  private _post(): void {
    this.panel.title = auditTitle(this._result);
    this._rpc.post({ kind: 'event', name: 'audit', result: this._result });
  }

  override dispose(): void {
    if (AuditPanel._current === this) AuditPanel._current = undefined;
    super.dispose();
  }
}
