/**
 * Profiles end to end against real Node HTTP servers on 127.0.0.1: stress finds the breaking point of a server
 * that slows down past a rate; soak reports drift (p99, errors, the target's RSS) and the SLO window that broke.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { test } from 'node:test';
import { buildProfile } from '../../src/core/load/profiles';
import { runLoad, singleRequestMix } from '../../src/core/load/run';
import { parseSlo } from '../../src/core/load/slo';
import type { LoadSpec } from '../../src/core/load/types';
import { listen } from '../helpers';

test('stress steps the rate and stops at the step where the SLO broke', async (t) => {
  // Past 250 requests in the last second, every answer takes 300 ms (the machine may be loaded: the
  // SLO leaves 150 ms of room).
  const arrivals: number[] = [];
  const server = http.createServer((_req, res) => {
    const now = Date.now();
    arrivals.push(now);
    while (arrivals.length && arrivals[0] < now - 1000) arrivals.shift();
    if (arrivals.length > 250) setTimeout(() => res.end('slow'), 300);
    else res.end('ok');
  });
  const { url } = await listen(t, server);
  const profile = buildProfile('stress', { from: 100, to: 600, durationMs: 12_000, model: 'open', stepEveryMs: 2000 });
  const spec: LoadSpec = {
    name: 'stress', target: url, model: { kind: 'open', rate: 600, maxConnections: 100 }, profile, durationMs: 12_000,
    maxRequests: 1_000_000, timeoutMs: 5000, slo: parseSlo('p99<150ms'), allowRemote: false, insecure: false,
  };
  const r = await runLoad(spec, singleRequestMix(url));
  const bp = r.breakingPoint!;
  assert.ok(bp, 'a stress run reports its breaking point');
  assert.ok(bp.brokeAtLevel === 300 || bp.brokeAtLevel === 400, JSON.stringify(bp));
  assert.equal(bp.lastGoodLevel, bp.brokeAtLevel! - 100);
  assert.ok(bp.lastGoodRps > bp.lastGoodLevel * 0.7 && bp.lastGoodRps < bp.lastGoodLevel * 1.3, JSON.stringify(bp));
  assert.match(bp.reason, /p99<150ms/);
  assert.match(r.stopped ?? '', /SLO broke/);
  assert.ok(r.timeline.length < 11, `stopped stepping after the break (${r.timeline.length} s)`);
  assert.ok(!r.timeline.some((k) => k.level > bp.brokeAtLevel!), `no step above the one that broke: ${JSON.stringify(r.timeline.map((k) => [k.second, k.level, k.latency.p99]))}`);
});

test('soak reports drift between the first and last third, with the target RSS, and the SLO window that broke', async (t) => {
  let first = 0;
  const server = http.createServer((_req, res) => {
    first ||= Date.now();
    if (Date.now() - first > 2200) setTimeout(() => res.end('late'), 200);
    else res.end('ok');
  });
  const { url } = await listen(t, server);
  const durationMs = 3000;
  const spec: LoadSpec = {
    name: 'soak', target: url, model: { kind: 'open', rate: 200, maxConnections: 20 }, profile: buildProfile('soak', { to: 200, durationMs, model: 'open' }), durationMs,
    maxRequests: 1_000_000, timeoutMs: 5000, slo: parseSlo('p99<100ms,errors<1%'), targetPid: process.pid, allowRemote: false, insecure: false,
  };
  const r = await runLoad(spec, singleRequestMix(url));
  const d = r.drift!;
  assert.ok(d.p99End >= 150_000 && d.p99Start < d.p99End, JSON.stringify(d));
  assert.equal(d.errorRateStart, 0);
  assert.ok(d.rssStartBytes! > 1e6 && d.rssEndBytes! > 1e6, JSON.stringify(d));
  assert.ok(r.timeline.every((k) => k.targetRssBytes! > 1e6));
  const [p99, errors] = r.slo;
  assert.equal(p99.passed, false);
  assert.ok(p99.brokeAt && p99.brokeAt.toSecond >= 3, JSON.stringify(p99));
  assert.equal(errors.passed, true);
  assert.equal(r.passed, false);
});
