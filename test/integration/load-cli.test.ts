/**
 * `chaos-testing load` through the built CLI (run `node scripts/build.mjs` first) against real loopback servers:
 * the captured mix hits the same endpoints in proportion with chained tokens, --events is NDJSON, an SLO failure
 * exits 1, bad input is one line with exit 2, Ctrl-C stops with every socket closed, runs compare, k6 export.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import type { LoadResult, LoadTick } from '../../src/core/load/types';
import { CLI, assertCliError, listen, queryStore, runCliAsync, tmpDir, trackConnections, waitFor } from '../helpers';
import { ITEMS_PASSWORD, captureItemsSession, startItemsBackend } from '../helpers/replayBackend';

const ENV = { CHAOS_SECRET_PASSWORD: ITEMS_PASSWORD };

type LoadEvent = { event: 'start'; spec: unknown; mix: { endpoints: Array<{ endpoint: string; weight: number }> } } | { event: 'tick'; tick: LoadTick } | { event: 'result'; result: LoadResult };

function events(stdout: string): LoadEvent[] {
  return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LoadEvent);
}

/** Counts what a server was asked, by endpoint and status. */
function countRequests(server: http.Server): Map<string, number> {
  const counts = new Map<string, number>();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const p = (req.url ?? '').split('?')[0].replace(/\/\d+$/, '/{id}');
    res.on('finish', () => {
      const key = `${req.method} ${p} ${res.statusCode}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
  });
  return counts;
}

function sum(counts: Map<string, number>, prefix: string): number {
  return [...counts].filter(([k]) => k.startsWith(prefix)).reduce((s, [, n]) => s + n, 0);
}

async function trivialServer(t: Parameters<typeof listen>[0]): Promise<Awaited<ReturnType<typeof listen>>> {
  return listen(t, http.createServer((_req, res) => res.end('ok')));
}

test('--mix traffic hits the captured endpoints in proportion, chains the login token, streams --events and stores the run', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const counts = countRequests(backend.server);
  const dir = tmpDir(t);
  const r = await runCliAsync(['load', '--target', backend.url, '--mix', 'traffic', '--input', db, '--duration', '2s', '--connections', '4', '--events', '--dir', dir], { env: ENV });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const ev = events(r.stdout);
  assert.equal(ev[0].event, 'start');
  const ticks = ev.filter((e): e is Extract<LoadEvent, { event: 'tick' }> => e.event === 'tick');
  assert.ok(ticks.length >= 2, `${ticks.length} ticks`);
  assert.deepEqual(ticks.map((e) => e.tick.second), ticks.map((_, i) => i + 1));
  const last = ev.at(-1)!;
  assert.equal(last.event, 'result');
  const result = (last as Extract<LoadEvent, { event: 'result' }>).result;
  assert.equal(result.kind, 'load');
  assert.ok(result.totals.completed > 100, `${result.totals.completed} completed`);

  // The server saw the recorded proportions: GET item 3/7, each other endpoint 1/7 (bounds: ±8 points).
  const total = [...counts.values()].reduce((s, n) => s + n, 0);
  const share = (prefix: string): number => sum(counts, prefix) / total;
  assert.ok(Math.abs(share('GET /api/items/{id}') - 3 / 7) < 0.08, `GET item ${share('GET /api/items/{id}')}: ${JSON.stringify([...counts])}`);
  for (const p of ['POST /api/items ', 'DELETE /api/items/{id}', 'POST /api/login', 'GET /api/me']) {
    assert.ok(Math.abs(share(p) - 1 / 7) < 0.08, `${p} ${share(p)}: ${JSON.stringify([...counts])}`);
  }
  // Logins succeed (password from CHAOS_SECRET_PASSWORD) and /api/me carries a token a login of this run produced.
  assert.equal(sum(counts, 'POST /api/login 401'), 0);
  assert.ok(sum(counts, 'GET /api/me 200') > sum(counts, 'GET /api/me 401'), JSON.stringify([...counts]));
  assert.ok(result.endpoints.some((e) => e.endpoint === 'GET /api/me' && e.requests > 0));

  // Stored twice: the runs table and a result file.
  assert.match(result.stored ?? '', /stored as run 1 in .*; saved to /);
  const runs = await queryStore(db, "SELECT id, kind FROM runs WHERE kind = 'load'");
  assert.equal(runs.length, 1);
  const files = fs.readdirSync(path.join(dir, 'results'));
  assert.equal(files.length, 1);
  assert.match(files[0], /^load-.*\.json$/);

  // load compare: the stored run against its own file is unchanged.
  const c = await runCliAsync(['load', 'compare', '1', path.join(dir, 'results', files[0]), '--input', db, '--json']);
  assert.equal(c.code, 0, c.stderr);
  const comparison = JSON.parse(c.stdout) as { verdict: string; rows: Array<{ metric: string; a: number; b: number }> };
  assert.equal(comparison.verdict, 'unchanged');
  assert.equal(comparison.rows.find((x) => x.metric === 'rps')!.a, result.rps);
});

test('an SLO the run cannot meet exits 1 and the report names the clause and the window where it broke', async (t) => {
  const server = await trivialServer(t);
  const dir = tmpDir(t);
  const r = await runCliAsync(['load', '-t', server.url, '--duration', '1500ms', '-c', '2', '--slo', 'p99<1us,errors<1%', '--dir', dir, '--input', path.join(dir, 'none.db')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^SLO p99<1us\s+FAIL\s+measured \d+\.\d{3} ms; broke in seconds \d+-\d+ /m);
  assert.match(r.stdout, /^SLO errors<1%\s+pass\s+measured 0\.00 %$/m);
  assert.match(r.stdout, /^latency\s+p50 \d+\.\d{3} ms\s+p90 .* p99\.9 \d+\.\d{3} ms\s+max /m);
  assert.match(r.stdout, /^GET \/\s+\d+\s+0\s+/m);
  assert.match(r.stdout, /^FAILED {2}\(not stored in a database: there is none at .*none\.db; saved to /m);
  assert.match(r.stderr, /^load: 1 request\(s\) from GET \//);
});

test('bad input: one line on stderr and exit 2, nothing sent', async (t) => {
  const server = await trivialServer(t);
  const seen = trackConnections(server.server);
  const dir = tmpDir(t);
  const spec = path.join(dir, 'bad.yaml');
  fs.writeFileSync(spec, `target: ${server.url}\nduration: soon\n`);
  const cases: Array<[string[], string[]]> = [
    [['load', '-t', server.url, '--profile', 'ramp'], ["--profile 'ramp' must be one of"]],
    [['load', '-t', 'http://example.com'], ['not a loopback address', '--allow-remote']],
    [['load', '-t', server.url, '--mix', 'traffic', '--input', path.join(dir, 'missing.db')], ['no traffic database at', '--mix target']],
    [['load', '-t', server.url, '--rate', '0'], ["--rate '0' must be a number above 0"]],
    [['load', '-t', server.url, '--slo', 'p99<fast'], ['SLO clause "p99<fast" is not understood']],
    [['load', '--spec', spec], [`${spec}:2:11: duration: "soon" is not a duration`]],
    [['load', '--duration', '1s'], ['load needs --target URL']],
    [['load', 'compare', '1'], ["'load compare' needs two runs"]],
    // A flag the action has no use for is named, not dropped.
    [['load', 'compare', '1', '2', '--rate', '5'], ["--rate is not for 'load compare'", '--input and --json']],
    [['load', 'export', '--to', 'k6', '-t', server.url, '--mix', 'target', '--pid', '5'], ["--pid is not for 'load export'"]],
    [['load', '-t', server.url, '--mix', 'target', '--output', 'x.js'], ["--output is not for 'load run'"]],
    [['load', '-t', server.url, '--bogus'], ['unknown flag --bogus']],
    [['load', '-t', server.url, '--mix', 'target', '--profile', 'ramp-up', '--from', '10', '--to', '5'], ['the start (from) 10 is above the target (to) 5']],
    [['load', '-t', server.url, '--mix', 'target', '--pid', '4194000'], ['no process 4194000']],
    [['load', '-t', server.url, '--mix', 'target', '--from', '5', '--to', '20'], ['from 5 is where ramp-up, spike, soak and stress start']],
    [['load', '-t', server.url, '--mix', 'target', '--profile', 'spike', '--step-every', '2s'], ['profile spike has no steps']],
    [['load', '-t', server.url, '--mix', 'target', '--session', '2'], ['does not go with mix target']],
  ];
  for (const [args, mentions] of cases) assertCliError(await runCliAsync(args, { cwd: dir }), 2, mentions);
  assert.equal(seen.accepted(), 0);
});

test('Ctrl-C stops the run at once, closes every socket, and still prints and stores the partial result', async (t) => {
  const server = await trivialServer(t);
  const seen = trackConnections(server.server);
  const dir = tmpDir(t);
  const proc = spawn(process.execPath, [CLI, 'load', '-t', server.url, '--duration', '60s', '-c', '8', '--events', '--dir', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => proc.kill('SIGKILL'));
  let stdout = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('close', resolve));
  await waitFor(() => stdout.includes('"event":"tick"'), 20_000, 'a first tick');
  assert.ok(seen.open() > 0);
  proc.kill('SIGINT');
  const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
  assert.equal(code, 1);
  const result = (events(stdout).at(-1) as Extract<LoadEvent, { event: 'result' }>).result;
  assert.equal(result.stopped, 'cancelled');
  assert.ok(result.totals.completed > 0);
  assert.ok(result.finishedAt - result.startedAt < 30_000);
  await waitFor(() => seen.open() === 0, 5_000, 'every load connection closed');
  assert.ok(!fs.existsSync(path.join(dir, '.chaos', 'results')), 'results go to --dir');
  assert.equal(fs.readdirSync(path.join(dir, 'results')).length, 1);
});

test('load export --to k6 writes a script that parses, with the captured mix and the SLO as thresholds', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const dir = tmpDir(t);
  const out = path.join(dir, 'items.k6.mjs');
  const r = await runCliAsync(['load', 'export', '--to', 'k6', '--target', backend.url, '--input', db, '--profile', 'ramp-up', '--to', '30', '--slo', 'p99<250ms', '--output', out], { env: ENV });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^load: wrote .*items\.k6\.mjs \(\d+ request\(s\), 2 stage\(s\), 1 threshold metric\(s\)\)/);
  const script = fs.readFileSync(out, 'utf8');
  assert.equal(spawnSync(process.execPath, ['--check', out]).status, 0);
  assert.ok(script.includes("import http from 'k6/http';"));
  assert.ok(script.includes('"http_req_duration": [\n      "p(99)<250"\n    ]'), script.slice(0, 800));
  assert.ok(script.includes('"executor": "ramping-vus"'));
  assert.ok(script.includes('"endpoint": "GET /api/me"'));
  // The redacted password is read from k6's environment, never written into the script.
  assert.ok(!script.includes(ITEMS_PASSWORD));
  assert.ok(script.includes('{{env:CHAOS_SECRET_PASSWORD}}'));
  assert.ok(script.includes('-e CHAOS_SECRET_PASSWORD=…'));
  assertCliError(await runCliAsync(['load', 'export', '--to', 'jmeter', '-t', backend.url, '--mix', 'target']), 2, ["the only format is k6"]);
});
