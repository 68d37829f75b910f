/**
 * Safety through the built CLI (run `npm run build` first): a run SIGKILLed mid-fault leaves a journal that
 * `chaos recover` undoes completely; SIGINT mid-fault runs the rollbacks itself; a failed hypothesis exits 1.
 * The faults: a latency toxic and a partition on a separately started `chaos-testing proxy --api`, and a kill of
 * a backend process (no restart: the rollback starts it again). Also: two processes sharing one journal keep
 * each other's entries.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Journal, journalPath, readJournal } from '../../src/core/chaos/journal';
import { isAlive } from '../../src/core/chaos/process';
import { callFaultApi } from '../../src/core/faults/client';
import { startBackend, writeExperiment, type Backend } from '../helpers/chaos';
import * as http from 'node:http';
import { CLI, ROOT, listen, queryStore, request, runCli, runCliAsync, startProxyCli, tmpDir, waitFor } from '../helpers';

interface ApiProxy {
  port: number;
  api: string;
}

async function startApiProxy(t: TestContext, upstream: number): Promise<ApiProxy> {
  const { port, api } = await startProxyCli(t, upstream, 'edge');
  return { port, api };
}

function experimentYaml(proxy: ApiProxy, backend: Backend, opts: { start: boolean; faultMs: number }): string {
  return `
title: safety
targets:
  api: {url: "http://127.0.0.1:${proxy.port}"}
  edge: {proxy: {api: "${proxy.api}", proxy: edge}}
  backend:
    process:
      pidFile: ${JSON.stringify(backend.pidFile)}
${opts.start ? `      start: ${JSON.stringify(backend.start)}\n      env: {PORT: "${backend.port}", PID_FILE: ${JSON.stringify(backend.pidFile)}}` : ''}
steady-state-hypothesis:
  probes: [{name: health, provider: {type: http, url: api/health, timeout: 1s}, tolerance: 200}]
method:
  - {name: slow, provider: {type: latency, target: edge, arguments: {latency: 100ms}}}
  - {name: cut, provider: {type: network-partition, target: edge}}
  - {name: kill, provider: {type: process-kill, target: backend}}
measure: {interval: 50ms, baseline: 200ms, fault: ${opts.faultMs}ms, consecutive: 2, recovery-timeout: 3s}
`;
}

interface Setup {
  dir: string;
  file: string;
  proxy: ApiProxy;
  backend: Backend;
  firstPid: number;
}

async function setup(t: TestContext, opts: { start: boolean; faultMs: number }): Promise<Setup> {
  const dir = tmpDir(t);
  const backend = await startBackend(t, dir);
  const proxy = await startApiProxy(t, backend.port);
  const file = writeExperiment(dir, 'safety.yaml', experimentYaml(proxy, backend, opts));
  return { dir, file, proxy, backend, firstPid: backend.pid()! };
}

function startRun(t: TestContext, s: Setup): { proc: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [CLI, 'chaos', 'run', s.file], { cwd: s.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.after(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  return { proc, output: () => out, exited };
}

/** Mid-fault: all three faults journaled, the backend killed, the toxic and the partition on the proxy. */
async function waitMidFault(s: Setup, output: () => string): Promise<void> {
  await waitFor(() => readJournal(path.join(s.dir, '.chaos')).length === 3 && !isAlive(s.firstPid), 20_000, `the faults to be applied: ${output()}`);
  const p = (await callFaultApi(s.proxy.api, 'GET', '/proxies/edge')) as { enabled: boolean; toxics: unknown[] };
  assert.equal(p.enabled, false);
  assert.equal(p.toxics.length, 1);
}

/** Nothing left: no toxic, the proxy up, the backend running and answering through it, the journal empty. */
async function assertNothingLeft(s: Setup): Promise<void> {
  const p = (await callFaultApi(s.proxy.api, 'GET', '/proxies/edge')) as { enabled: boolean; toxics: unknown[] };
  assert.deepEqual(p.toxics, []);
  assert.equal(p.enabled, true);
  const pid = s.backend.pid();
  assert.ok(pid && pid !== s.firstPid && isAlive(pid), `a restarted backend (pid ${pid})`);
  await waitFor(async () => (await request(`http://127.0.0.1:${s.proxy.port}/health`).catch(() => undefined))?.status === 200, 10_000, 'the backend to answer through the proxy');
  assert.deepEqual(readJournal(path.join(s.dir, '.chaos')), []);
}

