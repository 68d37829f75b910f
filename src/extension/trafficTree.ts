import type { EndpointNode, ExchangeRow, HostNode, StatusClass, TrafficFilter, TrafficOverview } from '../core/store/queries';
import { statusClassOf } from '../core/store/queries';
import { DisposableBase } from './disposable';
import type { VSCode, vscodeTypes } from './types';

/** Where the tree gets its data (the extension answers through the engine child). */
export interface TrafficSource {
  overview(filter: TrafficFilter): Promise<TrafficOverview>;
  endpoint(host: string, endpoint: EndpointNode, filter: TrafficFilter, limit: number): Promise<{ total: number; rows: ExchangeRow[] }>;
  /** The database and cache calls linked to an HTTP exchange. */
  calls?(id: number): Promise<ExchangeRow[]>;
}

export type TrafficNode =
  | { kind: 'host'; host: HostNode }
  | { kind: 'endpoint'; host: string; endpoint: EndpointNode }
  | { kind: 'exchange'; row: ExchangeRow }
  /** A database or cache call under the HTTP exchange that made it. */
  | { kind: 'call'; row: ExchangeRow }
  | { kind: 'more'; count: number }
  | { kind: 'message'; text: string };

/** Exchanges listed under one endpoint; the rest are a click away in the Traffic Browser. */
export const EXCHANGES_PER_ENDPOINT = 100;

const ICON: Record<StatusClass, [string, string | undefined]> = {
  '1xx': ['info', undefined],
  '2xx': ['pass', 'testing.iconPassed'],
  '3xx': ['arrow-right', undefined],
  '4xx': ['warning', 'list.warningForeground'],
  '5xx': ['error', 'list.errorForeground'],
  error: ['debug-disconnect', 'list.errorForeground'],
};

/** Codicons of the wire protocols (database, cache, broker, RPC). */
export const PROTOCOL_ICONS: Record<string, string> = {
  postgres: 'database',
  mysql: 'database',
  redis: 'symbol-key',
  kafka: 'radio-tower',
  grpc: 'symbol-method',
};

/** The one wire protocol a host speaks, or undefined (HTTP, or a mix). */
function wireProtocolOf(host: HostNode): string | undefined {
  return host.protocols?.length === 1 && PROTOCOL_ICONS[host.protocols[0]] ? host.protocols[0] : undefined;
}

/** The worst class among an endpoint's statuses (errors and 5xx first). */
export function worstClass(statuses: number[], errors: number): StatusClass {
  if (errors > 0) return 'error';
  const order: StatusClass[] = ['5xx', '4xx', '3xx', '2xx', '1xx'];
  const classes = new Set(statuses.map(statusClassOf));
  return order.find((c) => classes.has(c)) ?? '2xx';
}

