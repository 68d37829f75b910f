/**
 * The readiness result as one self-contained HTML page: styles, uPlot and the page script inline (no network), under
 * a CSP that runs only scripts carrying this page's nonce. The same page opens in the editor's webview.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CheckOutcome, ReadinessResult } from '../types';
import { coverageSvg } from './coverageSvg';
import { PAGE_SCRIPT } from './htmlScript';

const STATUS: Record<CheckOutcome['status'], string> = { passed: 'passed', failed: 'FAILED', error: 'ERROR', skipped: 'skipped' };

export interface HtmlOptions {
  /** The nonce scripts carry (default: a fresh one). */
  nonce?: string;
  /** Turns a check's `run` note into a link target, e.g. a command URI in the editor. */
  runHref?: (check: CheckOutcome, index: number) => string | undefined;
}

export function toHtml(r: ReadinessResult, options: HtmlOptions = {}): string {
  const nonce = options.nonce ?? randomBytes(16).toString('base64');
  const { js, css } = uplotAssets();
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; img-src data:`;
  const passed = r.checks.filter((c) => c.status === 'passed').length;
  const rows = r.checks.map((c, i) => {
    const href = options.runHref?.(c, i);
    const run = c.run ? (href ? `<a href="${esc(href)}">${esc(c.run)}</a>` : esc(c.run)) : '';
    return `<tr class="${c.status}"><td class="status">${STATUS[c.status]}</td><td>${esc(c.name)}</td><td>${c.kind}</td><td>${esc(c.figure)}</td><td class="num">${(c.durationMs / 1000).toFixed(1)} s</td><td class="run">${run}</td></tr>`;
  });
  const sections: string[] = [];
  r.checks.forEach((c, i) => {
    if (c.charts?.latency?.length) sections.push(chart(`Latency over time — ${c.name}`, 'latency', i));
    if (c.charts?.recovery?.samples.length) sections.push(chart(`Recovery timeline — ${c.name}`, 'recovery', i, 'shaded: fault (red), recovery (yellow); dashed line: recovered'));
    if (c.charts?.coverage?.length) sections.push(`<section><h2>Control coverage per framework — ${esc(c.name)}</h2>${coverageSvg(c.charts.coverage)}</section>`);
  });
  const broken = r.checks.filter((c) => c.status !== 'passed' && c.failures.length);
  const failures = broken.length
    ? `<section><h2>What broke</h2>${broken.map((c) => `<h3>${esc(c.name)} <small>(${c.kind}, ${esc(r.suite)}:${c.place.line})</small></h3><ul>${c.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`).join('')}</section>`
    : '';
  // JSON inside <script>: '<' escaped so no string in it can close the element.
  const data = JSON.stringify({ checks: r.checks.map((c) => ({ charts: c.charts ?? {} })) }).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Production readiness: ${esc(r.name)}</title>
<style>${css}
${STYLE}</style>
</head>
<body class="${r.passed ? 'ready' : 'not-ready'}">
<header><h1>Production readiness: ${esc(r.name)} — <span class="verdict">${r.passed ? 'ready' : r.aborted ? 'stopped' : 'not ready'}</span></h1>
<p>${passed} of ${r.checks.length} checks passed against <code>${esc(r.target)}</code> in ${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s · suite <code>${esc(r.suite)}</code> · ${new Date(r.startedAt).toISOString()}</p></header>
<table class="checks"><thead><tr><th>Result</th><th>Check</th><th>Kind</th><th>Figure</th><th>Time</th><th>Run</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
${failures}
${sections.join('\n')}
<script type="application/json" id="readiness-data">${data}</script>
<script nonce="${nonce}">${js}</script>
<script nonce="${nonce}">${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

function chart(title: string, kind: 'latency' | 'recovery', index: number, note?: string): string {
  return `<section><h2>${esc(title)}</h2>${note ? `<p class="note">${note}</p>` : ''}<div class="chart" data-chart="${kind}" data-check="${index}"></div></section>`;
}

let assets: { js: string; css: string } | undefined;
/** uPlot's script and styles: beside the bundle (dist/, copied by the build) or from node_modules. */
function uplotAssets(): { js: string; css: string } {
  if (assets) return assets;
  // dist/ when bundled; the repository's node_modules when run from source (tests under tsx).
  const dirs = [__dirname, path.resolve(__dirname, '..', '..', '..', '..', 'node_modules', 'uplot', 'dist')];
  const dir = dirs.find((d) => existsSync(path.join(d, 'uPlot.iife.min.js'))) ?? dirs[0];
  assets = { js: readFileSync(path.join(dir, 'uPlot.iife.min.js'), 'utf8'), css: readFileSync(path.join(dir, 'uPlot.min.css'), 'utf8') };
  return assets;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
body { font-family: var(--vscode-font-family, system-ui, sans-serif); color: var(--vscode-foreground, #1f2328); background: var(--vscode-editor-background, #fff); margin: 1.5rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; } h3 { font-size: 1rem; }
.ready .verdict { color: #2ea043; } .not-ready .verdict { color: #f14c4c; }
table.checks { border-collapse: collapse; width: 100%; }
.checks th, .checks td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid rgba(128,128,128,0.3); vertical-align: top; }
.checks td.num { text-align: right; white-space: nowrap; }
tr.passed .status { color: #2ea043; } tr.failed .status, tr.error .status { color: #f14c4c; font-weight: bold; } tr.skipped .status { color: #8b949e; }
.run { font-size: 0.85em; opacity: 0.8; }
.chart { min-height: 250px; } .note { font-size: 0.85em; opacity: 0.8; }
.u-legend { color: inherit; }
code { font-family: var(--vscode-editor-font-family, monospace); }
`;
