/** The editor's quick run → `chaos-testing load` flags, and which targets count as this machine. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackTarget, levelArgs, loadArgs, validateDuration, validateLevel } from '../../src/extension/load/loadArgs';

test('levels: connections, a rate, and ranges of either; anything else is refused', () => {
  assert.deepEqual(levelArgs('10'), ['--connections', '10']);
  assert.deepEqual(levelArgs(' 200/s '), ['--rate', '200']);
  assert.deepEqual(levelArgs('10..50'), ['--connections', '50', '--from', '10', '--to', '50']);
  assert.deepEqual(levelArgs('100 .. 1000/s'), ['--rate', '1000', '--from', '100', '--to', '1000']);
  for (const bad of ['', '0', '50..10', 'ten', '10/m', '-5', '1.5']) assert.equal(levelArgs(bad), undefined, bad);
});

test('durations need a unit and at least a second', () => {
  for (const ok of ['1s', '30s', '5m', '1h', '1500ms']) assert.equal(validateDuration(ok), undefined, ok);
  for (const bad of ['30', '500ms', '0s', 'soon', '']) assert.match(validateDuration(bad) ?? '', /at least 1s/, bad);
});

test('only 127.0.0.0/8, ::1 and localhost are this machine', () => {
  for (const local of ['http://127.0.0.1:3000/', 'http://127.1.2.3/', 'https://localhost:8443', 'http://api.localhost/', 'http://[::1]:8080/']) assert.equal(isLoopbackTarget(local), true, local);
  for (const remote of ['http://10.0.0.1/', 'http://127.example.com/', 'http://0.0.0.0:3000/', 'https://example.com/', 'http://[::ffff:7f00:1]/', 'http://192.168.1.10:3000/']) assert.equal(isLoopbackTarget(remote), false, remote);
});

test('a quick run as flags: --allow-remote only when confirmed, --events always last', () => {
  const quick = { kind: 'quick' as const, target: 'http://127.0.0.1:3000/', profile: 'spike' as const, duration: '1m', level: '50/s', slo: '', input: '/w/.chaos/traffic.db', mix: 'traffic' as const };
  assert.deepEqual(loadArgs(quick, false), ['load', '--target', 'http://127.0.0.1:3000/', '--profile', 'spike', '--duration', '1m', '--rate', '50', '--input', '/w/.chaos/traffic.db', '--mix', 'traffic', '--events']);
  assert.deepEqual(loadArgs({ kind: 'spec', file: '/w/.chaos/load/a.yaml' }, true), ['load', '--spec', '/w/.chaos/load/a.yaml', '--allow-remote', '--events']);
  assert.throws(() => loadArgs({ ...quick, level: 'lots' }, false), /load level 'lots'/);
});

test('a range is refused for a constant run before it reaches the CLI; other profiles take it', () => {
  assert.match(validateLevel('10..50', 'constant') ?? '', /constant run holds one level/);
  assert.equal(validateLevel('50', 'constant'), undefined);
  assert.equal(validateLevel('10..50', 'ramp-up'), undefined);
  assert.match(validateLevel('fast', 'ramp-up') ?? '', /Enter connections/);
});
