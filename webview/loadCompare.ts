/** Entry of the Compare Load Runs panel: two results, a table with deltas, and their timelines overlaid. */
import { el, replaceChildren } from './dom';
import { LoadCharts } from './loadCharts';
import { renderCompareTable } from './loadView';
import type { LabeledLoadResult, LoadComparisonView } from './protocol';
import { RpcClient, vscodeApi } from './rpc';

interface PanelState {
  a?: LabeledLoadResult;
  b?: LabeledLoadResult;
  comparison?: LoadComparisonView;
}

function render(root: HTMLElement, a: LabeledLoadResult, b: LabeledLoadResult, comparison: LoadComparisonView): void {
  const charts = new LoadCharts([`A: ${a.result.spec.name}`, `B: ${b.result.spec.name}`]);
  replaceChildren(root,
    el('div', { class: 'ct-result ct-load', testid: 'compare-view' },
      el('h1', { class: 'ct-result-title' }, 'Compare load runs'),
      el('dl', { class: 'ct-compare-runs' },
        el('dt', {}, 'A'), el('dd', { testid: 'label-a' }, `${a.label} · ${a.result.spec.target} · ${new Date(a.result.startedAt).toLocaleString()}`),
        el('dt', {}, 'B'), el('dd', { testid: 'label-b' }, `${b.label} · ${b.result.spec.target} · ${new Date(b.result.startedAt).toLocaleString()}`)),
      renderCompareTable(a.result, b.result, comparison),
      charts.element));
  charts.attach([a.result.timeline, b.result.timeline]);
}

const root = document.getElementById('app') ?? document.body;
const api = vscodeApi();
const state: PanelState = { ...(api.getState() as PanelState | undefined) };
const rpc = new RpcClient(api);
rpc.onEvent((e) => {
  if (e.name !== 'loadCompare') return;
  state.a = e.a;
  state.b = e.b;
  state.comparison = e.comparison;
  api.setState(state);
  render(root, e.a, e.b, e.comparison);
});
if (state.a && state.b && state.comparison) render(root, state.a, state.b, state.comparison);
else replaceChildren(root, el('p', { class: 'ct-muted' }, 'Loading…'));
rpc.ready();