test('SIGKILL mid-fault, then chaos recover: nothing is left', { timeout: 90_000 }, async (t) => {
  const s = await setup(t, { start: true, faultMs: 60_000 });
  const run = startRun(t, s);
  await waitMidFault(s, run.output);
  run.proc.kill('SIGKILL');
  await run.exited;
  assert.equal(readJournal(path.join(s.dir, '.chaos')).length, 3, 'the killed run left its journal');

  const r = runCli(['chaos', 'recover', '--dir', '.chaos'], { cwd: s.dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^undone: 3, failed: 0/m);
  await assertNothingLeft(s);
  const again = runCli(['chaos', 'recover'], { cwd: s.dir });
  assert.equal(again.code, 0);
  assert.match(again.stdout, /nothing to recover/);
});

test('SIGINT mid-fault: the run rolls back by itself and exits non-zero', { timeout: 90_000 }, async (t) => {
  const s = await setup(t, { start: true, faultMs: 60_000 });
  const run = startRun(t, s);
  await waitMidFault(s, run.output);
  run.proc.kill('SIGINT');
  const code = await run.exited;
  assert.equal(code, 1, run.output());
  assert.match(run.output(), /SIGINT: stopping, running the rollbacks/);
  assert.match(run.output(), /rollback kill ok/);
  assert.match(run.output(), /: aborted/);
  await assertNothingLeft(s);
});

test('a hypothesis that fails after the method exits 1 and says so; the result joins the runs table', { timeout: 60_000 }, async (t) => {
  const s = await setup(t, { start: false, faultMs: 200 });
  const db = path.join(s.dir, '.chaos', 'traffic.db');
  assert.equal(runCli(['import', path.join(ROOT, 'test', 'fixtures', 'sample.har'), '--db', db], { cwd: s.dir }).code, 0);
  const r = runCli(['chaos', 'run', s.file], { cwd: s.dir });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /hypothesis before: held/);
  assert.match(r.stdout, /hypothesis after: {2}FAILED/);
  assert.match(r.stdout, /recovery time: {5}did not recover/);
  assert.match(r.stderr, /has no start command; start it yourself/);
  assert.match(r.stderr, /result saved to \.chaos\/results\/safety-.*\.json/);
  assert.match(r.stderr, /stored as run \d+ in /);
  const runs = await queryStore(db, "SELECT kind, json_extract(result, '$.status') AS status, json_extract(result, '$.hypothesisHeld') AS held FROM runs");
  assert.deepEqual(runs, [{ kind: 'chaos', status: 'failed', held: 0 }]);
  // The proxy faults were still rolled back.
  const p = (await callFaultApi(s.proxy.api, 'GET', '/proxies/edge')) as { enabled: boolean; toxics: unknown[] };
  assert.deepEqual([p.enabled, p.toxics], [true, []]);
});

/** Puts N entries into the journal in `dir` and drops every third again, as fast as it can. */
const HAMMER = `
  const { Journal } = require(${JSON.stringify(path.join(ROOT, 'src/core/chaos/journal.ts'))});
  const journal = new Journal(process.env.DIR);
  for (let i = 0; i < Number(process.env.N); i++) {
    journal.put(process.env.TAG + '-' + i, { action: 'a' + i, kind: 'latency', data: {} });
    if (i % 3 === 0) journal.drop(process.env.TAG + '-' + i);
  }`;

test('two processes changing one journal at once keep every entry of the other', { timeout: 60_000 }, async (t) => {
  const dir = path.join(tmpDir(t), '.chaos');
  const n = 120;
  const hammers = ['a', 'b'].map((tag) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', HAMMER], { cwd: ROOT, env: { ...process.env, DIR: dir, TAG: tag, N: String(n) }, stdio: ['ignore', 'ignore', 'pipe'] });
    t.after(() => void (child.exitCode === null && child.kill('SIGKILL')));
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    return new Promise<string>((resolve) => child.once('exit', (code) => resolve(`${tag}: exit ${code} ${err}`)));
  });
  for (const outcome of await Promise.all(hammers)) assert.match(outcome, /: exit 0 $/);
  const expected = ['a', 'b'].flatMap((tag) => Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `${tag}-${i}`));
  assert.deepEqual(readJournal(dir).map((e) => e.id).sort(), expected.sort());
  assert.equal(fs.existsSync(`${journalPath(dir)}.lock`), false, 'the lock is released');
});

