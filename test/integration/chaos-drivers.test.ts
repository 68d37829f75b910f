/**
 * The local chaos drivers on real processes and a real filesystem, all started or mounted by the test itself:
 * cpu-throttle, memory-pressure, disk-exhaustion, clock-skew and cascading-failure. Each undo runs from a JSON copy
 * of the journaled record, as `chaos recover` would in a fresh process. Needs `npm run build` (the helpers run
 * from dist/).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { driver as cascadingFailure } from '../../src/core/chaos/actions/cascading-failure';
import { driver as clockSkew, libfaketimePath } from '../../src/core/chaos/actions/clock-skew';
import { driver as cpuThrottle } from '../../src/core/chaos/actions/cpu-throttle';
import { driver as diskExhaustion, FILLER_PREFIX } from '../../src/core/chaos/actions/disk-exhaustion';
import { driver as memoryPressure } from '../../src/core/chaos/actions/memory-pressure';
import { isAlive, pidsMatching, processState, signal, startDetached, waitForExit } from '../../src/core/chaos/process';
import { environOf, identify } from '../../src/core/chaos/processIdentity';
import type { Action, ActionArguments, ActionContext, ActionDriver, ActionKind, Experiment, Target, UndoRecord } from '../../src/core/chaos/types';
import { ChaosError } from '../../src/core/errors';
import { requireReady, requireTool, ROOT, rssBytes, waitFor } from '../helpers';

const MIB = 1024 * 1024;

function experiment(targets: Record<string, Target>): Experiment {
  return {
    version: '1.0.0',
    title: 'drivers',
    tags: [],
    targets,
    hypothesis: { title: 'none', probes: [] },
    method: [],
    rollbacks: [],
    measure: { probe: 'none', intervalMs: 50, baselineMs: 0, faultMs: 10_000, consecutiveSuccesses: 3, recoveryTimeoutMs: 10_000 },
  };
}

function action<K extends ActionKind>(kind: K, target: string, args: ActionArguments[K]): Action<K> {
  return { name: `${kind} test`, kind, target, arguments: args, pauseBeforeMs: 0, pauseAfterMs: 0, at: ['method', 0] };
}

/** A context whose journal keeps a JSON copy of every write, plus what `probe` saw at that moment. */
function context<S>(exp: Experiment, probe: () => S = () => undefined as S, signal = new AbortController().signal) {
  const journal: { record: UndoRecord; seen: S; at: number }[] = [];
  const lines: string[] = [];
  const ctx: ActionContext = {
    experiment: exp,
    signal,
    log: (l) => lines.push(l),
    journal: (record) => journal.push({ record: JSON.parse(JSON.stringify(record)) as UndoRecord, seen: probe(), at: Date.now() }),
  };
  return { ctx, journal, lines, last: () => journal[journal.length - 1].record };
}

/**
 * A fresh folder for the test's scripts and files. Afterwards: the processes running a script from it (only the
 * test's own: the folder name is random) are killed, a filesystem mounted in it is unmounted, and it is removed.
 */
