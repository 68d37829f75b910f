/**
 * A load result as DOM: the verdict, the headline numbers, latency percentiles, errors by kind, per endpoint, SLO
 * verdicts with the window where each broke, the breaking point and the drift; and two results compared with
 * their deltas. Text goes in through textContent only.
 */
import { el } from './dom';
import { formatBytes } from './format';
import type { LatencyPercentiles, LoadComparisonView, LoadResult, LoadRunInfo, LoadTick, SloVerdict } from './protocol';

/** A latency in µs, with the resolution it has: "850 µs", "3.21 ms", "45.2 ms", "1.20 s". */
export function latency(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return '—';
  if (us < 1000) return `${Math.round(us)} µs`;
  const ms = us / 1000;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction > 0 && fraction < 0.001 ? 3 : fraction < 0.1 ? 2 : 1)} %`;
}

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function errorRate(r: LoadResult): number {
  return r.totals.sent ? r.totals.errors / r.totals.sent : 0;
}

/** The verdict of a run: passed, failed (which clauses) or stopped early. */
export function verdictOf(r: LoadResult): { text: string; kind: 'passed' | 'failed' | 'stopped' } {
  const b = r.breakingPoint;
  if (r.verdict === 'breaking-point' && b) return { text: `Breaking point: level ${b.lastGoodLevel} (${b.lastGoodRps.toFixed(1)} req/s) met the SLO${b.brokeAtLevel === null ? '' : `; ${b.brokeAtLevel} broke it`}`, kind: 'passed' };
  if (r.stopped) return { text: `Stopped: ${r.stopped} after ${r.timeline.length} s (partial result)`, kind: 'stopped' };
  if (r.passed) return { text: r.slo.length ? 'SLOs met' : 'Done (no SLO)', kind: 'passed' };
  return { text: `SLO failed: ${r.slo.filter((s) => !s.passed).map((s) => s.clause).join(', ')}`, kind: 'failed' };
}

/** A measured SLO value in the clause's unit: latency, a share of errors, or requests per second. */
export function sloValue(clause: string, value: number): string {
  if (/^\s*errors/.test(clause)) return percent(value);
  if (/^\s*rps/.test(clause)) return `${value.toFixed(1)} req/s`;
  return latency(value);
}

function metric(label: string, value: string, testid: string, bad = false): HTMLElement {
  return el('div', { class: 'ct-metric', testid }, el('div', { class: 'ct-metric-label' }, label), el('div', { class: `ct-metric-value${bad ? ' ct-error-text' : ''}`, testid: `${testid}-value` }, value));
}

function table(testid: string, head: string[], rows: HTMLElement[], numeric: number[] = []): HTMLElement {
  return el('table', { class: 'ct-result-table', testid },
    el('thead', {}, el('tr', {}, ...head.map((h, i) => el('th', { class: numeric.includes(i) ? 'ct-num' : '' }, h)))),
    el('tbody', {}, ...rows));
}

function td(text: string, o: { num?: boolean; testid?: string; class?: string } = {}): HTMLElement {
  return el('td', { class: [o.num ? 'ct-num' : '', o.class ?? ''].join(' ').trim(), testid: o.testid }, text);
}

export function renderHeader(run: LoadRunInfo, result: LoadResult | undefined, ticks: LoadTick[], source: string | undefined): HTMLElement {
  const v = result ? verdictOf(result) : undefined;
  const planned = run.durationMs ? ` of ${Math.round(run.durationMs / 1000)} s` : '';
  const status = v?.text ?? `Running: ${ticks.at(-1)?.second ?? 0} s${planned}`;
  const spec = result?.spec;
  const meta = [
    run.target || spec?.target,
    spec ? `${spec.profile.kind}, ${spec.model.kind === 'closed' ? `${spec.model.connections} connections` : `${spec.model.rate} req/s`}` : undefined,
    result ? new Date(result.startedAt).toLocaleString() : undefined,
    source,
  ].filter(Boolean).join(' · ');
  return el('header', { class: 'ct-result-header', testid: 'header' },
    el('h1', { class: 'ct-result-title', testid: 'title' }, run.name),
    el('div', { class: `ct-result-status ${v ? (v.kind === 'passed' ? 'ct-good' : 'ct-bad') : 'ct-muted'}`, testid: 'verdict', attrs: { 'data-verdict': v?.kind ?? 'running', role: 'status' } }, status),
    el('div', { class: 'ct-meta', testid: 'meta' }, meta),
  );
}

/** The live numbers (last tick) while running, the run's totals after. */
export function renderMetrics(result: LoadResult | undefined, ticks: LoadTick[]): HTMLElement {
  if (!result) {
    const t = ticks.at(-1);
    const sent = ticks.reduce((n, x) => n + x.sent, 0);
    const errors = ticks.reduce((n, x) => n + x.errors, 0);
    return el('section', { class: 'ct-metrics', testid: 'metrics' },
      metric('Requests/s (last second)', t ? count(t.rps) : '—', 'rps'),
      metric('p99 (last second)', latency(t?.latency.p99), 'p99'),
      metric('Sent', count(sent), 'sent'),
      metric('Errors', count(errors), 'errors', errors > 0),
    );
  }
  const rate = errorRate(result);
  return el('section', { class: 'ct-metrics', testid: 'metrics' },
    metric('Requests/s', count(result.rps), 'rps'),
    metric('p50', latency(result.latency.p50), 'p50'),
    metric('p99', latency(result.latency.p99), 'p99'),
    metric('Sent', count(result.totals.sent), 'sent'),
    metric('Errors', `${count(result.totals.errors)} (${percent(rate)})`, 'errors', result.totals.errors > 0),
    metric('Read', formatBytes(result.totals.bytesRead), 'bytes'),
  );
}

const PERCENTILES: Array<keyof LatencyPercentiles> = ['min', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean'];

export function renderPercentiles(l: LatencyPercentiles): HTMLElement {
  return el('section', {}, el('h2', {}, 'Latency'),
    table('percentiles', PERCENTILES, [el('tr', {}, ...PERCENTILES.map((p) => td(latency(l[p]), { num: true, testid: `lat-${p}` })))], PERCENTILES.map((_, i) => i)));
}

export function renderErrors(r: LoadResult): HTMLElement {
  const kinds = Object.entries(r.totals.errorsByKind).filter(([, n]) => (n ?? 0) > 0).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  const rows = kinds.map(([kind, n]) => el('tr', { testid: `error-${kind}` }, td(kind), td(count(n ?? 0), { num: true }), td(percent(r.totals.sent ? (n ?? 0) / r.totals.sent : 0), { num: true })));
  return el('section', {}, el('h2', {}, 'Errors by kind'),
    rows.length ? table('errors', ['kind', 'count', 'of requests'], rows, [1, 2]) : el('p', { class: 'ct-muted', testid: 'no-errors' }, 'No errors.'));
}

export function renderEndpoints(r: LoadResult): HTMLElement {
  const rows = r.endpoints.map((e) =>
    el('tr', { testid: 'endpoint-row' }, td(e.endpoint), td(count(e.requests), { num: true }), td(count(e.errors), { num: true, class: e.errors ? 'ct-bad' : '' }),
      td(latency(e.latency.p50), { num: true }), td(latency(e.latency.p99), { num: true }), td(latency(e.latency.max), { num: true })));
  return el('section', {}, el('h2', {}, 'Per endpoint'), table('endpoints', ['endpoint', 'requests', 'errors', 'p50', 'p99', 'max'], rows, [1, 2, 3, 4, 5]));
}

function brokeAt(s: SloVerdict): string {
  if (!s.brokeAt) return '';
  return `${s.brokeAt.fromSecond}–${s.brokeAt.toSecond} s (${sloValue(s.clause, s.brokeAt.actual)})`;
}

export function renderSlo(r: LoadResult): HTMLElement {
  if (!r.slo.length) return el('section', {}, el('h2', {}, 'SLO'), el('p', { class: 'ct-muted', testid: 'no-slo' }, 'No SLO was set: the run reports only.'));
  const rows = r.slo.map((s) =>
    el('tr', { testid: 'slo-row', class: s.passed ? '' : 'ct-failed', attrs: { 'data-passed': String(s.passed) } },
      td(s.clause), td(s.passed ? 'met' : 'broken', { class: s.passed ? 'ct-good' : 'ct-bad' }), td(sloValue(s.clause, s.actual), { num: true }), td(brokeAt(s), { testid: 'slo-broke' })));
  return el('section', {}, el('h2', {}, 'SLO'), table('slo', ['clause', 'verdict', 'over the run', 'first broke at'], rows, [2]));
}

export function renderBreakingPoint(r: LoadResult): HTMLElement | null {
  const b = r.breakingPoint;
  if (!b) return null;
  const at = b.brokeAtLevel === null ? 'never broke up to the highest level' : `broke at level ${count(b.brokeAtLevel)}`;
  return el('section', { testid: 'breaking-point' }, el('h2', {}, 'Breaking point'),
    el('p', {}, `Last good level ${count(b.lastGoodLevel)} (${count(b.lastGoodRps)} req/s); ${at}: ${b.reason}`));
}

export function renderDrift(r: LoadResult): HTMLElement | null {
  const d = r.drift;
  if (!d) return null;
  const rows = [
    el('tr', {}, td('p99'), td(latency(d.p99Start), { num: true }), td(latency(d.p99End), { num: true })),
    el('tr', {}, td('error rate'), td(percent(d.errorRateStart), { num: true }), td(percent(d.errorRateEnd), { num: true })),
    d.rssStartBytes !== undefined && d.rssEndBytes !== undefined ? el('tr', {}, td('target RSS'), td(formatBytes(d.rssStartBytes), { num: true }), td(formatBytes(d.rssEndBytes), { num: true })) : null,
  ].filter((x): x is HTMLTableRowElement => x !== null);
  return el('section', { testid: 'drift' }, el('h2', {}, 'Drift (first third → last third)'), table('drift-table', ['', 'start', 'end'], rows, [1, 2]));
}

/** What the run concluded (above the charts): the SLO verdicts, the breaking point, the drift. */
export function renderVerdicts(r: LoadResult): HTMLElement {
  return el('div', { class: 'ct-load-tables', testid: 'verdicts' }, renderSlo(r), renderBreakingPoint(r), renderDrift(r));
}

/** The numbers behind it (below the charts): percentiles, errors by kind, per endpoint, the request mix. */
export function renderDetails(r: LoadResult): HTMLElement {
  return el('div', { class: 'ct-load-tables', testid: 'summary' },
    renderPercentiles(r.latency), renderErrors(r), renderEndpoints(r),
    el('p', { class: 'ct-muted', testid: 'mix' }, `Requests: ${r.mixSource}`));
}

const TREND_CLASS = { better: 'ct-good', worse: 'ct-bad', same: '' } as const;

function figure(metric: string, v: number): string {
  if (metric === 'rps') return `${v.toFixed(1)} req/s`;
  if (metric === 'errors') return percent(v);
  return latency(v);
}

/** B − A: points for the error rate, the difference and its share for the rest. */
function change(row: LoadComparisonView['rows'][number]): string {
  const d = row.b - row.a;
  if (d === 0) return '=';
  const sign = d > 0 ? '+' : '−';
  if (row.metric === 'errors') return `${sign}${(Math.abs(d) * 100).toFixed(2)} pt`;
  const rel = row.change === null ? '' : ` (${sign}${Math.abs(row.change * 100).toFixed(1)} %)`;
  return `${sign}${figure(row.metric, Math.abs(d))}${rel}`;
}

/**
 * Two runs' numbers side by side (the rows of `chaos-testing load compare`) with B − A, green where B is better
 * and red where worse beyond noise, the SLO verdicts, and the comparison's one-line verdict.
 */
export function renderCompareTable(a: LoadResult, b: LoadResult, c: LoadComparisonView): HTMLElement {
  const rows = c.rows.map((row) =>
    el('tr', { testid: `cmp-${row.metric}`, attrs: { 'data-trend': row.trend } },
      td(row.metric), td(figure(row.metric, row.a), { num: true, testid: 'a' }), td(figure(row.metric, row.b), { num: true, testid: 'b' }),
      td(change(row), { num: true, testid: 'delta', class: TREND_CLASS[row.trend] })));
  rows.push(el('tr', { testid: 'cmp-verdict' }, td('verdict'), td(verdictOf(a).text, { testid: 'a' }), td(verdictOf(b).text, { testid: 'b' }), td('')));
  return el('section', {},
    el('div', { class: `ct-result-status ${c.verdict === 'regressed' ? 'ct-bad' : c.verdict === 'improved' ? 'ct-good' : 'ct-muted'}`, testid: 'compare-verdict', attrs: { 'data-verdict': c.verdict } }, `B vs A: ${c.summary}`),
    table('compare', ['', 'A', 'B', 'B − A'], rows, [1, 2, 3]));
}
