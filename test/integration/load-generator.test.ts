/**
 * The load generator against real Node HTTP servers on 127.0.0.1: counts the server agrees with, pacing, latency
 * from the intended send time, error kinds, timeouts, cancel, chained values and the run's bounds.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors';
import { nowMs } from '../../src/core/load/generator/clock';
import { Connection } from '../../src/core/load/generator/connection';
import { buildProfile } from '../../src/core/load/profiles';
import { runLoad, singleRequestMix } from '../../src/core/load/run';
import { parseSlo } from '../../src/core/load/slo';
import type { LoadModel, LoadSpec, RequestMix } from '../../src/core/load/types';
import { closedPort, listen, trackConnections, waitFor } from '../helpers';
import { makeTestCa } from '../helpers/testCa';

function spec(target: string, model: LoadModel, durationMs: number, more: Partial<LoadSpec> = {}): LoadSpec {
  const level = model.kind === 'closed' ? model.connections : model.rate;
  return {
    name: 'test',
    target,
    model,
    profile: buildProfile('constant', { to: level, durationMs, model: model.kind }),
    durationMs,
    maxRequests: 10_000_000,
    timeoutMs: 5000,
    slo: [],
    allowRemote: false,
    insecure: false,
    ...more,
  };
}

test('closed model: every request sent is one the server answered, over the connections asked for', async (t) => {
  const server = http.createServer((_req, res) => res.end('ok'));
  const tracked = trackConnections(server);
  const { url } = await listen(t, server);
  const ticks: number[] = [];
  const r = await runLoad(spec(`${url}/hello`, { kind: 'closed', connections: 8 }, 1500), singleRequestMix(`${url}/hello`), { onTick: (k) => ticks.push(k.second) });
  assert.ok(r.totals.completed > 100, `only ${r.totals.completed} requests`);
  assert.equal(r.totals.completed, tracked.requests());
  assert.equal(r.totals.sent, tracked.requests());
  assert.equal(r.totals.errors, 0);
  assert.equal(tracked.accepted(), 8);
  assert.equal(r.timeline.reduce((s, k) => s + k.completed, 0), r.totals.completed, 'the ticks add up to the totals');
  assert.deepEqual(ticks.slice(0, 1), [1]);
  assert.deepEqual(r.endpoints.map((e) => [e.endpoint, e.requests]), [['GET /hello', r.totals.completed]]);
  assert.ok(r.latency.p50 > 0 && r.latency.p50 <= r.latency.p99 && r.latency.p99 <= r.latency.max);
  assert.deepEqual(r.serviceTime, r.latency, 'closed model: a request starts when it is written');
  assert.equal(r.stopped, undefined);
  assert.equal(r.passed, true);
});

test('open model: sends about rate × duration, whatever the target does', async (t) => {
  let n = 0;
  const { url } = await listen(t, http.createServer((_req, res) => (n++, res.end('ok'))));
  const r = await runLoad(spec(url, { kind: 'open', rate: 400, maxConnections: 20 }, 2000), singleRequestMix(url));
  assert.ok(r.totals.sent <= 801 && r.totals.sent >= 600, `sent ${r.totals.sent} at 400/s for 2 s`);
  assert.equal(n, r.totals.completed);
  assert.equal(r.timeline[0].level, 400);
});

test('open model: a stall counts from the intended send time (coordinated omission corrected)', async (t) => {
  // Every request that arrives during a 300 ms pause is answered when the pause ends. With two connections, the
  // arrivals of the pause wait for a connection: timed from their send they would look fast, from their intended
  // time they show the pause.
  let pauseFrom = 0;
  const server = http.createServer((_req, res) => {
    const now = Date.now();
    pauseFrom ||= now + 700;
    if (now >= pauseFrom && now < pauseFrom + 300) setTimeout(() => res.end('ok'), pauseFrom + 300 - now);
    else res.end('ok');
  });
  const tracked = trackConnections(server);
  const { url } = await listen(t, server);
  const r = await runLoad(spec(url, { kind: 'open', rate: 200, maxConnections: 2 }, 2000), singleRequestMix(url));
  assert.ok(tracked.accepted() <= 2);
  assert.ok(r.latency.p99 >= 250_000, `p99 ${r.latency.p99} µs, max ${r.latency.max} µs`);
  assert.ok(r.latency.max >= 280_000 && r.latency.max < 2_000_000, `max ${r.latency.max} µs`);
  // The service time (write → response, what wrk reports) leaves the queue out: only the two requests in flight
  // during the pause show it, far fewer than 1 % of the run.
  const s = r.serviceTime!;
  assert.ok(s.max >= 250_000, `service max ${s.max} µs`);
  assert.ok(s.p99 < r.latency.p99 / 2, `service p99 ${s.p99} µs, latency p99 ${r.latency.p99} µs`);
});

test('a request sent on a new connection is timed from when it connected and went out, its latency from its intended time', async (t) => {
  const { port } = await listen(t, http.createServer((_req, res) => res.end('ok')));
  const answered: Connection[] = [];
  const owner = { bytesRead: 0, responded: (c: Connection) => answered.push(c), failed: () => assert.fail('the request failed'), available: () => undefined, connected: () => undefined };
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  for (const model of ['open', 'closed'] as const) {
    const conn = new Connection({ host: '127.0.0.1', port, tls: false, insecure: false }, owner);
    t.after(() => conn.destroy());
    const intended = nowMs();
    conn.send(0, request, model === 'open' ? intended : Infinity, false, false);
    // The generator is busy (a burst of sends, a cold start) while the socket connects: the request waits in Node.
    const busyUntil = nowMs() + 80;
    while (nowMs() < busyUntil);
    await waitFor(() => answered.includes(conn), 5000);
    assert.ok(conn.sentAt >= busyUntil, `${model}: written when the socket connected, after the busy spell (${(busyUntil - conn.sentAt).toFixed(1)} ms early)`);
    assert.equal(conn.startedAt, model === 'open' ? intended : conn.sentAt, `${model}: latency from the intended time (open), from the write (closed)`);
  }
});

test('errors are counted by kind: 4xx, 5xx, reset, refused', async (t) => {
  const server = http.createServer((req, res) => {
    if (req.url === '/missing') res.writeHead(404).end();
    else if (req.url === '/broken') res.writeHead(500).end('no');
    else if (req.url === '/reset') req.socket.destroy();
    else res.end('ok');
  });
  const { url } = await listen(t, server);
  const mix: RequestMix = {
    source: 'test',
    skipped: {},
    entries: ['/ok', '/missing', '/broken', '/reset'].map((p) => ({ endpoint: `GET ${p}`, method: 'GET', pathAndQuery: p, headers: [], body: null, weight: 1, write: false })),
  };
  const r = await runLoad(spec(url, { kind: 'closed', connections: 4 }, 1000), mix);
  const k = r.totals.errorsByKind;
  assert.ok((k['4xx'] ?? 0) > 10 && (k['5xx'] ?? 0) > 10 && (k.reset ?? 0) > 10, JSON.stringify(k));
  assert.equal(k.timeout, undefined);
  const by = Object.fromEntries(r.endpoints.map((e) => [e.endpoint, e]));
  assert.equal(by['GET /ok'].errors, 0);
  assert.equal(by['GET /missing'].errors, by['GET /missing'].requests);
  assert.equal(by['GET /reset'].errors, k.reset);
  assert.equal(r.totals.errors, (k['4xx'] ?? 0) + (k['5xx'] ?? 0) + (k.reset ?? 0));

  const port = await closedPort();
  const refused = await runLoad(spec(`http://127.0.0.1:${port}`, { kind: 'closed', connections: 2 }, 10_000), singleRequestMix(`http://127.0.0.1:${port}`));
  assert.equal(refused.stopped, 'target refused every connection');
  assert.ok((refused.totals.errorsByKind.refused ?? 0) >= 2);
  assert.equal(refused.totals.completed, 0);
});

test('a request past its timeout counts as a timeout and its socket is replaced', async (t) => {
  const server = http.createServer((req, res) => {
    if (req.url !== '/hang') res.end('ok');
  });
  const tracked = trackConnections(server);
  const { url } = await listen(t, server);
  const mix = singleRequestMix(`${url}/hang`);
  const r = await runLoad(spec(url, { kind: 'closed', connections: 2 }, 1300, { timeoutMs: 200 }), mix);
  const timeouts = r.totals.errorsByKind.timeout ?? 0;
  assert.ok(timeouts >= 4 && timeouts <= 14, `${timeouts} timeouts in 1.3 s at 200 ms over 2 connections`);
  assert.ok(tracked.accepted() >= timeouts, `${tracked.accepted()} connections for ${timeouts} timeouts`);
  await waitFor(() => tracked.open() === 0, 5000, 'the hung sockets to be closed');
});

test('cancel stops every socket at once and returns the partial result', async (t) => {
  const server = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 5));
  const tracked = trackConnections(server);
  const { url } = await listen(t, server);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 400);
  const began = performance.now();
  const r = await runLoad(spec(url, { kind: 'closed', connections: 20 }, 30_000), singleRequestMix(url), { signal: controller.signal });
  assert.ok(performance.now() - began < 5000, 'cancel ends the run');
  assert.equal(r.stopped, 'cancelled');
  assert.ok(r.totals.completed > 0);
  await waitFor(() => tracked.open() === 0, 2000, 'the server to see every connection closed');
});

test('chained values: a GET uses ids its POSTs created', async (t) => {
  const created = new Set<string>();
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.method === 'POST') {
      const id = randomUUID();
      created.add(id);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ item: { id } }));
    } else {
      seen.push(decodeURIComponent(req.url!.split('/').pop()!));
      res.end('{}');
    }
  });
  const { url } = await listen(t, server);
  const mix: RequestMix = {
    source: 'test',
    skipped: {},
    entries: [
      { endpoint: 'POST /items', method: 'POST', pathAndQuery: '/items', headers: [['content-type', 'application/json']], body: Buffer.from('{"n":1}'), weight: 1, write: true },
      { endpoint: 'GET /items/{id}', method: 'GET', pathAndQuery: '/items/recorded-id', headers: [], body: null, weight: 3, write: false, chain: [{ where: 'path', producer: 0, pointer: '/item/id', recorded: 'recorded-id' }] },
    ],
  };
  const r = await runLoad(spec(url, { kind: 'closed', connections: 2 }, 800), mix);
  assert.equal(r.totals.errors, 0);
  const fromServer = seen.filter((id) => created.has(id)).length;
  const recorded = seen.filter((id) => id === 'recorded-id').length;
  assert.ok(fromServer > seen.length * 0.9, `${fromServer} of ${seen.length} GETs used created ids`);
  assert.equal(fromServer + recorded, seen.length, 'every GET used a created id or the recorded one');
});

test('the request bound ends the run, in both models', async (t) => {
  let n = 0;
  const { url } = await listen(t, http.createServer((_req, res) => (n++, res.end('ok'))));
  const closed = await runLoad(spec(url, { kind: 'closed', connections: 10 }, 30_000, { maxRequests: 137 }), singleRequestMix(url));
  assert.equal(closed.stopped, 'request bound reached');
  assert.equal(n, 137);
  assert.equal(closed.totals.sent, 137);
  n = 0;
  const open = await runLoad(spec(url, { kind: 'open', rate: 1000, maxConnections: 10 }, 30_000, { maxRequests: 50 }), singleRequestMix(url));
  assert.equal(open.stopped, 'request bound reached');
  assert.equal(n, 50);
});

test('with many requests in flight the generator naps between turns instead of blocking on the sockets, and every response still counts', async (t) => {
  const server = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 2));
  const tracked = trackConnections(server);
  const { url } = await listen(t, server);
  const wait = Atomics.wait;
  let naps = 0;
  Atomics.wait = ((...args: Parameters<typeof Atomics.wait>) => (naps++, wait(...args))) as typeof Atomics.wait;
  t.after(() => void (Atomics.wait = wait));
  const many = await runLoad(spec(url, { kind: 'closed', connections: 32 }, 1500), singleRequestMix(url));
  assert.ok(naps > 0, 'no nap with 32 requests of ~2 ms in flight');
  assert.equal(many.totals.errors, 0);
  assert.equal(many.totals.completed, tracked.requests());
  assert.ok(many.latency.p50 >= 2000, `p50 ${many.latency.p50} µs under the target's 2 ms`);
  const before = naps;
  const few = await runLoad(spec(url, { kind: 'closed', connections: 8 }, 1000), singleRequestMix(url));
  assert.equal(naps, before, 'with 8 in flight the loop blocks on the sockets');
  assert.equal(few.totals.completed + many.totals.completed, tracked.requests());
});

test('a target that is not loopback is refused unless --allow-remote', async () => {
  for (const target of ['http://10.1.2.3:8080', 'http://example.com', 'https://[2001:db8::1]/']) {
    await assert.rejects(runLoad(spec(target, { kind: 'closed', connections: 1 }, 1000), singleRequestMix(target)), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /--allow-remote/);
      return true;
    });
  }
  await assert.rejects(runLoad(spec('ftp://127.0.0.1/', { kind: 'closed', connections: 1 }, 1000), singleRequestMix('http://127.0.0.1/')), /http:\/\/ or https:\/\//);
});

test('closed model follows the profile: connections are added as the level rises and retired as it falls', async (t) => {
  const server = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 2));
  const tracked = trackConnections(server);
  const { url } = await listen(t, server);
  let peakOpen = 0;
  const s = spec(url, { kind: 'closed', connections: 6 }, 3000);
  s.profile = { kind: 'spike', from: 1, stages: [{ durationMs: 1000, target: 1 }, { durationMs: 0, target: 6 }, { durationMs: 1000, target: 6 }, { durationMs: 0, target: 2 }, { durationMs: 1000, target: 2 }] };
  const levels: number[] = [];
  const r = await runLoad(s, singleRequestMix(url), { onTick: (k) => (levels.push(k.level), (peakOpen = Math.max(peakOpen, tracked.open()))) });
  assert.deepEqual(levels.slice(0, 3), [1, 6, 2]);
  assert.equal(peakOpen, 6);
  assert.ok(tracked.accepted() >= 6 && tracked.accepted() <= 7, `${tracked.accepted()} connections accepted`);
  assert.equal(r.totals.errors, 0, 'retired connections finish their request first');
  assert.equal(r.totals.completed, tracked.requests());
});

test('https targets: --insecure accepts a self-signed certificate; without it no connection is made', async (t) => {
  const ca = await makeTestCa(t, 'load test CA');
  const leaf = await ca.leaf('127.0.0.1');
  const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => res.end('ok'));
  const { port } = await listen(t, server as unknown as http.Server);
  const url = `https://127.0.0.1:${port}/`;
  const ok = await runLoad(spec(url, { kind: 'closed', connections: 2 }, 600, { insecure: true }), singleRequestMix(url));
  assert.ok(ok.totals.completed > 10 && ok.totals.errors === 0, JSON.stringify(ok.totals));
  const refused = await runLoad(spec(url, { kind: 'closed', connections: 2 }, 10_000), singleRequestMix(url));
  assert.match(refused.stopped ?? '', /no connection to the target could be made \(\w+/);
  assert.equal(refused.totals.completed, 0);
  assert.ok((refused.totals.errorsByKind.other ?? 0) > 0, JSON.stringify(refused.totals));
});

test('open model: arrivals queued past the timeout fail as timeouts (the queue stays bounded while the target hangs)', async (t) => {
  const server = http.createServer(() => undefined); // never answers
  const tracked = trackConnections(server);
  const { url } = await listen(t, server);
  const r = await runLoad(spec(url, { kind: 'open', rate: 100, maxConnections: 2 }, 1500, { timeoutMs: 300 }), singleRequestMix(url));
  const timeouts = r.totals.errorsByKind.timeout ?? 0;
  assert.equal(r.totals.completed, 0);
  assert.ok(timeouts >= 90, `${timeouts} timeouts of about 150 arrivals`);
  // A queued arrival that waited its whole timeout counts as sent and timed out: errors never exceed sent.
  assert.equal(r.totals.errors, r.totals.sent, 'each one sent is one timeout: errors never exceed sent');
  assert.ok(tracked.requests() < timeouts, `only the arrivals that got a connection reached the target (${tracked.requests()})`);
});

test('a cancel while the run drains its last requests closes the sockets at once', async (t) => {
  const server = http.createServer(() => undefined); // never answers: the drain would wait for the timeout
  const tracked = trackConnections(server);
  const { url } = await listen(t, server);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 700);
  const began = performance.now();
  const r = await runLoad(spec(url, { kind: 'closed', connections: 3 }, 500, { timeoutMs: 30_000 }), singleRequestMix(url), { signal: controller.signal });
  assert.ok(performance.now() - began < 1800, `ended ${Math.round(performance.now() - began)} ms after the start`);
  assert.equal(r.stopped, 'cancelled');
  await waitFor(() => tracked.open() === 0, 2000, 'every connection closed');
});

/** A raw server: `answer` gets each request's socket (heads are counted as they arrive). */
async function rawServer(t: import('node:test').TestContext, answer: (s: net.Socket) => void): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => {
      const heads = c.toString('latin1').split('\r\n\r\n').length - 1;
      for (let i = 0; i < heads; i++) {
        requests++;
        answer(s);
      }
    });
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => (sockets.add(s), s.once('close', () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, requests: () => requests };
}

