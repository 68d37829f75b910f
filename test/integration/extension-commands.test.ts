/**
 * The manifest and the code agree: every command package.json contributes is registered by the extension's root
 * object (on the fake editor), each has the Chaos Testing category, and every command the palette hides or gates
 * exists. A contributed command nobody registers fails with "command not found" only when a user clicks it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EngineClient } from '../../src/core/engine/engineClient';
import { ChaosExtension } from '../../src/extension/chaosExtension';
import { ROOT, tmpDir } from '../helpers';
import { fakeVscode } from '../helpers/fakeVscode';

interface Manifest {
  contributes: {
    commands: Array<{ command: string; title: string; category?: string }>;
    menus: Record<string, Array<{ command?: string }>>;
    walkthroughs: Array<{ steps: Array<{ description: string; media: { markdown?: string } }> }>;
    taskDefinitions: Array<{ type: string }>;
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

test('every contributed command is registered by the extension, and has the Chaos Testing category', async (t) => {
  const fake = fakeVscode({ folder: tmpDir(t) });
  const ext = new ChaosExtension(fake.api, fake.context as never, { showExchange: () => undefined, showBrowser: () => undefined }, new EngineClient({ entry: path.join(ROOT, 'dist', 'engine.js') }));
  t.after(async () => {
    const engine = ext.engine;
    ext.dispose();
    await engine.dispose();
  });
  const registered = new Set(fake.commandIds());
  const contributed = manifest.contributes.commands.map((c) => c.command);
  assert.deepEqual(contributed.filter((c) => !registered.has(c)), [], 'contributed but not registered');
  assert.deepEqual(manifest.contributes.commands.filter((c) => c.category !== 'Chaos Testing').map((c) => c.command), [], 'without the category');
  for (const c of ['chaosTesting.runProperties', 'chaosTesting.createRegressionTest', 'chaosTesting.runAudit']) assert.ok(contributed.includes(c), c);
  const inMenus = Object.values(manifest.contributes.menus).flat().flatMap((m) => (m.command ? [m.command] : []));
  assert.deepEqual(inMenus.filter((c) => !contributed.includes(c)), [], 'menus name only contributed commands');
});

test('walkthrough steps link to contributed commands and to media files that exist; task types are declared', () => {
  const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
  for (const step of manifest.contributes.walkthroughs.flatMap((w) => w.steps)) {
    for (const [, id] of step.description.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(contributed.has(id) || id.endsWith('.focus'), `${id} in a walkthrough step`);
    if (step.media.markdown) assert.ok(fs.existsSync(path.join(ROOT, step.media.markdown)), step.media.markdown);
  }
  const types = manifest.contributes.taskDefinitions.map((d) => d.type);
  for (const type of ['chaos-testing-experiment', 'chaos-testing-properties', 'chaos-testing-audit']) assert.ok(types.includes(type), type);
});
