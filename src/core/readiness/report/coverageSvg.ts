/** Control coverage per framework as an SVG of stacked bars (compliant, failing, not assessed), drawn here: no script needed. */
import type { CheckCharts } from '../types';

const COLORS = { compliant: '#2ea043', failing: '#f14c4c', notAssessed: '#8b949e' };

export function coverageSvg(coverage: NonNullable<CheckCharts['coverage']>): string {
  const rowH = 28;
  const labelW = 90;
  const barW = 460;
  const height = coverage.length * rowH + 34;
  const rows = coverage.map((c, i) => {
    const total = c.compliant + c.failing + c.notAssessed || 1;
    const y = i * rowH + 4;
    let x = labelW;
    const parts = (['compliant', 'failing', 'notAssessed'] as const).map((k) => {
      const w = (c[k] / total) * barW;
      const rect = w > 0 ? `<rect class="bar-${k}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${COLORS[k]}"><title>${c.framework}: ${c[k]} ${label(k)}</title></rect>` : '';
      x += w;
      return rect;
    });
    return `<text x="0" y="${y + rowH / 2}" fill="currentColor" font-size="12">${c.framework}</text>${parts.join('')}`
      + `<text x="${labelW + barW + 8}" y="${y + rowH / 2}" fill="currentColor" font-size="12">${c.compliant}/${c.compliant + c.failing} assessed compliant, ${c.notAssessed} not assessed</text>`;
  });
  const legendY = coverage.length * rowH + 20;
  const legend = (['compliant', 'failing', 'notAssessed'] as const).map((k, i) => `<rect x="${labelW + i * 130}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[k]}"/><text x="${labelW + i * 130 + 16}" y="${legendY}" fill="currentColor" font-size="12">${label(k)}</text>`);
  return `<svg class="coverage" role="img" aria-label="control coverage per framework" viewBox="0 0 ${labelW + barW + 300} ${height}" width="100%" style="max-width:${labelW + barW + 300}px" xmlns="http://www.w3.org/2000/svg" dominant-baseline="middle">${rows.join('')}${legend.join('')}</svg>`;
}

function label(k: 'compliant' | 'failing' | 'notAssessed'): string {
  return k === 'notAssessed' ? 'not assessed' : k;
}
