/**
 * Entry of the properties panel: a property run's verdict, each violation's minimal request sequence (method,
 * path, body, status), the seed/path replay command, and the code paths exercised. "Create Regression Test" asks
 * the host to replay the case and write it as a test. The host pushes the result after `ready`; the page keeps it
 * in the webview state so a reloaded page shows it at once.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { el, replaceChildren } from './dom';
import type { PropertiesResult, Step, Violation } from './protocol';
import { showPushedResult } from './resultPage';
import type { RpcClient } from './rpc';

function body(s: Step): string {
  if (s.body === undefined) return '';
  const text = typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function stepRow(s: Step, i: number, last: boolean): HTMLElement {
  const outcome = s.status === null ? `no response (${s.error ?? 'failed'})` : String(s.status);
  return el('tr', { testid: 'step', class: last ? 'ct-failed' : '' },
    el('td', { class: 'ct-num' }, String(i + 1)),
    el('td', { testid: 'step-method' }, s.method),
    el('td', { testid: 'step-path' }, s.path),
    el('td', { testid: 'step-body' }, body(s) ? el('code', {}, body(s)) : ''),
    el('td', { testid: 'step-status', class: last ? 'ct-bad' : '' }, outcome),
    el('td', { class: 'ct-muted' }, s.variant ?? ''),
  );
}

function violationView(rpc: RpcClient, v: Violation, index: number): HTMLElement {
  const status = el('span', { class: 'ct-muted', testid: 'regression-status' });
  const create = el('vscode-button', {
    testid: 'create-regression-test',
    attrs: v.path ? {} : { disabled: true },
    title: v.path ? 'Replay this case and write it as a test in the project\'s language' : 'Only a check\'s violation has a replayable case',
    on: {
      click: () => {
        status.textContent = 'Replaying the case…';
        rpc.request('createRegressionTest', { index }, 120_000).then(
          (r) => (status.textContent = r ? `Written: ${r.file}` : ''),
          (e: Error) => (status.textContent = e.message),
        );
      },
    },
  }, 'Create Regression Test');
  const copy = el('vscode-button', { attrs: { secondary: true }, testid: 'copy-replay', on: { click: () => void rpc.request('copyText', { text: v.replay }).catch(() => undefined) } }, 'Copy Replay Command');
  return el('section', { class: 'ct-violation', testid: 'violation', attrs: { 'data-check': v.check } },
    el('h2', {}, `${index + 1}) ${v.check}${v.kind === 'invariant' ? ' (invariant)' : ''}`),
    el('p', { testid: 'violation-message' }, v.message),
    v.minimalExample.length
      ? el('table', { class: 'ct-table ct-result-table', testid: 'sequence' },
        el('thead', {}, el('tr', {}, ...['#', 'method', 'path', 'body', 'status', ''].map((h) => el('th', {}, h)))),
        el('tbody', {}, ...v.minimalExample.map((s, i) => stepRow(s, i, i === v.minimalExample.length - 1))))
      : el('p', { class: 'ct-muted' }, 'No request sequence (judged over the whole run).'),
    el('p', {}, 'Replay: ', el('code', { testid: 'replay' }, v.replay)),
    v.regressionTest?.file ? el('p', { testid: 'regression-file' }, `Regression test: ${v.regressionTest.file}`) : null,
    el('div', { class: 'ct-actions' }, create, copy, status),
  );
}

function render(root: HTMLElement, rpc: RpcClient, r: PropertiesResult): void {
  const verdict = r.passed && !r.aborted ? 'Passed' : r.aborted ? 'Interrupted' : 'Failed';
  const cp = r.codePathsExercised;
  replaceChildren(root,
    el('div', { class: 'ct-result', testid: 'properties' },
      el('header', {},
        el('h1', { class: 'ct-result-title' }, `Properties · ${r.target}`),
        el('div', { class: `ct-result-status ${r.passed && !r.aborted ? 'ct-good' : 'ct-bad'}`, testid: 'verdict', attrs: { role: 'status' } }, verdict),
        el('div', { class: 'ct-meta', testid: 'summary' }, `${r.runs} runs, ${r.requests} requests, ${r.violations.length} violation${r.violations.length === 1 ? '' : 's'} · seed ${r.seed}${r.path ? `, path ${r.path}` : ''} · ${(r.timing.totalMs / 1000).toFixed(1)} s`),
      ),
      ...r.violations.map((v, i) => violationView(rpc, v, i)),
      r.invariants.length
        ? el('section', {}, el('h2', {}, 'Invariants'), el('ul', {}, ...r.invariants.map((o) => el('li', { class: o.passed ? '' : 'ct-error-text', testid: 'invariant' }, `${o.passed ? 'ok' : 'FAILED'} ${o.name}: ${o.summary}`))))
        : null,
      el('section', { testid: 'code-paths' },
        el('h2', {}, `Code paths exercised: ${cp.distinct} endpoint × status pairs`),
        el('p', { class: 'ct-muted' }, 'What can be seen from outside the server: distinct endpoint × status pairs the run hit.'),
        el('ul', {}, ...cp.endpointStatusPairs.map((p) => el('li', { testid: 'code-path' }, p))),
        cp.notHit.length ? el('p', { class: 'ct-muted' }, `Captured but not hit: ${cp.notHit.join('; ')}`) : null,
      ),
      ...r.notes.map((n) => el('p', { class: 'ct-muted' }, n)),
    ),
  );
}

showPushedResult((e) => (e.name === 'properties' ? e.result : undefined), render);
