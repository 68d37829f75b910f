/**
 * The report page's script: draws the latency and recovery charts with uPlot from the JSON the page carries. Kept
 * as source text, not a function: tsx and esbuild would add helpers (__name) that do not exist in the page.
 */
export const PAGE_SCRIPT = String.raw`(function () {
  var data = JSON.parse(document.getElementById('readiness-data').textContent);
  var fg = getComputedStyle(document.body).color;
  var grid = { stroke: 'rgba(128,128,128,0.25)' };
  var axis = function (label, extra) { return Object.assign({ stroke: fg, grid: grid, ticks: grid, label: label }, extra || {}); };
  var width = function (el) { return Math.max(320, Math.min(1100, el.clientWidth || 640)); };
  var drawn = 0;
  document.querySelectorAll('[data-chart]').forEach(function (el) {
    var charts = data.checks[Number(el.getAttribute('data-check'))].charts || {};
    if (el.getAttribute('data-chart') === 'latency') {
      var t = charts.latency || [];
      new uPlot({
        width: width(el), height: 240, scales: { x: { time: false }, rps: {} },
        axes: [axis('seconds'), axis('latency (ms)'), axis('req/s', { side: 1, scale: 'rps', grid: { show: false } })],
        series: [{ label: 's' },
          { label: 'p50 ms', stroke: '#3794ff', width: 2 },
          { label: 'p99 ms', stroke: '#f14c4c', width: 2 },
          { label: 'req/s', stroke: '#89d185', width: 1, dash: [4, 4], scale: 'rps' }]
      }, [t.map(function (p) { return p.second; }), t.map(function (p) { return p.p50; }), t.map(function (p) { return p.p99; }), t.map(function (p) { return p.rps; })], el);
      drawn++;
    } else if (el.getAttribute('data-chart') === 'recovery') {
      var r = charts.recovery || { samples: [], phases: [] };
      var s = r.samples;
      var fault = r.phases.filter(function (p) { return p.phase === 'fault'; })[0];
      var shade = function (u) {
        var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
        r.phases.forEach(function (p) {
          if (p.phase === 'baseline') return;
          var x0 = u.valToPos(p.from / 1000, 'x', true), x1 = u.valToPos(p.to / 1000, 'x', true);
          ctx.fillStyle = p.phase === 'fault' ? 'rgba(241,76,76,0.14)' : 'rgba(204,167,0,0.14)';
          ctx.fillRect(x0, top, Math.max(1, x1 - x0), h);
        });
        if (fault && r.recoveryTimeMs !== null) {
          var x = u.valToPos((fault.to + r.recoveryTimeMs) / 1000, 'x', true);
          ctx.strokeStyle = '#89d185'; ctx.setLineDash([5, 4]); ctx.lineWidth = 2;
          ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + h); ctx.stroke(); ctx.setLineDash([]);
        }
      };
      new uPlot({
        width: width(el), height: 240, scales: { x: { time: false } },
        axes: [axis('seconds since the start'), axis('probe latency (ms)')],
        hooks: { drawClear: [shade] },
        series: [{ label: 's' },
          { label: 'ok probe', stroke: '#3794ff', width: 1, points: { show: true, size: 3 } },
          { label: 'failed probe', stroke: '#f14c4c', width: 0, paths: function () { return null; }, points: { show: true, size: 7, fill: '#f14c4c' } }]
      }, [s.map(function (p) { return p.at / 1000; }), s.map(function (p) { return p.ok ? p.latencyMs : null; }), s.map(function (p) { return p.ok ? null : p.latencyMs; })], el);
      drawn++;
    }
  });
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();`;
