import type * as vscodeTypes from 'vscode';
import type { PropertiesResult } from '../../core/properties/types';
import { DisposableBase } from '../disposable';
import { panelHtml, panelResourceRoots } from './html';
import { RpcHost } from './rpcHost';

type VSCode = typeof vscodeTypes;

/** What the properties panel asks of the extension. */
export interface PropertiesPanelActions {
  /** Replays violation `index` of `result` and writes its regression test; the file, or undefined when none. */
  createRegressionTest(result: PropertiesResult, index: number): Promise<string | undefined>;
  copyText(text: string): Promise<void>;
}

/** Tab title of a run: `✓ Properties` or `✗ Properties (2 violations)`. */
export function propertiesTitle(r: Pick<PropertiesResult, 'passed' | 'aborted' | 'violations'>): string {
  if (r.passed && !r.aborted) return '✓ Properties';
  return `✗ Properties${r.violations.length ? ` (${r.violations.length} violation${r.violations.length === 1 ? '' : 's'})` : ''}`;
}

/**
 * One property run: verdict, each violation's minimal sequence with its replay command and a Create Regression Test
 * action, code paths exercised. One panel, reused; the host pushes the result each time the page says ready.
 */
export class PropertiesPanel extends DisposableBase {
  static readonly viewType = 'chaosTesting.properties';
  private static _current: PropertiesPanel | undefined;

  static get current(): PropertiesPanel | undefined {
    return PropertiesPanel._current;
  }

  static show(vscode: VSCode, extensionUri: vscodeTypes.Uri, result: PropertiesResult, actions: PropertiesPanelActions): PropertiesPanel {
    const open = PropertiesPanel._current;
    if (open) {
      open._show(result);
      open.panel.reveal(undefined, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(PropertiesPanel.viewType, propertiesTitle(result), { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(vscode, extensionUri),
    });
    return new PropertiesPanel(vscode, panel, extensionUri, result, actions);
  }

  private readonly _rpc: RpcHost;

  private constructor(vscode: VSCode, readonly panel: vscodeTypes.WebviewPanel, extensionUri: vscodeTypes.Uri, private _result: PropertiesResult, actions: PropertiesPanelActions) {
    super();
    PropertiesPanel._current = this;
    this._register(panel);
    this._rpc = this._register(RpcHost.forPanel(panel, {
      createRegressionTest: async ({ index }) => {
        if (!this._result.violations[index]) throw new Error(`there is no violation ${index + 1} in this run`);
        const file = await actions.createRegressionTest(this._result, index);
        return file ? { file } : null;
      },
      copyText: async ({ text }) => {
        await actions.copyText(text);
        return null;
      },
    }, () => this._post(), () => this.dispose()));
    panel.webview.html = panelHtml(vscode, panel.webview, extensionUri, { script: 'propertiesResults.js', title: 'Properties', styles: ['experimentResults.css'] });
  }

  get result(): PropertiesResult {
    return this._result;
  }

  private _show(result: PropertiesResult): void {
    this._result = result;
    this._post();
  }

  private _post(): void {
    this.panel.title = propertiesTitle(this._result);
    this._rpc.post({ kind: 'event', name: 'properties', result: this._result });
  }

  override dispose(): void {
    if (PropertiesPanel._current === this) PropertiesPanel._current = undefined;
    super.dispose();
  }
}