function time(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/**
 * The Traffic tree: host → method + path template → exchanges. Refreshes are throttled (a capture at thousands of
 * requests a second asks for one at most every `throttleMs`), and a filter by text and status classes applies to
 * every level.
 */
export class TrafficTreeProvider extends DisposableBase implements vscodeTypes.TreeDataProvider<TrafficNode> {
  private readonly _onDidChange: vscodeTypes.EventEmitter<TrafficNode | undefined>;
  readonly onDidChangeTreeData: vscodeTypes.Event<TrafficNode | undefined>;
  private _filter: TrafficFilter = {};
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private _lastRefresh = 0;
  /** The overview the tree last rendered, as JSON. */
  private _shown: string | undefined;
  /** Total exchanges in the last overview (with the filter), for the view's message and context keys. */
  lastTotal = 0;
  onDidLoad: ((overview: TrafficOverview) => void) | undefined;

  constructor(private readonly _vscode: VSCode, private readonly _source: TrafficSource, private readonly _throttleMs = 1000) {
    super();
    this._onDidChange = this._register(new _vscode.EventEmitter<TrafficNode | undefined>());
    this.onDidChangeTreeData = this._onDidChange.event;
    this._register({ dispose: () => this._timer && clearTimeout(this._timer) });
  }

  get filter(): TrafficFilter {
    return this._filter;
  }

  setFilter(filter: TrafficFilter): void {
    this._filter = filter;
    this.refresh(true);
  }

  /** Schedules a refresh; `now` skips the throttle (user actions). */
  refresh(now = false): void {
    if (now) {
      if (this._timer) clearTimeout(this._timer);
      this._timer = undefined;
      this._fire();
      return;
    }
    if (this._timer) return;
    const wait = Math.max(0, this._lastRefresh + this._throttleMs - Date.now());
    this._timer = setTimeout(() => {
      this._timer = undefined;
      void this._fireIfChanged();
    }, wait);
  }

  /**
   * A change to the file that leaves what the tree shows as it was (a snapshot of rows already shown) re-renders
   * nothing: a re-render drops the commands of the items on screen, so a click landing just then would be lost.
   */
  private async _fireIfChanged(): Promise<void> {
    if (this._shown !== undefined) {
      try {
        if (JSON.stringify(await this._source.overview(this._filter)) === this._shown) {
          this._lastRefresh = Date.now();
          return;
        }
      } catch {
        // Refresh: getChildren says what went wrong.
      }
    }
    this._fire();
  }

  private _fire(): void {
    this._lastRefresh = Date.now();
    this._onDidChange.fire(undefined);
  }

  async getChildren(node?: TrafficNode): Promise<TrafficNode[]> {
    try {
      if (!node) {
        const overview = await this._source.overview(this._filter);
        this._shown = JSON.stringify(overview);
        this.lastTotal = overview.total;
        this.onDidLoad?.(overview);
        if (!overview.hosts.length) {
          // An empty root shows the view's welcome content; with a filter on, say why it is empty instead.
          return this._filter.text || this._filter.statuses?.length ? [{ kind: 'message', text: 'No exchanges match the filter' }] : [];
        }
        if (overview.hosts.length === 1) return this._endpoints(overview.hosts[0]);
        return overview.hosts.map((host) => ({ kind: 'host', host }));
      }
      if (node.kind === 'host') return this._endpoints(node.host);
      if (node.kind === 'exchange' && node.row.calls && this._source.calls) {
        return (await this._source.calls(node.row.id)).map((row) => ({ kind: 'call', row }));
      }
      if (node.kind === 'endpoint') {
        const { total, rows } = await this._source.endpoint(node.host, node.endpoint, this._filter, EXCHANGES_PER_ENDPOINT);
        const items: TrafficNode[] = rows.map((row) => ({ kind: 'exchange', row }));
        if (total > rows.length) items.push({ kind: 'more', count: total - rows.length });
        return items;
      }
      return [];
    } catch (e) {
      return [{ kind: 'message', text: `Cannot read traffic: ${(e as Error).message}` }];
    }
  }

  private _endpoints(host: HostNode): TrafficNode[] {
    return host.endpoints.map((endpoint) => ({ kind: 'endpoint', host: host.host, endpoint }));
  }

  getTreeItem(node: TrafficNode): vscodeTypes.TreeItem {
    const vscode = this._vscode;
    const { TreeItem, TreeItemCollapsibleState: State, ThemeIcon, ThemeColor } = vscode;
    const icon = (c: StatusClass): vscodeTypes.ThemeIcon => {
      const [id, color] = ICON[c];
      return new ThemeIcon(id, color ? new ThemeColor(color) : undefined);
    };
    const failed = (id: string, yes: boolean): vscodeTypes.ThemeIcon => new ThemeIcon(id, yes ? new ThemeColor('list.errorForeground') : undefined);
    switch (node.kind) {
      case 'host': {
        const wire = wireProtocolOf(node.host);
        const item = new TreeItem(wire ? `${wire} ${node.host.host}` : node.host.host, State.Expanded);
        item.id = `host:${node.host.host}`;
        item.description = `${node.host.count}`;
        item.iconPath = new ThemeIcon(wire ? PROTOCOL_ICONS[wire] : 'server');
        item.contextValue = 'host';
        return item;
      }
      case 'endpoint': {
        const e = node.endpoint;
        const item = new TreeItem(`${e.method} ${e.template}`, State.Collapsed);
        const wireIcon = PROTOCOL_ICONS[e.protocol];
        if (wireIcon) {
          item.id = `endpoint:${node.host}:${e.method}:${e.template}:${e.protocol}`;
          item.description = `${e.count}${e.errors ? ` · ${e.errors} failed` : ''}`;
          item.tooltip = `${e.count} ${e.protocol} call${e.count === 1 ? '' : 's'} of ${e.method} ${e.template} on ${node.host}${e.errors ? `; ${e.errors} failed` : ''}`;
          item.iconPath = failed(wireIcon, e.errors > 0);
          item.contextValue = 'call-template';
          return item;
        }
        item.id = `endpoint:${node.host}:${e.method}:${e.template}:${e.protocol}`;
        const statuses = e.statuses.join(' ') + (e.errors ? `${e.statuses.length ? ' ' : ''}failed` : '');
        item.description = `${e.count} · ${statuses}`;
        item.tooltip = `${e.count} exchange${e.count === 1 ? '' : 's'} of ${e.method} ${e.template} on ${node.host} (${e.protocol}); statuses: ${statuses}`;
        item.iconPath = icon(worstClass(e.statuses, e.errors));
        item.contextValue = 'endpoint';
        return item;
      }
      case 'call': {
        const r = node.row;
        const item = new TreeItem(`${r.method} ${r.url}`, State.None);
        item.id = `call:${r.id}`;
        item.description = `${r.durationMs === null ? '' : `${Math.round(r.durationMs * 10) / 10} ms`}${r.error ? ' · failed' : ''}`;
        item.tooltip = `#${r.id} ${r.protocol} ${r.host ?? ''}\n${r.url}${r.error ? `\n${r.error}` : ''}`;
        item.iconPath = failed(PROTOCOL_ICONS[r.protocol] ?? 'plug', Boolean(r.error));
        item.contextValue = 'call';
        item.command = { command: 'chaosTesting.showExchange', title: 'Show Exchange', arguments: [r.id] };
        return item;
      }
      case 'exchange': {
        const r = node.row;
        if (PROTOCOL_ICONS[r.protocol]) {
          const item = new TreeItem(`${time(r.startedAt)}  ${r.error ? 'failed' : 'ok'}`, State.None);
          item.id = `exchange:${r.id}`;
          item.description = r.durationMs === null ? '' : `${Math.round(r.durationMs * 10) / 10} ms`;
          item.tooltip = `#${r.id} ${r.protocol} ${r.method} ${r.url}${r.error ? `\n${r.error}` : ''}`;
          item.iconPath = failed(PROTOCOL_ICONS[r.protocol], Boolean(r.error));
          item.contextValue = 'call';
          item.command = { command: 'chaosTesting.showExchange', title: 'Show Exchange', arguments: [r.id] };
          return item;
        }
        const status = r.status === null ? 'failed' : String(r.status);
        const item = new TreeItem(`${time(r.startedAt)}  ${status}`, r.calls ? State.Collapsed : State.None);
        item.id = `exchange:${r.id}`;
        item.description = (r.durationMs === null ? '' : `${Math.round(r.durationMs)} ms`) + (r.calls ? ` · ${r.calls} call${r.calls === 1 ? '' : 's'}` : '');
        item.tooltip = `#${r.id} ${r.method} ${r.url}\n${r.error ?? `status ${status}`}, ${r.responseBodySize} bytes`;
        item.iconPath = icon(statusClassOf(r.status));
        item.contextValue = 'exchange';
        item.command = { command: 'chaosTesting.showExchange', title: 'Show Exchange', arguments: [r.id] };
        return item;
      }
      case 'more': {
        const item = new TreeItem(`… ${node.count} more`, State.None);
        item.description = 'open the Traffic Browser';
        item.iconPath = new ThemeIcon('table');
        item.command = { command: 'chaosTesting.openTrafficBrowser', title: 'Open Traffic Browser' };
        return item;
      }
      case 'message': {
        const item = new TreeItem(node.text, State.None);
        item.iconPath = new ThemeIcon('info');
        return item;
      }
    }
  }
}

/** "text · 4xx 5xx" for the view description, or undefined when nothing filters. */
export function describeFilter(f: TrafficFilter): string | undefined {
  const parts = [f.text ? `"${f.text}"` : '', (f.statuses ?? []).join(' ')].filter(Boolean);
  return parts.length ? `filter: ${parts.join(' · ')}` : undefined;
}
