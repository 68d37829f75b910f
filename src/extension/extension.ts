import type { ExtensionContext } from 'vscode';
import { ChaosExtension, type PanelOpeners } from './chaosExtension';
import type { VSCode } from './types';

let root: ChaosExtension | undefined;

export function activate(context: ExtensionContext): ChaosExtension {
  const vscode = require('vscode') as VSCode;
  // Until the webview panels land, an exchange opens as a JSON document.
  const panels: PanelOpeners = {
    showExchange: (backend, id) =>
      void backend.exchange(id).then(async (ex) => {
        const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(ex, null, 2) });
        await vscode.window.showTextDocument(doc, { preview: true });
      }),
    showBrowser: () => void vscode.window.showInformationMessage('Traffic Browser: not yet available'),
  };
  root = new ChaosExtension(vscode, context, panels);
  context.subscriptions.push(root);
  return root;
}

export function deactivate(): Promise<void> | undefined {
  // The engine child flushes a running capture when asked to stop; wait for it so nothing captured is lost.
  const r = root;
  root = undefined;
  if (!r) return undefined;
  const engine = r.engine;
  r.dispose();
  return engine.dispose();
}
