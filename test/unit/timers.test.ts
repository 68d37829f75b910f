import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { MAX_TIMEOUT_MS, setLongTimeout, sleepUnlessAborted } from '../../src/core/timers';

test('a delay past setTimeout\'s limit does not fire early (setTimeout alone fires it after 1 ms)', async () => {
  let fired = false;
  const timer = setLongTimeout(() => (fired = true), MAX_TIMEOUT_MS + 5);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(fired, false);
  timer.clear();
});

test('a long delay is waited in steps, and fires when all of it has passed', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let fired = 0;
    setLongTimeout(() => fired++, 2 * MAX_TIMEOUT_MS + 10);
    mock.timers.tick(MAX_TIMEOUT_MS);
    mock.timers.tick(MAX_TIMEOUT_MS);
    assert.equal(fired, 0);
    mock.timers.tick(9);
    assert.equal(fired, 0);
    mock.timers.tick(1);
    assert.equal(fired, 1);
  } finally {
    mock.timers.reset();
  }
});

test('a sleep of 30 days ends when its signal aborts, not before', async () => {
  const controller = new AbortController();
  let ended = false;
  const sleeping = sleepUnlessAborted(30 * 24 * 3_600_000, controller.signal).then(() => (ended = true));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(ended, false);
  controller.abort();
  await sleeping;
  assert.equal(ended, true);
});
