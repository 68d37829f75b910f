import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, requireTool } from '../helpers';

// The README's first command is `npm ci && npm run demo`: it must run to the end on a machine `npm test` passes on.
test('npm run demo runs every step to the end (the README\'s first command)', { timeout: 300_000 }, async (t) => {
  if (!requireTool(t, 'redis-server', 'redis-server')) return;
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'demo.mjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += String(c)));
  child.stderr.on('data', (c) => (out += String(c)));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  // The demo's own step headers (bold), not the [k/n] lines of the tools it runs.
  const steps = [...out.matchAll(/\x1b\[1m\[(\d+)\/(\d+)\] /g)];
  assert.equal(code, 0, out.split('\n').slice(-15).join('\n'));
  const total = Number(steps.at(-1)?.[2]);
  assert.ok(total >= 10, `the demo has its steps (${total})`);
  assert.deepEqual(steps.filter((m) => m[2] === String(total)).map((m) => Number(m[1])), Array.from({ length: total }, (_, i) => i + 1));
  assert.doesNotMatch(out, /demo failed/);
});
