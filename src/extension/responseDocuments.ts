import { DisposableBase } from './disposable';
import type { VSCode, vscodeTypes } from './types';

export const RESPONSE_SCHEME = 'chaos-testing-response';

/** Read-only in-memory documents (recorded vs resent responses for the diff view, replay reports). Keeps the last 20. */
export class ResponseDocuments extends DisposableBase implements vscodeTypes.TextDocumentContentProvider {
  private readonly _docs = new Map<string, string>();

  constructor(private readonly _vscode: VSCode) {
    super();
    this._register(_vscode.workspace.registerTextDocumentContentProvider(RESPONSE_SCHEME, this));
  }

  put(name: string, text: string): vscodeTypes.Uri {
    const uri = this._vscode.Uri.from({ scheme: RESPONSE_SCHEME, path: `/${name}` });
    this._docs.set(uri.path, text);
    while (this._docs.size > 20) this._docs.delete(this._docs.keys().next().value as string);
    return uri;
  }

  provideTextDocumentContent(uri: vscodeTypes.Uri): string {
    return this._docs.get(uri.path) ?? '(this document is no longer in memory; run the command again)';
  }
}
