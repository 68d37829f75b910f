/**
 * The page side of the panel protocol: typed requests over `acquireVsCodeApi().postMessage`, replies matched by
 * id, each settled once (a reply, an error from the host, or a timeout), and a subscription to host events.
 */
import type { EventMessage, PanelMethod, PanelRequests, ReplyMessage, ToHost, ToWebview } from './protocol';

/** What `acquireVsCodeApi()` returns inside a VS Code webview. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

/** The page's one `VsCodeApi` (VS Code allows a single `acquireVsCodeApi()` call per page). */
export function vscodeApi(): VsCodeApi {
  return (api ??= acquireVsCodeApi());
}

export class RpcError extends Error {
  constructor(readonly method: PanelMethod, message: string) {
    super(message);
    this.name = 'RpcError';
  }
}

interface Pending {
  method: PanelMethod;
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class RpcClient {
  private _nextId = 1;
  private readonly _pending = new Map<number, Pending>();
  private readonly _listeners = new Set<(event: EventMessage) => void>();
  private readonly _onMessage = (e: MessageEvent): void => this._receive(e.data);

  constructor(
    private readonly _api: VsCodeApi,
    private readonly _window: Pick<Window, 'addEventListener' | 'removeEventListener'> = window,
    private readonly _timeoutMs = 30_000,
  ) {
    this._window.addEventListener('message', this._onMessage);
  }

  /** Tells the host the page listens; the host posts events only after this. */
  ready(): void {
    this._post({ kind: 'ready' });
  }

  request<M extends PanelMethod>(method: M, params: PanelRequests[M]['params'], timeoutMs = this._timeoutMs): Promise<PanelRequests[M]['result']> {
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new RpcError(method, `${method}: no answer from the extension in ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this._pending.set(id, { method, resolve: resolve as (r: unknown) => void, reject, timer });
      this._post({ kind: 'request', id, method, params } as ToHost);
    });
  }

  /** Calls `listener` for every event the host pushes; returns a function that unsubscribes. */
  onEvent(listener: (event: EventMessage) => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  dispose(): void {
    this._window.removeEventListener('message', this._onMessage);
    for (const [id, p] of this._pending) {
      clearTimeout(p.timer);
      p.reject(new RpcError(p.method, `${p.method}: the panel closed`));
      this._pending.delete(id);
    }
    this._listeners.clear();
  }

  private _post(message: ToHost): void {
    this._api.postMessage(message);
  }

  private _receive(data: unknown): void {
    const message = data as ToWebview | null;
    if (!message || typeof message !== 'object') return;
    if (message.kind === 'reply') this._settle(message);
    else if (message.kind === 'event') for (const l of [...this._listeners]) l(message);
  }

  private _settle(reply: ReplyMessage): void {
    const p = this._pending.get(reply.id);
    if (!p) return; // timed out already, or not ours
    this._pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new RpcError(p.method, reply.error));
  }
}
