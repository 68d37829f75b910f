/**
 * Start Capture in the editor with a .chaos/capture.yaml in the workspace: the fake editor API, the real engine
 * child (the bundle the .vsix ships), a real redis-server and the sample backend. The capture runs both listeners.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EngineClient } from '../../src/core/engine/engineClient';
import { ChaosExtension, type PanelOpeners } from '../../src/extension/chaosExtension';
import type { PageResult } from '../../src/core/store/queries';
import { fakeVscode } from '../helpers/fakeVscode';
import { ROOT, request, startSampleBackend, tmpDir, waitFor } from '../helpers';
import { rawCommand, startRedisServer } from '../helpers/redisServer';

test('Start Capture offers .chaos/capture.yaml; its HTTP and Redis listeners record into one database; the status bar lists them', { timeout: 60_000 }, async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const backend = await startSampleBackend(t);
  const folder = tmpDir(t);
  fs.mkdirSync(path.join(folder, '.chaos'));
  fs.writeFileSync(
    path.join(folder, '.chaos', 'capture.yaml'),
    `listeners:\n  - { protocol: http, port: 0, target: ${backend.url} }\n  - { protocol: redis, port: 0, target: "127.0.0.1:${redis.port}", name: cache }\n`,
  );
  const fake = fakeVscode({ folder, settings: { 'chaosTesting.capture.port': 0 } });
  const panels: PanelOpeners = { showExchange: () => undefined, showBrowser: () => undefined };
  const ext = new ChaosExtension(fake.api, fake.context as never, panels, new EngineClient({ entry: path.join(ROOT, 'dist', 'engine.js') }));
  t.after(async () => {
    const engine = ext.engine;
    ext.dispose();
    await engine.dispose();
  });

  // Dismissing the choice starts nothing; the single-target path still asks for a URL.
  await fake.run('chaosTesting.startCapture');
  const dismissed = ext.capture.info;
  assert.equal(dismissed, undefined);
  assert.equal(fake.inputBoxes.length, 0);
  fake.answers.pick.push('Capture one HTTP backend…');
  fake.answers.input.push(undefined);
  await fake.run('chaosTesting.startCapture');
  assert.equal(fake.inputBoxes.length, 1, 'the single target is asked for');
  fake.answers.pick.push('Use .chaos/capture.yaml (2 listeners)');
  await fake.run('chaosTesting.startCapture');
  assert.equal(fake.inputBoxes.length, 1, 'no target asked: the file has them');
  const info = ext.capture.info;
  assert.ok(info?.listeners, 'capturing from the file');
  assert.deepEqual(info.listeners.map((l) => `${l.name} ${l.protocol}`), ['http http', 'cache redis']);
  const [http, cache] = info.listeners.map((l) => Number(l.listen.split(':')[1]));
  assert.ok(http > 0 && cache > 0);
  await fake.waitForMessage(/capturing from \.chaos\/capture\.yaml: http 127\.0\.0\.1:\d+, cache 127\.0\.0\.1:\d+/);

  assert.equal((await request(`http://127.0.0.1:${http}/api/users/1`)).status, 200);
  assert.equal(await rawCommand(cache, '*3\r\n$3\r\nSET\r\n$6\r\nuser:1\r\n$3\r\nada'), '+OK\r\n');
  assert.equal(await rawCommand(cache, '*2\r\n$3\r\nGET\r\n$6\r\nuser:1'), '$3\r\nada\r\n');
  await waitFor(() => fake.statusBar.text.endsWith('· 3'), 10_000, `status bar count (${fake.statusBar.text})`);
  assert.equal(fake.statusBar.text, `$(record) :${http} → 127.0.0.1:${backend.port} · redis :${cache} · 3`);
  assert.match(fake.statusBar.tooltip ?? '', /cache \(redis\) 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+/);

  // Both kinds of rows, live from the engine's store worker, and hosts in the Traffic tree.
  const page = (await ext.engine.request('query', { db: info.db, query: { kind: 'page', query: { offset: 0, limit: 10 } } })) as PageResult;
  assert.deepEqual(page.rows.map((r) => `${r.protocol} ${r.method} ${r.protocol === 'http' ? new URL(r.url).pathname : r.url}`).sort(), ['http GET /api/users/1', 'redis GET GET user:1', 'redis SET SET user:1 ada']);
  const hosts = (await ext.tree.getChildren()).map((n) => String(ext.tree.getTreeItem(n).label));
  assert.ok(hosts.includes(`redis 127.0.0.1:${redis.port}`), hosts.join(', '));
  assert.ok(hosts.includes(`127.0.0.1:${backend.port}`), hosts.join(', '));

  await fake.run('chaosTesting.stopCapture');
  await fake.waitForMessage(/captured 3 exchanges \(0 errors\) into traffic\.db/);
  assert.equal(fake.statusBar.visible, false);
});

test('a wrong .chaos/capture.yaml: Start Capture shows its one-line error and starts nothing', async (t) => {
  const folder = tmpDir(t);
  fs.mkdirSync(path.join(folder, '.chaos'));
  fs.writeFileSync(path.join(folder, '.chaos', 'capture.yaml'), 'listeners:\n  - { protocol: smtp, port: 0, target: "127.0.0.1:25" }\n');
  const fake = fakeVscode({ folder });
  const ext = new ChaosExtension(fake.api, fake.context as never, { showExchange: () => undefined, showBrowser: () => undefined }, new EngineClient({ entry: path.join(ROOT, 'dist', 'engine.js') }));
  t.after(async () => {
    const engine = ext.engine;
    ext.dispose();
    await engine.dispose();
  });
  await fake.run('chaosTesting.startCapture');
  const shown = await fake.waitForMessage(/capture\.yaml: listener 1: unknown protocol 'smtp'/);
  assert.equal(shown.level, 'error');
  assert.equal(ext.capture.info, undefined);
});
