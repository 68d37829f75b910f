/**
 * The arithmetic and the choices of the local chaos drivers that the integration test cannot reach on this machine:
 * when cgroup v2 cpu.max is used (against a fake /proc and cgroup tree), the cpu.max value, how much a filler
 * writes, and the order cascading-failure starts processes again in.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { restartOrder } from '../../src/core/chaos/actions/cascading-failure';
import { bytesToFill } from '../../src/core/chaos/actions/disk-exhaustion';
import { cpuMaxValue, soleCgroup } from '../../src/core/chaos/cgroupCpu';
import { tmpDir } from '../helpers';

const MIB = 1024 * 1024;

/** A fake /proc (mountinfo naming `root/cgroup` as the cgroup2 mount, pid 42 in /app) and that cgroup tree. */
function fakeCgroups(root: string, procs: string, withCpuMax = true): string {
  const proc = path.join(root, 'proc');
  const cgroup = path.join(root, 'cgroup', 'app');
  fs.mkdirSync(path.join(proc, 'self'), { recursive: true });
  fs.mkdirSync(path.join(proc, '42'), { recursive: true });
  fs.mkdirSync(cgroup, { recursive: true });
  fs.writeFileSync(path.join(proc, 'self', 'mountinfo'), `25 1 0:22 / /proc rw - proc proc rw\n30 25 0:26 / ${path.join(root, 'cgroup')} rw,nosuid - cgroup2 cgroup2 rw\n`);
  fs.writeFileSync(path.join(proc, '42', 'cgroup'), '0::/app\n');
  fs.writeFileSync(path.join(cgroup, 'cgroup.procs'), procs);
  if (withCpuMax) fs.writeFileSync(path.join(cgroup, 'cpu.max'), 'max 100000\n');
  return proc;
}

test('cgroup v2 cpu.max is used only when the target is alone in its cgroup and cpu.max is there', (t) => {
  const alone = tmpDir(t);
  assert.deepEqual(soleCgroup(42, fakeCgroups(alone, '42\n')), { dir: path.join(alone, 'cgroup', 'app'), cpuMax: 'max 100000' });
  assert.equal(soleCgroup(42, fakeCgroups(tmpDir(t), '42\n43\n')), undefined, 'another process shares the cgroup');
  assert.equal(soleCgroup(42, fakeCgroups(tmpDir(t), '42\n', false)), undefined, 'no cpu controller');
  const v1 = tmpDir(t);
  fs.mkdirSync(path.join(v1, 'self'));
  fs.writeFileSync(path.join(v1, 'self', 'mountinfo'), '32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n');
  assert.equal(soleCgroup(42, v1), undefined, 'cgroup v1 only');
});

test('cpu.max gives the quota as a share of the period, within the kernel\'s bounds', () => {
  assert.equal(cpuMaxValue(20, 100), '20000 100000');
  assert.equal(cpuMaxValue(50, 10), '5000 10000');
  assert.equal(cpuMaxValue(1, 10), '1000 10000', 'the quota is at least 1 ms');
  assert.equal(cpuMaxValue(50, 5_000), '500000 1000000', 'the period is at most 1 s');
});

test('the filler brings the filesystem to the percentage, or stops at the floor', () => {
  // 1000 blocks of 1 MiB: 200 used, 800 available to users (none reserved).
  const fsStats = { type: 0, bsize: MIB, blocks: 1000, bfree: 800, bavail: 800, files: 0, ffree: 0 } as fs.StatsFs;
  assert.equal(bytesToFill(fsStats, 50, 0), 300 * MIB);
  assert.equal(bytesToFill(fsStats, 100, 256), 544 * MIB);
  assert.equal(bytesToFill(fsStats, 10, 0), 0, 'already fuller than asked');
  // 50 blocks reserved for root: df counts used / (used + available).
  const reserved = { ...fsStats, bfree: 850, bavail: 800 } as fs.StatsFs;
  assert.equal(bytesToFill(reserved, 50, 0), Math.ceil(0.5 * 950 * MIB) - 150 * MIB);
});

test('cascading-failure starts again in reverse order, each after what it depends on', () => {
  const v = (name: string, dependsOn: string[] = []) => ({ name, target: { dependsOn } });
  const names = (list: { name: string }[]) => list.map((x) => x.name);
  assert.deepEqual(names(restartOrder([v('web'), v('api'), v('db')])), ['db', 'api', 'web']);
  assert.deepEqual(names(restartOrder([v('db'), v('api', ['db']), v('web', ['api'])])), ['db', 'api', 'web']);
  assert.deepEqual(names(restartOrder([v('a', ['b']), v('b', ['a'])])), ['b', 'a'], 'a cycle keeps reverse order');
  assert.deepEqual(names(restartOrder([v('db'), v('cache')])), ['cache', 'db']);
});
