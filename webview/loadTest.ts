/**
 * Entry of the load test panel. The host pushes the run's state on ready (and when a new run starts), each tick
 * as it arrives, and the result at the end; the charts redraw per tick, the tables appear with the result. The
 * state is kept in the webview state, so a page VS Code reloads shows it at once.
 */
import { el, replaceChildren } from './dom';
import { LoadCharts } from './loadCharts';
import { renderDetails, renderHeader, renderMetrics, renderVerdicts } from './loadView';
import type { LoadResult, LoadRunInfo, LoadTick } from './protocol';
import { RpcClient, vscodeApi } from './rpc';

interface PanelState {
  run?: LoadRunInfo;
  ticks: LoadTick[];
  result?: LoadResult;
  source?: string;
}

const root = document.getElementById('app') ?? document.body;
const api = vscodeApi();
const saved = api.getState() as PanelState | undefined;
const state: PanelState = { ticks: [], ...saved };
let charts: LoadCharts | undefined;
const header = el('div', {});
const metrics = el('div', {});
const verdicts = el('div', {});
const tables = el('div', {});

/** Lays the page out for the current run (the charts once, then updated in place). */
function renderAll(): void {
  if (!state.run) {
    replaceChildren(root, el('p', { class: 'ct-muted' }, 'Waiting for a load run…'));
    return;
  }
  charts = new LoadCharts(['this run']);
  replaceChildren(root, el('div', { class: 'ct-result ct-load', testid: 'load' }, header, metrics, verdicts, charts.element, tables));
  charts.attach([state.ticks]);
  renderText();
}

function renderText(): void {
  if (!state.run) return;
  replaceChildren(header, renderHeader(state.run, state.result, state.ticks, state.source));
  replaceChildren(metrics, renderMetrics(state.result, state.ticks));
  replaceChildren(verdicts, state.result ? renderVerdicts(state.result) : null);
  replaceChildren(tables, state.result ? renderDetails(state.result) : null);
}

function save(): void {
  api.setState(state);
}

const rpc = new RpcClient(api);
rpc.onEvent((e) => {
  if (e.name === 'loadState') {
    Object.assign(state, { run: e.run, ticks: [...e.ticks], result: e.result, source: e.source });
    save();
    renderAll();
  } else if (e.name === 'loadTick') {
    state.ticks.push(e.tick);
    save();
    charts?.update([state.ticks]);
    renderText();
  } else if (e.name === 'loadResult') {
    state.result = e.result;
    state.source = e.source;
    if (!state.ticks.length) state.ticks = [...e.result.timeline];
    save();
    charts?.update([state.ticks]);
    renderText();
  }
});
renderAll();
rpc.ready();
