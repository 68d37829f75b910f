import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { withFileLockAsync } from '../../src/core/store/lock';

test('async sections under one file lock run one at a time, and the lock is gone after them (also after a throw)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-lock-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'shared');
  const events: string[] = [];
  const section = (name: string, ms: number) => withFileLockAsync(file, async () => {
    events.push(`${name} in`);
    await new Promise((r) => setTimeout(r, ms));
    events.push(`${name} out`);
  });
  await Promise.all([section('a', 60), section('b', 10), section('c', 10)]);
  for (let i = 0; i < events.length; i += 2) assert.equal(events[i + 1], events[i].replace(' in', ' out'), events.join(', '));
  await assert.rejects(withFileLockAsync(file, async () => { throw new Error('inside'); }), /inside/);
  assert.equal(fs.existsSync(`${file}.lock`), false);
});

test('a lock another live process holds past the wait is a one-line error naming the lock file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-lock-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'shared');
  fs.writeFileSync(`${file}.lock`, String(process.ppid)); // a live process that is not this one
  await assert.rejects(withFileLockAsync(file, async () => 1, 100), /stayed locked by pid .* remove .*shared\.lock/);
  fs.writeFileSync(`${file}.lock`, '2147483646'); // no such process: taken over
  assert.equal(await withFileLockAsync(file, async () => 42, 1_000), 42);
});
