/**
 * A load run over time as three uPlot charts (requests per second, p99 in ms, errors per second), one series per
 * run: a live run redraws as ticks arrive; a comparison overlays two runs on the same seconds.
 */
import uPlot from 'uplot';
import { el } from './dom';
import type { LoadTick } from './protocol';

type Column = Array<number | null>;

export interface LoadMetric {
  id: 'rps' | 'p99' | 'errors';
  title: string;
  axis: string;
  value(t: LoadTick): number;
}

export const LOAD_METRICS: LoadMetric[] = [
  { id: 'rps', title: 'Requests per second', axis: 'req/s', value: (t) => t.rps },
  { id: 'p99', title: 'p99 latency', axis: 'ms', value: (t) => t.latency.p99 / 1000 },
  { id: 'errors', title: 'Errors per second', axis: 'errors', value: (t) => t.errors },
];

/** uPlot's columns for one metric: x = seconds 1..n over every run, then each run's values (null past its end). */
export function metricData(metric: LoadMetric, runs: LoadTick[][]): [number[], ...Column[]] {
  const last = Math.max(0, ...runs.flatMap((ticks) => ticks.map((t) => t.second)));
  const xs = Array.from({ length: last }, (_, i) => i + 1);
  const columns = runs.map((ticks) => {
    const col: Column = xs.map(() => null);
    for (const t of ticks) if (t.second >= 1 && t.second <= last) col[t.second - 1] = metric.value(t);
    return col;
  });
  return [xs, ...columns];
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export class LoadCharts {
  readonly element: HTMLElement;
  private readonly _plots: Array<{ metric: LoadMetric; plot: uPlot; host: HTMLElement }> = [];

  /** `labels`: one series per run ("this run", or "A"/"B"). Call `attach()` once the element is in the page. */
  constructor(private readonly _labels: string[]) {
    this.element = el('div', { class: 'ct-load-charts', testid: 'charts' });
  }

  attach(runs: LoadTick[][]): void {
    const fg = cssVar('--vscode-foreground', '#cccccc');
    const grid = cssVar('--ct-border', 'rgba(128,128,128,0.35)');
    const colours = [cssVar('--ct-info', '#3794ff'), cssVar('--ct-warn', '#cca700')];
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    for (const metric of LOAD_METRICS) {
      const host = el('div', { class: 'ct-chart', testid: `chart-${metric.id}`, attrs: { role: 'img', 'aria-label': `${metric.title} over time` } });
      this.element.append(el('section', { class: 'ct-load-chart' }, el('h2', {}, metric.title), host));
      const plot = new uPlot(
        {
          width: this._width(host),
          height: 180,
          scales: { x: { time: false } },
          // Whole seconds on x: ticks are one a second.
          axes: [{ ...axis, label: 'seconds since start', incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600] }, { ...axis, label: metric.axis, size: 60 }],
          legend: { show: this._labels.length > 1 },
          series: [
            { label: 's', value: (_u, v) => (v === null ? '—' : `${v} s`) },
            // Points while there are few (the first seconds of a live run are a point, then a short line).
            ...this._labels.map((label, i) => ({ label, stroke: colours[i % colours.length], width: 1.5, points: { show: (_u: uPlot, _s: number, i0: number, i1: number) => i1 - i0 < 40, size: 5 }, spanGaps: false })),
          ],
        },
        metricData(metric, runs),
        host,
      );
      this._plots.push({ metric, plot, host });
    }
    window.addEventListener('resize', () => {
      for (const p of this._plots) p.plot.setSize({ width: this._width(p.host), height: 180 });
    });
  }

  update(runs: LoadTick[][]): void {
    for (const p of this._plots) p.plot.setData(metricData(p.metric, runs));
  }

  private _width(host: HTMLElement): number {
    return Math.max(320, (host.clientWidth || this.element.clientWidth || 800) - 8);
  }
}
