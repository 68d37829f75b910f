import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Turns } from '../../src/core/load/generator/turns';

function source(inFlight: number) {
  return { bytesRead: 0, inFlight, sending: true };
}

/** Feeds `n` responses of `serviceUs` each (the recent service time follows them). */
function respond(turns: Turns, n: number, serviceUs: number): void {
  for (let i = 0; i < n; i++) turns.responded(serviceUs);
}

test('a nap is a sixteenth of the recent service time, at most 100 µs, and only where responses come at least once a nap', () => {
  const src = source(50);
  const turns = new Turns(src, () => undefined);
  respond(turns, 5000, 640);
  assert.equal(Math.round(turns.napUs(50)), 40);
  assert.equal(turns.napUs(15), 0, 'fewer than 16 in flight');
  respond(turns, 5000, 100);
  assert.equal(turns.napUs(50), 0, 'a nap under 10 µs is not worth a futex call');
  respond(turns, 5000, 100_000);
  assert.equal(turns.napUs(50), 0, '50 in flight over 100 ms: one response every 2 ms, 20 naps of 100 µs each');
  assert.equal(turns.napUs(2000), 100);
  src.sending = false; // ends the turns the responses armed
});

test('while it pays, turns nap only when nothing was read since the last one, and stop when sending stops', async () => {
  const src = source(50);
  const naps: number[] = [];
  const turns = new Turns(src, (us) => naps.push(us));
  respond(turns, 5000, 640);
  await nextTurn(); // the first turn: nothing seen before it, so no nap
  await nextTurn();
  assert.equal(naps.length, 1, 'a turn that read nothing naps');
  assert.equal(Math.round(naps[0]), 40);
  src.bytesRead += 1000;
  await nextTurn();
  assert.equal(naps.length, 1, 'a turn that read something goes straight on');
  await nextTurn();
  assert.equal(naps.length, 2);
  src.sending = false;
  await nextTurn();
  await nextTurn();
  assert.equal(naps.length, 2, 'no turns once the run stops sending');
});

test('a stalled target: after 16 empty turns in a row the turns stop, and the next response starts them again', async () => {
  const src = source(50);
  const naps: number[] = [];
  const turns = new Turns(src, (us) => naps.push(us));
  respond(turns, 5000, 640);
  for (let i = 0; i < 40; i++) await nextTurn();
  assert.equal(naps.length, 16, 'sixteen naps (a whole service time), then none');
  turns.responded(640);
  for (let i = 0; i < 3; i++) await nextTurn();
  assert.ok(naps.length > 16, 'a response re-arms the turns');
  src.sending = false;
  await nextTurn();
});

test('with few requests in flight no turn is armed: the loop blocks on the sockets', async () => {
  const naps: number[] = [];
  const turns = new Turns(source(4), (us) => naps.push(us));
  respond(turns, 5000, 5000);
  await nextTurn();
  await nextTurn();
  assert.deepEqual(naps, []);
});
