/**
 * Chaos replay against real loopback backends: traffic captured through the real capture proxy, replayed in-process
 * through `replay()` and through the built CLI (run `node scripts/build.mjs` first).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as http from 'node:http';
import { parseToxic } from '../../src/core/faults/toxics';
import { importHar } from '../../src/core/har/import';
import { replay } from '../../src/core/replay/replay';
import type { ReplayResult } from '../../src/core/replay/types';
import { CLI, assertCliError, closedPort, listen, queryStore, request, runCliAsync, tmpDir, trackConnections, waitFor } from '../helpers';
import { startMutant } from '../helpers/mutants';
import { ITEMS_PASSWORD, captureItemsSession, startItemsBackend } from '../helpers/replayBackend';

const SECRETS = { CHAOS_SECRET_PASSWORD: ITEMS_PASSWORD };

function byPath(r: ReplayResult, method: string, pattern: RegExp): ReplayResult['exchanges'] {
  return r.exchanges.filter((e) => e.method === method && pattern.test(e.path));
}

test('replay against the same backend: every exchange matches; noise, the created id and the login token do not diverge', async (t) => {
  const backend = await startItemsBackend(t);
  const { db, createdId } = await captureItemsSession(t, backend);
  const r = await replay({ database: db, target: backend.url, env: SECRETS });
  assert.equal(r.summary.total, 7);
  assert.deepEqual(r.exchanges.filter((e) => e.verdict !== 'matched'), []);
  assert.equal(r.summary.matched, 7);
  assert.deepEqual(r.summary.worst, []);
  // The created item is read and deleted under its new id, not the recorded one.
  const [get] = byPath(r, 'GET', /^\/api\/items\/(?!1$)\d+$/);
  const [del] = byPath(r, 'DELETE', /^\/api\/items\/\d+$/);
  assert.notEqual(get.path, `/api/items/${createdId}`);
  assert.equal(del.path, get.path);
  assert.match(get.rebound[0], new RegExp(`^path:3 ${createdId} → \\d+$`));
  // The bearer token of /api/me comes from the replayed login, and the report never shows it.
  const [me] = byPath(r, 'GET', /^\/api\/me$/);
  assert.match(me.rebound[0], /^header:authorization \[REDACTED:[0-9a-f]{8}\] → the replayed value$/);
  assert.ok(r.notes.some((n) => n.includes('CHAOS_SECRET_PASSWORD')), r.notes.join('\n'));
  assert.ok(r.summary.latency.p50 > 0 && r.summary.latency.p99 >= r.summary.latency.p50);
  // Stored as a run.
  const runs = await queryStore(db, 'SELECT kind, result FROM runs');
  assert.equal(runs.length, 1);
  assert.equal(runs[0].kind, 'replay');
  assert.equal((JSON.parse(String(runs[0].result)) as ReplayResult).summary.matched, 7);
});

test('text bodies: a small stable one is compared whole (a change diverges), one with a timestamp is not', async (t) => {
  let motd = 'Hello, "wörld"\n';
  const backend = await listen(t, http.createServer((req, res) => {
    const text = req.url === '/motd' ? motd : req.url === '/clock' ? `now ${new Date().toISOString()}` : 'pong';
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(text);
  }));
  const dir = tmpDir(t);
  const entry = (url: string, text: string, i: number): unknown => ({
    startedDateTime: new Date(Date.UTC(2024, 4, 1, 10, 0, i)).toISOString(), time: 1, cache: {}, timings: { send: 0, wait: 1, receive: 0 },
    request: { method: 'GET', url: `${backend.url}${url}`, httpVersion: 'HTTP/1.1', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
    response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [{ name: 'content-type', value: 'text/plain; charset=utf-8' }], cookies: [], content: { size: Buffer.byteLength(text), mimeType: 'text/plain', text }, redirectURL: '', headersSize: -1, bodySize: -1 },
  });
  fs.writeFileSync(path.join(dir, 't.har'), JSON.stringify({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: [
    entry('/motd', motd, 0), entry('/clock', 'now 2024-05-01T10:00:00.000Z', 1), entry('/ping', 'pong', 2),
  ] } }));
  const db = path.join(dir, 't.db');
  await importHar(path.join(dir, 't.har'), db);
  const same = await replay({ database: db, target: backend.url });
  assert.deepEqual(same.exchanges.filter((e) => e.verdict !== 'matched').map((e) => [e.path, e.reasons]), []);
  motd = 'Hello, "world"\n';
  const changed = await replay({ database: db, target: backend.url });
  assert.deepEqual(changed.exchanges.filter((e) => e.verdict !== 'matched').map((e) => [e.path, e.reasons]), [['/motd', ['the text body: "Hello, \\"wörld\\"\\n" → "Hello, \\"world\\"\\n"']]]);
});

test('re-binding: on a fresh backend the recorded id does not exist, yet reading and deleting the created item match', async (t) => {
  const recorded = await startItemsBackend(t);
  const { db, createdId } = await captureItemsSession(t, recorded);
  const fresh = await startItemsBackend(t);
  assert.equal((await request(`${fresh.url}/api/items/${createdId}`)).status, 404, 'without re-binding the GET would 404');
  const r = await replay({ database: db, target: fresh.url, env: SECRETS, store: false });
  assert.deepEqual(r.exchanges.filter((e) => e.verdict !== 'matched').map((e) => `${e.method} ${e.path}: ${e.reasons.join('; ')}`), []);
  const rebound = r.exchanges.filter((e) => e.rebound.some((x) => x.startsWith('path:3')));
  assert.deepEqual(rebound.map((e) => e.method), ['GET', 'DELETE']);
});

test('mutants: a changed status, a changed stable value and schema changes diverge with the right reason', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const expected: Array<[Parameters<typeof startMutant>[2], RegExp]> = [
    ['status', /^status 200 → 203$/],
    ['stable-value', /^\/name: "Ada Lovelace" → "Ada King"$/],
    ['field-type', /^schema: \/id must be integer/],
    ['removed-field', /^schema: \(body\) must have required property 'email'$/],
  ];
  for (const [mutation, reason] of expected) {
    const mutant = await startMutant(t, backend.url, mutation);
    const r = await replay({ database: db, target: mutant.url, env: SECRETS, store: false });
    const [first] = byPath(r, 'GET', /^\/api\/items\/1$/);
    assert.equal(first.verdict, 'diverged', `${mutation}: ${JSON.stringify(first)}`);
    assert.ok(first.reasons.some((x) => reason.test(x)), `${mutation}: ${first.reasons.join('; ')}`);
    assert.ok(r.summary.diverged > 0);
    assert.equal(r.summary.worst[0].endpoint, 'GET /api/items/{itemId}');
    assert.ok(r.summary.worst.every((w) => w.failureRate > 0));
  }
});

test('secrets: without CHAOS_SECRET_PASSWORD the login diverges, the token header is dropped, and the notes say why', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const r = await replay({ database: db, target: backend.url, env: {}, store: false });
  const [login] = byPath(r, 'POST', /^\/api\/login$/);
  assert.equal(login.verdict, 'diverged');
  assert.ok(login.reasons.includes('status 200 → 401'), login.reasons.join('; '));
  assert.ok(login.notes.some((n) => n.includes('set CHAOS_SECRET_PASSWORD')), login.notes.join('; '));
  const [me] = byPath(r, 'GET', /^\/api\/me$/);
  assert.ok(me.notes.some((n) => n.startsWith('header authorization dropped')), me.notes.join('; '));
  assert.equal(me.status, 401);
  assert.ok(r.notes.some((n) => n.includes('not in the environment: CHAOS_SECRET_PASSWORD')));
});

test('target down: every exchange is an error that names the refused connection', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const r = await replay({ database: db, target: `http://127.0.0.1:${await closedPort()}`, env: SECRETS, store: false });
  assert.equal(r.summary.errors, 7);
  for (const e of r.exchanges) {
    assert.equal(e.verdict, 'error');
    assert.match(e.error ?? '', /^connection refused .*ECONNREFUSED/);
  }
  assert.equal(r.summary.worst[0].failureRate, 1);
});

test('--rate paces the requests (lower bound on the total time)', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const started = performance.now();
  const r = await replay({ database: db, target: backend.url, env: SECRETS, store: false, pacing: { mode: 'rate', perSecond: 10 } });
  // 7 requests at 10/s: the 7th starts 600 ms after the first.
  assert.ok(performance.now() - started >= 590, `took ${performance.now() - started} ms`);
  assert.ok(r.summary.durationMs >= 590);
  assert.equal(r.summary.matched, 7);
});

test('faults: a latency toxic on the way raises every latency, and the result lists it', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const faults = [{ name: 'slow', type: 'latency' as const, stream: 'downstream' as const, toxicity: 1, attributes: { latency: 250, jitter: 0 } }];
  const r = await replay({ database: db, target: backend.url, env: SECRETS, store: false, faults });
  assert.equal(r.faults[0].name, 'slow');
  assert.notEqual(r.sentTo, r.target);
  assert.equal(r.summary.matched, 7, JSON.stringify(r.exchanges.filter((e) => e.verdict !== 'matched')));
  for (const e of r.exchanges) assert.ok(e.latencyMs >= 240, `${e.method} ${e.path} took ${e.latencyMs} ms`);
});

test('faults: an HTTP abort on one route diverges exactly the exchanges it matches', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const faults = [parseToxic({ name: 'busy', type: 'http_abort', attributes: { status: 503 }, match: { method: 'DELETE', path: '/api/items/*' } })];
  const r = await replay({ database: db, target: backend.url, env: SECRETS, store: false, faults });
  assert.equal(r.faults[0].type, 'http_abort');
  const hit = r.exchanges.filter((e) => e.verdict !== 'matched');
  assert.deepEqual(hit.map((e) => `${e.method} ${e.verdict}`), ['DELETE diverged'], JSON.stringify(hit));
  assert.equal(hit[0].status, 503);
});

test('abort: a cancelled replay stops early and says so', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const controller = new AbortController();
  const r = await replay(
    { database: db, target: backend.url, env: SECRETS, store: false, pacing: { mode: 'rate', perSecond: 5 } },
    { signal: controller.signal, onProgress: (p) => p.done === 2 && controller.abort() },
  );
  assert.equal(r.aborted, true);
  assert.equal(r.exchanges.length, 2);
});

test('CLI: --json prints the result with its summary (exit 0); a mutant gives exit 1 and a text report', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const ok = await runCliAsync(['replay', '--input', db, '--target', backend.url, '--json'], { env: SECRETS });
  assert.equal(ok.code, 0, ok.stderr);
  const result = JSON.parse(ok.stdout) as ReplayResult;
  assert.equal(result.kind, 'replay');
  assert.equal(result.summary.total, 7);
  assert.equal(result.summary.matched, 7);
  assert.equal(typeof result.summary.latency.p95, 'number');

  const mutant = await startMutant(t, backend.url, 'stable-value');
  const bad = await runCliAsync(['replay', '-i', db, '-t', mutant.url], { env: SECRETS });
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stdout, /DIVERGED/);
  assert.match(bad.stdout, /\/name: "Ada Lovelace" → "Ada King"/);
  assert.match(bad.stdout, /worst endpoints:\n {2}GET \/api\/items\/\{itemId\} {2}2\/3 failed/);
  assert.equal((await queryStore(db, "SELECT COUNT(*) AS n FROM runs WHERE kind = 'replay'"))[0].n, 2);
});

test('CLI: a bad --faults file is a one-line error naming the file and the entry (exit 1); bad flags exit 2', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const dir = tmpDir(t);
  const cases: Array<[string, string, string[]]> = [
    ['unknown.yaml', 'toxics:\n  - name: x\n    type: explode\n', ["toxics[0] ('x')", "type 'explode' is unknown"]],
    ['negative.json', '{"toxics": [{"type": "latency", "attributes": {"latency": 100}}, {"type": "latency", "name": "l2", "attributes": {"latency": -5}}]}', ["toxics[1] ('l2')", 'latency must be']],
    ['broken.yaml', 'toxics: [ {name: x\n', ['not valid YAML or JSON']],
    ['shape.yaml', 'latency: 5\n', ['expected { toxics: [']],
  ];
  for (const [name, text, mentions] of cases) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    assertCliError(await runCliAsync(['replay', '-i', db, '-t', backend.url, '--faults', file]), 1, [file, ...mentions]);
  }
  assertCliError(await runCliAsync(['replay', '-i', db, '-t', backend.url, '--faults', path.join(dir, 'missing.yaml')]), 1, ['cannot read faults file']);
  assertCliError(await runCliAsync(['replay', '-i', db, '-t', backend.url, '--rate', '5', '--as-recorded']), 2, ['--rate and --as-recorded']);
  assertCliError(await runCliAsync(['replay', '-i', db]), 2, ['--target']);
  assertCliError(await runCliAsync(['replay', '-i', db, '-t', backend.url, '--rate', 'fast']), 2, ["--rate 'fast'"]);
});

test('CLI: Ctrl-C stops the replay and prints the partial summary', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const seen = trackConnections(backend.server);
  const before = seen.requests();
  const proc = spawn(process.execPath, [CLI, 'replay', '-i', db, '-t', backend.url, '--rate', '2'], { env: { ...process.env, ...SECRETS }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  let stdout = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  await waitFor(() => seen.requests() > before, 30_000, 'the first replayed request');
  proc.kill('SIGINT');
  assert.equal(await exited, 1);
  assert.match(stdout, /INTERRUPTED: [1-6] replayed/);
});
