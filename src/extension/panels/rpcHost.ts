import type * as vscodeTypes from 'vscode';
import type { EventMessage, PanelMethod, PanelRequests, ReplyMessage, RequestMessage } from '../../../webview/protocol';
import { DisposableBase } from '../disposable';

/** The part of a webview the router uses (a fake in tests). */
export type RpcWebview = Pick<vscodeTypes.Webview, 'postMessage' | 'onDidReceiveMessage'>;

/** Answers of one panel, by method. A handler may throw (or reject): the page gets `{ ok: false, error }`. */
export type RequestHandlers = {
  [M in PanelMethod]?: (params: PanelRequests[M]['params']) => PanelRequests[M]['result'] | Promise<PanelRequests[M]['result']>;
};

function isRequest(m: unknown): m is RequestMessage {
  const r = m as Partial<RequestMessage> | null;
  return !!r && typeof r === 'object' && r.kind === 'request' && typeof r.id === 'number' && typeof r.method === 'string';
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/**
 * The host side of the panel protocol. Routes each request from the page to its handler and answers it exactly
 * once; errors become `{ ok: false, error }` replies, never unhandled rejections, and a method without a
 * handler is answered with an error too. Events reach the page only after it said `ready` (a page VS Code
 * discarded while hidden says it again when it comes back; see `notReady`).
 */
export class RpcHost extends DisposableBase {
  private _ready = false;
  private _closed = false;
  private readonly _readyListeners: Array<() => void> = [];

  constructor(private readonly _webview: RpcWebview, private readonly _handlers: RequestHandlers) {
    super();
    this._register(this._webview.onDidReceiveMessage((m: unknown) => this._receive(m)));
  }

  /**
   * The host of a panel that shows state the extension pushes: `post` sends it each time the page says ready, the
   * page is marked not ready while hidden (VS Code may discard it), and `dispose` runs when the user closes it.
   */
  static forPanel(panel: Pick<vscodeTypes.WebviewPanel, 'webview' | 'visible' | 'onDidChangeViewState' | 'onDidDispose'>, handlers: RequestHandlers, post: () => void, dispose: () => void): RpcHost {
    const host = new RpcHost(panel.webview, handlers);
    host.onReady(post);
    host._register(panel.onDidChangeViewState(() => {
      if (!panel.visible) host.notReady();
    }));
    host._register(panel.onDidDispose(dispose));
    return host;
  }

  get isReady(): boolean {
    return this._ready;
  }

  /** Calls `listener` each time the page (re)loads and says ready. */
  onReady(listener: () => void): void {
    this._readyListeners.push(listener);
  }

  /** The page is gone (hidden without retained context): hold events until it says ready again. */
  notReady(): void {
    this._ready = false;
  }

  /** Pushes an event to the page; returns false (and drops it) when the page is not listening yet. */
  post(event: EventMessage): boolean {
    if (!this._ready || this._closed) return false;
    this._send(event);
    return true;
  }

  override dispose(): void {
    this._closed = true;
    this._readyListeners.length = 0;
    super.dispose();
  }

  private _receive(m: unknown): void {
    if (this._closed) return;
    if ((m as { kind?: unknown } | null)?.kind === 'ready') {
      this._ready = true;
      for (const l of this._readyListeners) l();
      return;
    }
    if (isRequest(m)) void this._answer(m);
  }

  private async _answer(request: RequestMessage): Promise<void> {
    let reply: ReplyMessage;
    const handler = Object.prototype.hasOwnProperty.call(this._handlers, request.method)
      ? (this._handlers[request.method] as ((p: unknown) => unknown) | undefined)
      : undefined;
    if (!handler) {
      reply = { kind: 'reply', id: request.id, ok: false, error: `unknown request '${String(request.method)}'` };
    } else {
      try {
        const result = (await handler(request.params)) as PanelRequests[PanelMethod]['result'];
        reply = { kind: 'reply', id: request.id, ok: true, result: result === undefined ? null : result };
      } catch (e) {
        reply = { kind: 'reply', id: request.id, ok: false, error: messageOf(e) };
      }
    }
    if (!this._closed) this._send(reply);
  }

  private _send(message: ReplyMessage | EventMessage): void {
    // postMessage rejects when the panel went away in between; nothing is waiting for that message any more.
    Promise.resolve(this._webview.postMessage(message)).then(undefined, () => undefined);
  }
}
