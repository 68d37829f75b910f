/**
 * Probe latency over the run (uPlot on a canvas): successful probes as a line, failed ones as red points, the
 * fault and recovery phases as bands, and actions, rollbacks and the recovery as vertical lines.
 */
import uPlot from 'uplot';
import type { ExperimentResult } from './protocol';

type Data = [number[], Array<number | null>, Array<number | null>];

/** Columns for uPlot: x in seconds (ascending), y of ok probes, y of failed probes (null where not that kind). */
export function chartData(r: ExperimentResult): Data {
  const samples = [...r.samples].sort((a, b) => a.at - b.at);
  return [samples.map((s) => s.at / 1000), samples.map((s) => (s.ok ? s.latencyMs : null)), samples.map((s) => (s.ok ? null : s.latencyMs))];
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

const BAND: Record<string, string> = { fault: 'rgba(241, 76, 76, 0.14)', recovery: 'rgba(204, 167, 0, 0.12)' };
const LINE_KINDS = new Set(['action', 'rollback', 'recovered']);

export function drawMarks(u: uPlot, r: ExperimentResult): void {
  const ctx = u.ctx;
  const { top, height } = u.bbox;
  const x = (ms: number): number => u.valToPos(ms / 1000, 'x', true);
  ctx.save();
  for (const p of r.phases) {
    if (!BAND[p.phase]) continue;
    ctx.fillStyle = BAND[p.phase];
    ctx.fillRect(x(p.startedAt), top, Math.max(1, x(p.endedAt) - x(p.startedAt)), height);
  }
  ctx.setLineDash([4, 3]);
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  for (const e of r.timeline) {
    if (!LINE_KINDS.has(e.kind)) continue;
    ctx.strokeStyle = e.kind === 'recovered' ? cssVar('--ct-ok', '#73c991') : e.kind === 'action' ? cssVar('--ct-error', '#f14c4c') : cssVar('--ct-muted', '#9d9d9d');
    ctx.beginPath();
    ctx.moveTo(x(e.at), top);
    ctx.lineTo(x(e.at), top + height);
    ctx.stroke();
  }
  ctx.restore();
}

export function renderChart(host: HTMLElement, r: ExperimentResult): uPlot {
  const fg = cssVar('--vscode-foreground', '#cccccc');
  const grid = cssVar('--ct-border', 'rgba(128,128,128,0.35)');
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const width = (): number => Math.max(320, host.clientWidth || 800);
  // Wide enough for the last event too (the recovery can be marked after the last sample).
  const end = Math.max(0, ...r.timeline.map((e) => e.at), ...r.phases.map((p) => p.endedAt)) / 1000;
  const plot = new uPlot(
    {
      width: width(),
      height: 280,
      scales: { x: { time: false, range: (_u, min, max) => [Math.min(0, min), Math.max(max, end)] } },
      axes: [{ ...axis, label: 'seconds since start' }, { ...axis, label: 'latency (ms)' }],
      series: [
        { label: 's', value: (_u, v) => (v === null ? '—' : `${v.toFixed(2)} s`) },
        { label: 'probe ok', stroke: cssVar('--ct-info', '#3794ff'), width: 1.5, spanGaps: false, points: { show: false } },
        { label: 'probe failed', stroke: cssVar('--ct-error', '#f14c4c'), width: 0, paths: () => null, points: { show: true, size: 6, fill: cssVar('--ct-error', '#f14c4c') } },
      ],
      hooks: { drawClear: [(u) => drawMarks(u, r)] },
    },
    chartData(r),
    host,
  );
  window.addEventListener('resize', () => plot.setSize({ width: width(), height: 280 }));
  return plot;
}
