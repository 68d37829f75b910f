import assert from 'node:assert/strict';
import test from 'node:test';
import { WireInflow } from '../../src/core/store/wireInflow';

const limits = { heavyBytesPerS: 1000, maxHeldBytes: 500, windowMs: 100, sliceBytes: 150 };

test('light wire traffic is decoded as it arrives', () => {
  const inflow = new WireInflow<string>(limits);
  // 50 bytes every 100 ms: 500 B/s, under the 1,000 B/s line.
  for (let i = 0; i < 10; i++) assert.deepEqual(inflow.arrive(`t${i}`, 50, i * 100), [`t${i}`]);
  assert.equal(inflow.holding, false);
});

test('heavy traffic is held, then let go in slices, oldest first, once it calms down', () => {
  const inflow = new WireInflow<string>(limits);
  assert.deepEqual(inflow.arrive('a', 80, 0), ['a'], 'the first transfer, before any rate is known');
  // 80 bytes every 10 ms: 8,000 B/s.
  const out: string[] = [];
  for (let i = 1; i <= 4; i++) out.push(...inflow.arrive(`b${i}`, 80, i * 10));
  assert.deepEqual(out, []);
  assert.equal(inflow.heldBytes, 320);
  assert.deepEqual(inflow.due(60), [], 'still heavy');
  // Nothing for 300 ms: light again.
  assert.deepEqual(inflow.due(400), ['b1', 'b2'], 'a slice of 150 bytes (two transfers)');
  assert.deepEqual(inflow.due(420), ['b3', 'b4']);
  assert.equal(inflow.holding, false);
  assert.deepEqual(inflow.arrive('c', 10, 800), ['c'], 'light: straight through again');
});

test('past the bound the oldest held are decoded anyway, down to half; a drain takes the rest', () => {
  const inflow = new WireInflow<string>(limits);
  const out: string[] = inflow.arrive('a', 200, 0);
  assert.equal(out.length, 0, '200 bytes in one window is already 2,000 B/s');
  for (let i = 1; i <= 3; i++) out.push(...inflow.arrive(`b${i}`, 200, i));
  assert.deepEqual(out, ['a', 'b1'], 'at 600 held > 500: the oldest, down to 250 or less');
  assert.equal(inflow.heldBytes, 400);
  assert.deepEqual(inflow.takeAll(), ['b2', 'b3']);
  assert.equal(inflow.holding, false);
});
