import type * as vscodeTypes from 'vscode';
import { VERSION } from '../core/version';
import { DisposableBase } from './disposable';

type VSCode = typeof vscodeTypes;

/** The root object: owns every registration. The `vscode` API is injected so tests can pass a fake. */
export class Extension extends DisposableBase {
  constructor(private readonly _vscode: VSCode, private readonly _context: vscodeTypes.ExtensionContext) {
    super();
  }

  activate(): void {
    const vscode = this._vscode;
    this._register(
      vscode.commands.registerCommand('chaosTesting.showVersion', () => {
        void vscode.window.showInformationMessage(`Chaos Testing ${VERSION}`);
      }),
    );
    this._context.subscriptions.push(this);
  }
}

export function activate(context: vscodeTypes.ExtensionContext): void {
  new Extension(require('vscode') as VSCode, context).activate();
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
