/**
 * Entry of the experiment results panel. The host pushes the result (a `result` event after `ready`); the page
 * renders it and keeps it in the webview state, so a page VS Code reloads shows it at once.
 */
import { el, replaceChildren } from './dom';
import { renderChart } from './latencyChart';
import type { ExperimentResult } from './protocol';
import { renderHeader, renderHypothesis, renderMetrics, renderPhases, renderTimeline } from './resultsView';
import { RpcClient, vscodeApi } from './rpc';

interface PanelState {
  result?: ExperimentResult;
  file?: string;
}

function render(root: HTMLElement, r: ExperimentResult, file: string | undefined): void {
  const chart = el('div', { class: 'ct-chart', testid: 'chart', attrs: { role: 'img', 'aria-label': 'Probe latency over time' } });
  const failed = r.samples.filter((s) => !s.ok).length;
  replaceChildren(root,
    el('div', { class: 'ct-result', testid: 'result' },
      renderHeader(r, file),
      renderMetrics(r),
      el('section', {},
        el('h2', {}, 'Probe latency'),
        el('div', { class: 'ct-legend-note', testid: 'chart-note' }, `${r.samples.length} probes, ${failed} failed (red points). Shaded: fault (red) and recovery (amber) phases; dashed lines: actions, rollbacks, recovered.`),
        chart),
      renderPhases(r.phases),
      renderHypothesis(r),
      renderTimeline(r.timeline, r.rollbacks),
    ),
  );
  if (r.samples.length) renderChart(chart, r);
  else chart.append(el('p', { class: 'ct-muted' }, 'No probe samples (a dry run, or the run stopped before the method).'));
}

const root = document.getElementById('app') ?? document.body;
const api = vscodeApi();
const state = { ...(api.getState() as PanelState | undefined) };
const rpc = new RpcClient(api);
rpc.onEvent((e) => {
  if (e.name !== 'result') return;
  state.result = e.result;
  state.file = e.file;
  api.setState(state);
  render(root, e.result, e.file);
});
if (state.result) render(root, state.result, state.file);
else replaceChildren(root, el('p', { class: 'ct-muted' }, 'Loading…'));
rpc.ready();
