import type { ProxyJson } from '../../core/faults/api';
import type { Toxic } from '../../core/faults/toxics';
import { DisposableBase } from '../disposable';
import type { VSCode, vscodeTypes } from '../types';
import type { FaultsModel, FaultsState } from './faultsModel';

export type FaultNode = { kind: 'proxy'; proxy: ProxyJson } | { kind: 'toxic'; proxy: string; toxic: Toxic };

export const FAULTS_VIEW = 'chaosTesting.faults';
/** Context key the view's welcome texts read: 'untrusted', 'unreachable' or 'ok'. */
export const FAULTS_STATE_KEY = 'chaosTesting.faultsState';

/** `latency=200 ms, jitter=50 ms`: a toxic's attributes that are set, with their units. */
export function describeToxic(t: Toxic): string {
  const unit: Record<string, string> = { latency: 'ms', jitter: 'ms', timeout: 'ms', rate: 'KB/s', bytes: 'B', average_size: 'B', size_variation: 'B' };
  const attrs = Object.entries(t.attributes)
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => `${k}=${v}${unit[k] ? ` ${unit[k]}` : k === 'delay' && t.type === 'slicer' ? ' µs' : k === 'delay' ? ' ms' : ''}`);
  return [t.stream, `${Math.round(t.toxicity * 100)}%`, ...attrs].join(' · ');
}

/**
 * The Faults view: each proxy of the fault API (listen → upstream, up or down) with its toxics as children.
 * The model polls only while the view is visible.
 */
export class FaultsTreeProvider extends DisposableBase implements vscodeTypes.TreeDataProvider<FaultNode> {
  private readonly _changed: vscodeTypes.EventEmitter<FaultNode | undefined>;
  readonly onDidChangeTreeData: vscodeTypes.Event<FaultNode | undefined>;

  constructor(private readonly _vscode: VSCode, readonly model: FaultsModel) {
    super();
    this._changed = this._register(new _vscode.EventEmitter<FaultNode | undefined>());
    this.onDidChangeTreeData = this._changed.event;
    this._register({ dispose: model.onDidChange((s) => this._onState(s)) });
  }

  async getChildren(node?: FaultNode): Promise<FaultNode[]> {
    if (node?.kind === 'proxy') return node.proxy.toxics.map((toxic) => ({ kind: 'toxic', proxy: node.proxy.name, toxic }));
    if (node) return [];
    const state = this.model.state ?? (await this.model.refresh());
    return state.kind === 'ok' ? state.proxies.map((proxy) => ({ kind: 'proxy', proxy })) : [];
  }

  getTreeItem(node: FaultNode): vscodeTypes.TreeItem {
    const vscode = this._vscode;
    if (node.kind === 'proxy') {
      const p = node.proxy;
      const item = new vscode.TreeItem(p.name, p.toxics.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      item.id = `proxy:${p.name}`;
      item.description = `${p.listen} → ${p.upstream}${p.enabled ? '' : ' · down'}${p.toxics.length ? ` · ${p.toxics.length} toxic${p.toxics.length > 1 ? 's' : ''}` : ''}`;
      item.tooltip = `${p.name}: ${p.listen} → ${p.upstream}, ${p.enabled ? 'up' : 'down (new connections refused)'}`;
      item.iconPath = new vscode.ThemeIcon(p.enabled ? 'plug' : 'debug-disconnect', p.enabled ? undefined : new vscode.ThemeColor('errorForeground'));
      item.contextValue = p.enabled ? 'proxy-up' : 'proxy-down';
      return item;
    }
    const t = node.toxic;
    const item = new vscode.TreeItem(`${t.name}`, vscode.TreeItemCollapsibleState.None);
    item.id = `toxic:${node.proxy}/${t.name}`;
    item.description = `${t.type} · ${describeToxic(t)}`;
    item.tooltip = `${t.type} on ${node.proxy} (${t.stream}), toxicity ${t.toxicity}\n${JSON.stringify(t.attributes)}`;
    item.iconPath = new vscode.ThemeIcon('flame');
    item.contextValue = 'toxic';
    return item;
  }

  private _onState(s: FaultsState): void {
    void this._vscode.commands.executeCommand('setContext', FAULTS_STATE_KEY, s.kind);
    this._changed.fire(undefined);
  }
}