test('a journal lock left by a run killed inside it is taken over', (t) => {
  const dir = path.join(tmpDir(t), '.chaos');
  fs.mkdirSync(dir);
  const gone = spawnSync(process.execPath, ['-e', '']).pid;
  fs.writeFileSync(`${journalPath(dir)}.lock`, String(gone));
  new Journal(dir).put('x', { action: 'x', kind: 'latency', data: {} });
  assert.deepEqual(readJournal(dir).map((e) => e.id), ['x']);
});

test('a rollback that fails fails the run: exit 1, status failed, no recovery time', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const web = await listen(t, http.createServer((_req, res) => res.writeHead(200).end('ok')));
  // A fault API that takes the toxic but cannot remove it.
  const api = await listen(t, http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'DELETE') res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"the toxic is stuck","status":500}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"t","type":"latency","stream":"downstream","toxicity":1,"attributes":{"latency":50,"jitter":0}}');
    });
  }));
  const file = writeExperiment(dir, 'stuck.yaml', `
title: stuck
targets:
  web: {url: "http://127.0.0.1:${web.port}"}
  edge: {proxy: {api: "127.0.0.1:${api.port}", proxy: p}}
steady-state-hypothesis:
  probes: [{name: health, provider: {type: http, url: web/, timeout: 1s}, tolerance: 200}]
method:
  - {name: slow, provider: {type: latency, target: edge, arguments: {latency: 50ms}}}
measure: {interval: 50ms, baseline: 100ms, fault: 100ms, consecutive: 2, recovery-timeout: 2s}
`);
  const r = await runCliAsync(['chaos', 'run', file, '--json'], { cwd: dir, timeoutMs: 30_000 });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /rollback slow FAILED: .*the toxic is stuck.*stays in the journal/);
  const result = JSON.parse(r.stdout) as { status: string; recoveryTimeMs: number | null; recoveredSuccessfully: boolean; hypothesisHeld: boolean };
  assert.deepEqual([result.status, result.recoveryTimeMs, result.recoveredSuccessfully, result.hypothesisHeld], ['failed', null, false, true]);
  assert.equal(readJournal(path.join(dir, '.chaos')).length, 1);
  const text = await runCliAsync(['chaos', 'run', file], { cwd: dir, timeoutMs: 30_000 });
  assert.equal(text.code, 1);
  assert.match(text.stdout, /recovery time: {5}not measured: a fault could not be removed/);
  assert.match(text.stdout, /rollbacks: 1 run, 1 FAILED \(slow\)/);
});

test('SIGINT while the hypothesis probe waits stops the run at once, as aborted', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  let requests = 0;
  const silent = await listen(t, http.createServer(() => void requests++)); // takes the request, never answers
  const file = writeExperiment(dir, 'silent.yaml', `
title: silent
targets:
  web: {url: "http://127.0.0.1:${silent.port}"}
  nobody: {process: {match: "no-such-process-for-this-test"}}
steady-state-hypothesis:
  probes: [{name: health, provider: {type: http, url: web/, timeout: 30s}, tolerance: 200}]
method:
  - {name: kill, provider: {type: process-kill, target: nobody}}
`);
  const proc = spawn(process.execPath, [CLI, 'chaos', 'run', file, '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await waitFor(() => requests > 0, 15_000, 'the hypothesis probe to be sent');
  await new Promise((r) => setTimeout(r, 200)); // the signal handlers are installed before the first probe
  const stoppedAt = Date.now();
  proc.kill('SIGINT');
  const code = await exited;
  const took = Date.now() - stoppedAt;
  assert.equal(code, 1, err);
  assert.ok(took < 5_000, `stopped ${took} ms after SIGINT, not after the 30 s probe timeout`);
  assert.match(err, /SIGINT: stopping/);
  assert.equal((JSON.parse(out) as { status: string }).status, 'aborted');
});