test('bytes no request asked for (a 408 before an idle close, a second response) are not counted: completed never exceeds sent', async (t) => {
  const target = await rawServer(t, (s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    // Then, unasked: another response, and a 408 with a close, as servers do to idle connections.
    setTimeout(() => s.writable && s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 5);
    setTimeout(() => s.writable && s.end('HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'), 20);
  });
  const r = await runLoad(spec(target.url, { kind: 'open', rate: 20, maxConnections: 4 }, 1000, { slo: parseSlo('errors<1%') }), singleRequestMix(target.url));
  assert.ok(r.totals.sent >= 10, `sent ${r.totals.sent}`);
  assert.equal(r.totals.sent, target.requests());
  assert.equal(r.totals.completed, r.totals.sent, 'one answer counted per request');
  assert.equal(r.totals.errors, 0);
  assert.equal(r.passed, true);
});

test('a target that answers nothing: the requests unanswered at the end are timeouts, and a latency SLO over no responses fails', async (t) => {
  const target = await rawServer(t, () => undefined);
  const r = await runLoad(spec(target.url, { kind: 'open', rate: 5, maxConnections: 10 }, 1000, { timeoutMs: 300, slo: parseSlo('p99<200ms') }), singleRequestMix(target.url));
  assert.ok(r.totals.sent >= 4, `sent ${r.totals.sent}`);
  assert.equal(r.totals.completed, 0);
  assert.equal(r.totals.errors, r.totals.sent, 'every request sent is accounted for');
  assert.equal(r.totals.errorsByKind.timeout, r.totals.sent);
  assert.equal(r.passed, false, 'nothing answered, so no latency objective was met');
  const hung = await runLoad(spec(target.url, { kind: 'closed', connections: 2 }, 500, { timeoutMs: 5000, slo: parseSlo('p99<200ms,errors<1%') }), singleRequestMix(target.url));
  assert.equal(hung.totals.sent, 2);
  assert.equal(hung.totals.errorsByKind.timeout, 2, 'still in flight after the grace: counted once each');
  assert.deepEqual(hung.slo.map((v) => v.passed), [false, false]);
});
