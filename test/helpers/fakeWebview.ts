/**
 * A hand-written stand-in for the parts of the `vscode` API the webview panels use (panels, webviews, URIs),
 * so the host classes run in plain Node: in unit tests, and bridged to a real browser page in the webview
 * browser test. Only what the panels touch is here.
 */
import * as path from 'node:path';
import type * as vscodeTypes from 'vscode';

type VSCode = typeof vscodeTypes;

export class FakeEmitter<T> {
  private _listeners = new Set<(v: T) => unknown>();
  readonly event = (listener: (v: T) => unknown): { dispose(): void } => {
    this._listeners.add(listener);
    return { dispose: () => this._listeners.delete(listener) };
  };

  fire(v: T): void {
    for (const l of [...this._listeners]) l(v);
  }

  get size(): number {
    return this._listeners.size;
  }
}

export class FakeUri {
  constructor(readonly scheme: string, readonly authority: string, readonly path: string) {}

  static file(p: string): FakeUri {
    return new FakeUri('file', '', p);
  }

  static joinPath(base: FakeUri, ...segments: string[]): FakeUri {
    return new FakeUri(base.scheme, base.authority, path.posix.join(base.path, ...segments));
  }

  get fsPath(): string {
    return this.path;
  }

  toString(): string {
    return `${this.scheme}://${this.authority}${this.path}`;
  }
}

export interface FakeWebviewOptions {
  /** What `asWebviewUri` turns a file URI into (default: `https://file+.vscode-resource.test<path>`). */
  asWebviewUri?: (uri: FakeUri) => string;
  cspSource?: string;
}

export class FakeWebview {
  html = '';
  options: vscodeTypes.WebviewOptions = {};
  readonly cspSource: string;
  /** Everything the host posted, in order. */
  readonly posted: unknown[] = [];
  /** Called for each posted message (the browser test forwards them to the page). */
  onPost: ((message: unknown) => void) | undefined;
  readonly asWebviewUriCalls: string[] = [];
  private readonly _received = new FakeEmitter<unknown>();
  readonly onDidReceiveMessage = this._received.event;

  constructor(private readonly _options: FakeWebviewOptions = {}) {
    this.cspSource = _options.cspSource ?? 'https://*.vscode-resource.test';
  }

  asWebviewUri(uri: FakeUri): { toString(): string } {
    this.asWebviewUriCalls.push(uri.path);
    const s = this._options.asWebviewUri?.(uri) ?? `https://file+.vscode-resource.test${uri.path}`;
    return { toString: () => s };
  }

  postMessage(message: unknown): Promise<boolean> {
    this.posted.push(message);
    this.onPost?.(message);
    return Promise.resolve(true);
  }

  /** A message from the page. */
  receive(message: unknown): void {
    this._received.fire(message);
  }

  get listeners(): number {
    return this._received.size;
  }
}

export class FakePanel {
  visible = true;
  reveals = 0;
  disposed = false;
  private readonly _onDidDispose = new FakeEmitter<void>();
  private readonly _onDidChangeViewState = new FakeEmitter<unknown>();
  readonly onDidDispose = this._onDidDispose.event;
  readonly onDidChangeViewState = this._onDidChangeViewState.event;

  constructor(readonly viewType: string, public title: string, readonly showOptions: unknown, readonly webview: FakeWebview) {}

  reveal(): void {
    this.reveals++;
  }

  /** The user hides (or shows) the panel. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    this._onDidChangeViewState.fire({ webviewPanel: this });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this._onDidDispose.fire();
  }
}

export interface FakeVscode {
  vscode: VSCode;
  panels: FakePanel[];
  extensionUri: vscodeTypes.Uri;
}

/** A fake `vscode` whose `window.createWebviewPanel` records the panels it makes. */
export function fakeVscode(extensionPath = '/ext', webviewOptions: FakeWebviewOptions = {}): FakeVscode {
  const panels: FakePanel[] = [];
  const api = {
    Uri: FakeUri,
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    window: {
      createWebviewPanel(viewType: string, title: string, showOptions: unknown, options: vscodeTypes.WebviewOptions) {
        const webview = new FakeWebview(webviewOptions);
        webview.options = options;
        const panel = new FakePanel(viewType, title, showOptions, webview);
        panels.push(panel);
        return panel;
      },
    },
  };
  return { vscode: api as unknown as VSCode, panels, extensionUri: FakeUri.file(extensionPath) as unknown as vscodeTypes.Uri };
}

/** The fake panel behind a host class's `panel` property. */
export function fake(panel: vscodeTypes.WebviewPanel): FakePanel {
  return panel as unknown as FakePanel;
}
