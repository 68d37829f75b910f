/**
 * The experiment result as DOM (everything but the chart): status, hypothesis before and after, recovery, error
 * rate, a table of phases with percentiles, the timeline and the rollbacks. Text goes in through textContent only.
 */
import { el } from './dom';
import type { ExperimentResult, PhaseStats, ProbeOutcome, TimelineEvent } from './protocol';

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v * 10) / 10} ms`;
}

export function percent(v: number): string {
  return `${(v * 100).toFixed(1)} %`;
}

/** `completed` and held → good; anything else is bad, with the words the CLI uses. */
export function statusWords(r: ExperimentResult): { text: string; good: boolean } {
  const words: Record<ExperimentResult['status'], string> = {
    completed: r.hypothesisHeld ? 'Hypothesis held' : 'Hypothesis failed after the method',
    failed: 'Failed',
    aborted: 'Aborted (rolled back)',
    'unhealthy-before': 'Not healthy before the method: nothing was injected',
  };
  return { text: words[r.status] ?? r.status, good: r.status === 'completed' && r.hypothesisHeld };
}

function metric(label: string, value: string, testid: string, bad = false): HTMLElement {
  return el('div', { class: 'ct-metric', testid }, el('div', { class: 'ct-metric-label' }, label), el('div', { class: `ct-metric-value${bad ? ' ct-error-text' : ''}`, testid: `${testid}-value` }, value));
}

export function renderHeader(r: ExperimentResult, file: string | undefined): HTMLElement {
  const s = statusWords(r);
  const meta = [file, r.dryRun ? 'dry run' : undefined, new Date(r.startedAt).toLocaleString(), `took ${ms(r.durationMs)}`].filter(Boolean).join(' · ');
  return el('header', { class: 'ct-result-header', testid: 'header' },
    el('h1', { class: 'ct-result-title', testid: 'title' }, r.title),
    el('div', { class: `ct-result-status ${s.good ? 'ct-good' : 'ct-bad'}`, testid: 'status', attrs: { 'data-status': r.status, role: 'status' } }, s.text),
    el('div', { class: 'ct-meta' }, meta),
  );
}

export function renderMetrics(r: ExperimentResult): HTMLElement {
  const recovery = r.recoveryTimeMs === null ? 'did not recover' : `${ms(r.recoveryTimeMs)} (${r.consecutiveSuccesses} consecutive)`;
  return el('section', { class: 'ct-metrics', testid: 'metrics' },
    metric('Hypothesis before', passed(r.hypothesisBefore), 'hypothesis-before', r.hypothesisBefore.some((o) => !o.ok)),
    metric('Hypothesis after', r.hypothesisAfter.length ? passed(r.hypothesisAfter) : 'not run', 'hypothesis-after', !r.hypothesisHeld),
    metric('Recovery time', recovery, 'recovery', r.recoveryTimeMs === null),
    metric('Recovered', r.recoveredSuccessfully ? 'yes' : 'no', 'recovered', !r.recoveredSuccessfully),
    metric('Error rate during failure', percent(r.errorRateDuringFailure), 'error-rate'),
  );
}

function passed(outcomes: ProbeOutcome[]): string {
  if (!outcomes.length) return 'no probes';
  const ok = outcomes.filter((o) => o.ok).length;
  return `${ok}/${outcomes.length} probes passed`;
}

function table(testid: string, head: string[], rows: HTMLElement[]): HTMLElement {
  return el('table', { class: 'ct-result-table', testid }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
}

export function renderHypothesis(r: ExperimentResult): HTMLElement {
  const rows = ([['before', r.hypothesisBefore], ['after', r.hypothesisAfter]] as const).flatMap(([when, outcomes]) =>
    outcomes.map((o) =>
      el('tr', { class: o.ok ? '' : 'ct-failed', testid: 'probe-row', attrs: { 'data-ok': String(o.ok) } },
        el('td', {}, when), el('td', {}, o.probe), el('td', { class: o.ok ? 'ct-good' : 'ct-bad' }, o.ok ? 'ok' : 'failed'),
        el('td', {}, o.status === undefined ? '—' : String(o.status)), el('td', { class: 'ct-num' }, ms(o.latencyMs)), el('td', {}, o.detail)),
    ),
  );
  return el('section', {}, el('h2', {}, 'Steady-state hypothesis'), table('hypothesis', ['when', 'probe', 'result', 'status', 'latency', 'detail'], rows));
}

export function renderPhases(phases: PhaseStats[]): HTMLElement {
  const rows = phases.map((p) =>
    el('tr', { testid: `phase-${p.phase}` },
      el('td', {}, p.phase), el('td', { class: 'ct-num' }, ms(p.endedAt - p.startedAt)), el('td', { class: 'ct-num' }, String(p.probes)),
      el('td', { class: 'ct-num' }, String(p.errors)), el('td', { class: 'ct-num' }, percent(p.errorRate)),
      el('td', { class: 'ct-num', testid: 'p50' }, ms(p.p50)), el('td', { class: 'ct-num', testid: 'p95' }, ms(p.p95)), el('td', { class: 'ct-num', testid: 'p99' }, ms(p.p99))),
  );
  return el('section', {}, el('h2', {}, 'Phases'), table('phases', ['phase', 'duration', 'probes', 'errors', 'error rate', 'p50', 'p95', 'p99'], rows));
}

export function renderTimeline(events: TimelineEvent[], rollbacks: ExperimentResult['rollbacks']): HTMLElement {
  const rows = [...events].sort((a, b) => a.at - b.at).map((e) =>
    el('tr', { testid: 'timeline-row', class: e.ok === false ? 'ct-failed' : '' },
      el('td', { class: 'ct-num' }, `${(e.at / 1000).toFixed(3)} s`), el('td', {}, e.kind), el('td', {}, e.name), el('td', {}, e.detail ?? ''), el('td', {}, e.ok === undefined ? '' : e.ok ? 'ok' : 'failed')),
  );
  const rb = rollbacks.map((b) => el('li', { class: b.ok ? '' : 'ct-error-text', testid: 'rollback' }, `${b.action}: ${b.ok ? 'rolled back' : `rollback failed: ${b.error ?? 'unknown error'}`}`));
  return el('section', {},
    el('h2', {}, 'Timeline'), table('timeline', ['at', 'kind', 'name', 'detail', ''], rows),
    rb.length ? el('h2', {}, 'Rollbacks') : null, rb.length ? el('ul', { class: 'ct-rollbacks' }, ...rb) : null,
  );
}