function workDir(t: TestContext, prefix: string): { dir: string; undoAfter(driver: Pick<ActionDriver, 'undo'>, record: () => UndoRecord): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const undos: (() => Promise<void>)[] = [];
  t.after(async () => {
    // A test that failed half-way leaves its fault in place: undo it first (a no-op when the test undid it).
    for (const undo of undos.reverse()) await undo().catch(() => undefined);
    for (const pid of pidsMatching(dir)) signal(pid, 'SIGKILL');
    for (const pid of pidsMatching(dir)) await waitForExit(pid, 2_000);
    for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const mountPoint = line.split(' ')[1];
      if (mountPoint?.startsWith(dir + path.sep)) spawnSync('umount', ['-l', mountPoint]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, undoAfter: (driver, record) => undos.push(() => driver.undo(record(), () => undefined)) };
}

/** A script in the test's folder, started detached with a pid file. */
function service(dir: string, name: string, source: string, command = 'node'): Target & { kind: 'process' } {
  fs.writeFileSync(path.join(dir, `${name}.js`), source);
  const target = { kind: 'process' as const, name, pidFile: path.join(dir, `${name}.pid`), start: `${command} ${path.join(dir, `${name}.js`)} ${name}`, cwd: dir, dependsOn: [] as string[] };
  startDetached({ command: target.start, cwd: dir, pidFile: target.pidFile });
  return target;
}

const pidOf = (target: { pidFile?: string }): number => Number(fs.readFileSync(target.pidFile!, 'utf8'));

/** The iteration count a counting process last wrote (fixed-width, rewritten in place). */
const COUNTER = `const fs = require('fs');
const fd = fs.openSync(process.argv[2] + '.count', 'w');
let n = 0, last = Date.now();
for (;;) { n++; if ((n & 0xffff) === 0 && Date.now() - last >= 20) { fs.writeSync(fd, String(n).padStart(20), 0); last = Date.now(); } }`;

function rate(countFile: string, ms: number): Promise<number> {
  const read = (): number => Number(fs.readFileSync(countFile, 'utf8').trim());
  const n0 = read();
  const t0 = Date.now();
  return new Promise((resolve) => setTimeout(() => resolve((read() - n0) / (Date.now() - t0)), ms));
}

test('check() refuses the wrong kind of target, and describe() is one line', () => {
  const exp = experiment({
    web: { kind: 'url', name: 'web', url: 'http://127.0.0.1:1' },
    data: { kind: 'directory', name: 'data', path: '/tmp' },
    worker: { kind: 'process', name: 'worker', match: 'never-started-by-anyone', dependsOn: [] },
  });
  const messages = (problems: { message: string }[]): string => problems.map((p) => p.message).join('\n');
  assert.match(messages(cpuThrottle.check(action('cpu-throttle', 'data', { percent: 20, periodMs: 100 }), exp)), /needs a process target, and 'data' is a directory target/);
  assert.match(messages(cpuThrottle.check(action('cpu-throttle', 'worker', { percent: 120, periodMs: 100 }), exp)), /percent must be above 0 and below 100/);
  assert.match(messages(memoryPressure.check(action('memory-pressure', 'web', { mib: 64 }), exp)), /needs a process target/);
  assert.match(messages(diskExhaustion.check(action('disk-exhaustion', 'worker', { percent: 90, floorMiB: 64 }), exp)), /needs a directory target, and 'worker' is a process target/);
  assert.match(messages(clockSkew.check(action('clock-skew', 'worker', { offsetSeconds: -60 }), exp)), /needs a 'start' command/);
  assert.match(messages(cascadingFailure.check(action('cascading-failure', 'worker', { order: ['worker', 'ghost'], delayMs: 0 }), exp)), /no target named 'ghost'/);
  assert.deepEqual(diskExhaustion.check(action('disk-exhaustion', 'data', { percent: 90, floorMiB: 64 }), exp), []);
  assert.deepEqual(cpuThrottle.check(action('cpu-throttle', 'web', { percent: 20, periodMs: 100 }), exp)[0].path, ['method', 0, 'provider', 'target']);
  const lines = [
    cpuThrottle.describe(action('cpu-throttle', 'worker', { percent: 20, periodMs: 100 }), exp),
    memoryPressure.describe(action('memory-pressure', 'worker', { mib: 64 }), exp),
    diskExhaustion.describe(action('disk-exhaustion', 'data', { percent: 90, floorMiB: 64 }), exp),
    clockSkew.describe(action('clock-skew', 'worker', { offsetSeconds: -3600 }), exp),
    cascadingFailure.describe(action('cascading-failure', 'worker', { order: ['worker'], delayMs: 500 }), exp),
  ];
  for (const line of lines) assert.match(line, /^[^\n]{10,200}$/);
  assert.match(lines[3], /3600 s in the past/);
});

test('cpu-throttle at 20 % cuts a CPU-bound process\'s work, and undo lets it run freely again', async (t) => {
  const { dir, undoAfter } = workDir(t, 'chaos-cpu-');
  const target = service(dir, 'counter', COUNTER);
  const countFile = path.join(dir, 'counter.count');
  await waitFor(() => fs.existsSync(countFile) && fs.readFileSync(countFile, 'utf8').trim() !== '', 10_000, 'the counter to count');
  const exp = experiment({ counter: target });
  const free = await rate(countFile, 1_500);
  const { ctx, journal, last } = context(exp);
  const record = await cpuThrottle.apply(action('cpu-throttle', 'counter', { percent: 20, periodMs: 100 }), ctx);
  undoAfter(cpuThrottle, () => last());
  const data = record.data as { mode: string; helper: { pid: number } };
  assert.equal(data.mode, 'duty-cycle', 'this machine has no cgroup v2 of its own for the target');
  assert.equal((journal[0].record.data as { helper?: unknown }).helper, undefined, 'journaled before the helper started');
  assert.ok(isAlive(data.helper.pid));
  await new Promise((r) => setTimeout(r, 300));
  const throttled = await rate(countFile, 1_500);
  t.diagnostic(`work per ms: free ${free.toFixed(0)}, at 20 % ${throttled.toFixed(0)} (${((100 * throttled) / free).toFixed(0)} %)`);
  assert.ok(throttled < 0.6 * free, `throttled ${throttled.toFixed(0)}/ms vs free ${free.toFixed(0)}/ms`);

  await cpuThrottle.undo(JSON.parse(JSON.stringify(last())) as UndoRecord, () => undefined);
  assert.ok(await waitForExit(data.helper.pid, 3_000), 'the helper is gone');
  for (let i = 0; i < 10; i++) {
    assert.notEqual(processState(pidOf(target)), 'T', 'the target is not left stopped');
    await new Promise((r) => setTimeout(r, 20));
  }
  const after = await rate(countFile, 500);
  assert.ok(after > 0, 'it counts again');
});

test('cpu-throttle: when the run that owns the duty cycle is SIGKILLed, the target is not left stopped', async (t) => {
  const { dir, undoAfter } = workDir(t, 'chaos-cpu-owner-');
  const target = service(dir, 'counter', COUNTER);
  const exp = experiment({ counter: target });
  const owner = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const { driver } = require(${JSON.stringify(path.join(ROOT, 'src/core/chaos/actions/cpu-throttle.ts'))});
    const ctx = { experiment: JSON.parse(process.env.EXP), signal: new AbortController().signal, log() {},
      journal(r) { process.stdout.write('JOURNAL ' + JSON.stringify(r) + '\\n'); } };
    driver.apply(JSON.parse(process.env.ACTION), ctx).then(() => process.stdout.write('APPLIED\\n'));
    setInterval(() => {}, 1000);`], {
    cwd: ROOT,
    env: { ...process.env, EXP: JSON.stringify(exp), ACTION: JSON.stringify(action('cpu-throttle', 'counter', { percent: 10, periodMs: 200 })) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => owner.kill('SIGKILL'));
  let out = '';
  owner.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor(() => out.includes('APPLIED'), 20_000, 'the owner to apply the throttle');
  const records = out.split('\n').filter((l) => l.startsWith('JOURNAL ')).map((l) => JSON.parse(l.slice(8)) as UndoRecord);
  const helper = (records[records.length - 1].data as { helper: { pid: number } }).helper.pid;
  undoAfter(cpuThrottle, () => records[records.length - 1]);
  await waitFor(() => processState(pidOf(target)) === 'T', 3_000, 'the target to be stopped by the duty cycle');

  owner.kill('SIGKILL');
  assert.ok(await waitForExit(helper, 3_000), 'the helper exits when its owner dies');
  for (let i = 0; i < 25; i++) {
    assert.notEqual(processState(pidOf(target)), 'T', 'the target is not left stopped');
    await new Promise((r) => setTimeout(r, 20));
  }
});

test('memory-pressure holds 200 MiB in a helper, undo frees it, and a pid that is no longer the hog is never killed', async (t) => {
  const exp = experiment({ app: { kind: 'process', name: 'app', match: 'unused', dependsOn: [] } });
  const { ctx, journal, last } = context(exp);
  const record = await memoryPressure.apply(action('memory-pressure', 'app', { mib: 200 }), ctx);
  t.after(() => memoryPressure.undo(last(), () => undefined));
  const hog = (record.data as { hog: { pid: number } }).hog.pid;
  assert.equal((journal[0].record.data as { hog?: unknown }).hog, undefined, 'journaled before the hog started');
  assert.ok((rssBytes(hog) ?? 0) >= 180 * MIB, `hog RSS ${Math.round((rssBytes(hog) ?? 0) / MIB)} MiB`);
  await memoryPressure.undo(JSON.parse(JSON.stringify(last())) as UndoRecord, () => undefined);
  assert.ok(await waitForExit(hog, 3_000), 'the hog is gone');
  await memoryPressure.undo(JSON.parse(JSON.stringify(last())) as UndoRecord, () => undefined); // idempotent

  await assert.rejects(memoryPressure.apply(action('memory-pressure', 'app', { mib: 100_000_000 }), context(exp).ctx), (e: Error) => {
    assert.ok(e instanceof ChaosError);
    assert.match(e.message, /^memory-pressure: 100000000 MiB is more than 50% of the \d+ MiB available \(MemAvailable\)[^\n]*$/);
    return true;
  });

  // A record whose pid now belongs to another process (same pid, different start time): left alone.
  const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => stranger.kill('SIGKILL'));
  const id = identify(stranger.pid!)!;
  await memoryPressure.undo({ action: 'x', kind: 'memory-pressure', data: { tag: 'chaos-helper-none', mib: 1, hog: { ...id, startTicks: id.startTicks - 1 } } }, () => undefined);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(isAlive(stranger.pid!), 'the stranger still runs');
});

/** A 64 MiB tmpfs mounted inside `dir` (unmounted after), or undefined where mounting is not allowed. */
function smallFilesystem(dir: string): string | undefined {
  const mnt = path.join(dir, 'mnt');
  fs.mkdirSync(mnt);
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]).status === 0 ? mnt : undefined;
}

const fullness = (dir: string): { percent: number; freeMiB: number } => {
  const s = fs.statfsSync(dir);
  return { percent: (100 * (s.blocks - s.bfree)) / (s.blocks - s.bfree + s.bavail), freeMiB: (s.bavail * s.bsize) / MIB };
};

test('disk-exhaustion fills a filesystem to the percentage, stops at the floor, and undo deletes the filler', async (t) => {
  const { dir, undoAfter } = workDir(t, 'chaos-disk-');
  const mnt = smallFilesystem(dir);
  const data = mnt ?? path.join(dir, 'data');
  fs.mkdirSync(data, { recursive: true });
  const exp = experiment({ data: { kind: 'directory', name: 'data', path: data } });
  const files = (): string[] => fs.readdirSync(data).filter((f) => f.startsWith(FILLER_PREFIX));
  // On the real disk (no mount allowed), aim only 8 MiB above what is used now.
  const before = fullness(data);
  const target = mnt ? 75 : before.percent + (8 * 100) / (before.freeMiB + (before.percent * before.freeMiB) / (100 - before.percent));

  const { ctx, journal, last } = context(exp, files);
  const record = await diskExhaustion.apply(action('disk-exhaustion', 'data', { percent: target, floorMiB: 4 }), ctx);
  undoAfter(diskExhaustion, () => last());
  assert.deepEqual(journal[0].seen, [], 'journaled before the filler existed');
  const file = (record.data as { file: string }).file;
  assert.equal(path.dirname(file), data);
  assert.ok(fs.existsSync(file));
  const filled = fullness(data);
  assert.ok(filled.percent >= target - 1 && filled.percent <= target + 2, `${filled.percent.toFixed(1)}% full, asked ${target.toFixed(1)}%`);
  await diskExhaustion.undo(JSON.parse(JSON.stringify(last())) as UndoRecord, () => undefined);
  assert.deepEqual(files(), []);
  await diskExhaustion.undo(JSON.parse(JSON.stringify(last())) as UndoRecord, () => undefined); // idempotent

  if (!mnt) return t.diagnostic('tmpfs mount not allowed: the floor case ran only on the real disk percentage');
  const second = context(exp);
  await diskExhaustion.apply(action('disk-exhaustion', 'data', { percent: 100, floorMiB: 16 }), second.ctx);
  undoAfter(diskExhaustion, () => second.last());
  const floored = fullness(data);
  assert.ok(floored.freeMiB >= 16 && floored.freeMiB <= 21, `${floored.freeMiB.toFixed(1)} MiB left free, floor 16`);
  await diskExhaustion.undo(second.last(), () => undefined);
  assert.ok(fullness(data).freeMiB > 60);

  // Cancelled before writing: nothing is written, and the journaled filler is still removed by undo.
  const cancel = new AbortController();
  const third = context(exp, () => cancel.abort(), cancel.signal);
  const cancelled = await diskExhaustion.apply(action('disk-exhaustion', 'data', { percent: 90, floorMiB: 4 }), third.ctx);
  assert.equal((cancelled.data as { bytes: number }).bytes, 0);
  await diskExhaustion.undo(third.last(), () => undefined);
  assert.deepEqual(files(), []);
});

const CLOCKS: Record<string, { command: string; source: string }> = {
  node: {
    command: 'node',
    source: `const fs = require('fs'); const out = process.argv[2] + '.now';
setInterval(() => { fs.writeFileSync(out + '.tmp', String(Date.now())); fs.renameSync(out + '.tmp', out); }, 50);`,
  },
  python: {
    command: 'python3',
    source: `import os, sys, time
out = sys.argv[1] + '.now'
while True:
    open(out + '.tmp', 'w').write(str(int(time.time() * 1000))); os.replace(out + '.tmp', out); time.sleep(0.05)`,
  },
};

for (const [runtime, clock] of Object.entries(CLOCKS)) {
  test(`clock-skew restarts a ${runtime} process an hour in the past, and undo restarts it with the real clock`, async (t) => {
    if (!requireReady(t, libfaketimePath() ? null : 'needs libfaketime (Debian package faketime)')) return;
    if (!requireTool(t, clock.command, clock.command === 'node' ? 'nodejs' : 'python3')) return;
    const { dir, undoAfter } = workDir(t, 'chaos-clock-');
    const target = service(dir, 'clock', clock.source, clock.command);
    const nowFile = path.join(dir, 'clock.now');
    const skew = (): number | undefined => (fs.existsSync(nowFile) ? Number(fs.readFileSync(nowFile, 'utf8')) - Date.now() : undefined);
    await waitFor(() => skew() !== undefined && Math.abs(skew()!) < 5_000, 15_000, 'the clock file at the real time');
    const original = pidOf(target);

    const { ctx, journal, last } = context(experiment({ clock: target }), () => isAlive(original));
    await clockSkew.apply(action('clock-skew', 'clock', { offsetSeconds: -3600 }), ctx);
    undoAfter(clockSkew, () => last());
    assert.equal(journal[0].seen, true, 'journaled while the original still ran');
    const skewed = pidOf(target);
    assert.notEqual(skewed, original);
    assert.ok(!isAlive(original));
    assert.equal(environOf(skewed)?.FAKETIME, '-3600');
    await waitFor(() => Math.abs(skew()! + 3_600_000) < 5_000, 15_000, `the ${runtime} clock an hour behind (skew now ${skew()} ms)`);

    await clockSkew.undo(JSON.parse(JSON.stringify(last())) as UndoRecord, () => undefined);
    const restored = pidOf(target);
    assert.ok(!isAlive(skewed));
    assert.equal(environOf(restored)?.FAKETIME, undefined);
    await waitFor(() => Math.abs(skew()!) < 5_000, 15_000, `the ${runtime} clock back to the real time (skew now ${skew()} ms)`);
    await clockSkew.undo(JSON.parse(JSON.stringify(last())) as UndoRecord, () => undefined); // idempotent
    assert.equal(pidOf(target), restored, 'a second undo starts nothing');
  });
}

test('cascading-failure kills in order with delays, and undo starts them again dependencies first', async (t) => {
  const { dir, undoAfter } = workDir(t, 'chaos-cascade-');
  const source = `require('fs').appendFileSync(${JSON.stringify(path.join(dir, 'started.log'))}, process.argv[2] + '\\n'); setInterval(() => {}, 1000);`;
  const [db, api, web] = ['db', 'api', 'web'].map((name) => service(dir, name, source));
  api.dependsOn = ['db'];
  web.dependsOn = ['api'];
  const exp = experiment({ db, api, web });
  const pids = [db, api, web].map(pidOf);
  const log = path.join(dir, 'started.log');
  const started = (): string[] => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
  await waitFor(() => started().length === 3, 10_000, 'three services');

  const { ctx, journal, last } = context(exp, () => pids.map(isAlive));
  await cascadingFailure.apply(action('cascading-failure', 'db', { order: ['db', 'api', 'web'], delayMs: 300 }), ctx);
  undoAfter(cascadingFailure, () => last());
  for (const pid of pids) assert.ok(!isAlive(pid));
  // Each victim is journaled while it still runs, then killed, in order.
  const before = journal.filter((j) => (j.record.data as { victims: { killed: boolean }[] }).victims.some((v) => !v.killed));
  assert.deepEqual(before.map((j) => j.seen), [[true, true, true], [false, true, true], [false, false, true]]);
  assert.deepEqual((last().data as { victims: { name: string }[] }).victims.map((v) => v.name), ['db', 'api', 'web']);
  assert.ok(before[1].at - before[0].at >= 280 && before[2].at - before[1].at >= 280, 'delay between kills');

  await cascadingFailure.undo(JSON.parse(JSON.stringify(last())) as UndoRecord, () => undefined);
  assert.deepEqual(started().slice(3), ['db', 'api', 'web'], 'what others depend on starts first');
  const again = [db, api, web].map(pidOf);
  for (const pid of again) assert.ok(isAlive(pid));
  await cascadingFailure.undo(JSON.parse(JSON.stringify(last())) as UndoRecord, () => undefined); // idempotent
  assert.deepEqual([db, api, web].map(pidOf), again);
  assert.equal(started().length, 6);
});
