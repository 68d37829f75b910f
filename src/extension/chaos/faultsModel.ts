import type { ProxyJson } from '../../core/faults/api';
import { callFaultApi } from '../../core/faults/client';

/** What the Faults view shows: the API's proxies, or why there are none. */
export type FaultsState =
  | { kind: 'untrusted' }
  | { kind: 'unreachable'; api: string; error: string }
  | { kind: 'ok'; api: string; proxies: ProxyJson[] };

export type CallApi = (api: string, method: string, path: string, body?: unknown) => Promise<unknown>;

export interface FaultsModelOptions {
  /** HOST:PORT of the fault API (read each time: the setting may change). */
  api(): string;
  trusted(): boolean;
  intervalMs?: number;
  call?: CallApi;
}

/**
 * The fault API as the Faults view sees it: fetched on demand and, while the view is visible, every
 * `intervalMs`. Listeners hear only real changes, so an idle API does not redraw the tree. An untrusted
 * workspace never calls the API.
 */
export class FaultsModel {
  private _state: FaultsState | undefined;
  private _json = '';
  private _timer: ReturnType<typeof setInterval> | undefined;
  private _inFlight: Promise<FaultsState> | undefined;
  private readonly _listeners = new Set<(s: FaultsState) => void>();
  private readonly _call: CallApi;

  constructor(private readonly _options: FaultsModelOptions) {
    this._call = _options.call ?? callFaultApi;
  }

  get state(): FaultsState | undefined {
    return this._state;
  }

  get polling(): boolean {
    return this._timer !== undefined;
  }

  onDidChange(listener: (s: FaultsState) => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  /** Fetches now (one request at a time); fires when what the view shows changed. */
  refresh(): Promise<FaultsState> {
    return (this._inFlight ??= this._fetch().finally(() => (this._inFlight = undefined)));
  }

  /** Polls while `on` (the view is visible); stops otherwise. */
  setPolling(on: boolean): void {
    if (on && !this._timer && this._options.trusted()) {
      this._timer = setInterval(() => void this.refresh(), this._options.intervalMs ?? 2_000);
      void this.refresh();
    } else if (!on && this._timer) {
      clearInterval(this._timer);
      this._timer = undefined;
    }
  }

  async removeToxic(proxy: string, toxic: string): Promise<void> {
    await this._call(this._api(), 'DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`);
    await this.refresh();
  }

  /** Changes a toxic in place (Toxiproxy's update): `body` is {attributes, toxicity?}. */
  async updateToxic(proxy: string, toxic: string, body: unknown): Promise<void> {
    await this._call(this._api(), 'POST', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`, body);
    await this.refresh();
  }

  /** Enabled = up; disabled = down (a partition: new connections refused, live ones cut). */
  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this._call(this._api(), 'POST', `/proxies/${encodeURIComponent(proxy)}`, { enabled });
    await this.refresh();
  }

  dispose(): void {
    this.setPolling(false);
    this._listeners.clear();
  }

  private _api(): string {
    if (!this._options.trusted()) throw new Error('the Faults view does not call the fault API in Restricted Mode');
    return this._options.api();
  }

  private async _fetch(): Promise<FaultsState> {
    let state: FaultsState;
    if (!this._options.trusted()) state = { kind: 'untrusted' };
    else {
      const api = this._options.api();
      try {
        const proxies = (await this._call(api, 'GET', '/proxies')) as Record<string, ProxyJson>;
        state = { kind: 'ok', api, proxies: Object.values(proxies ?? {}).sort((a, b) => a.name.localeCompare(b.name)) };
      } catch (e) {
        state = { kind: 'unreachable', api, error: (e as Error).message };
      }
    }
    const json = JSON.stringify(state);
    if (json !== this._json || !this._state) {
      this._json = json;
      this._state = state;
      for (const l of [...this._listeners]) l(state);
    }
    return state;
  }
}
