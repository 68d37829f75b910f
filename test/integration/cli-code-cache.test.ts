/**
 * dist/cli.js starts the CLI bundle from V8's code cache (src/cli/launcher.ts; `npm run build` first): the first run
 * leaves a cache in the user's cache directory, later runs use it as it is, and a cache that V8 rejects (corrupt,
 * another Node) is replaced, with the CLI's behaviour the same every time.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { VERSION } from '../../src/core/version';
import { runCli, tmpDir } from '../helpers';

test('the CLI runs the same with no code cache, with its own, and with a corrupt one, which it replaces', (t) => {
  const env = { XDG_CACHE_HOME: tmpDir(t) };
  const dir = path.join(env.XDG_CACHE_HOME, 'chaos-testing');
  const cacheFiles = (): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

  const first = runCli(['--version'], { env });
  assert.equal(first.stdout.trim(), VERSION);
  assert.equal(first.code, 0);
  const [name] = cacheFiles();
  assert.match(name ?? '', /^cli-v\d+\.\d+\.\d+-\w+-\d+-\d+\.v8cache$/, `cache files: ${cacheFiles().join(', ')}`);
  const file = path.join(dir, name);
  const written = fs.readFileSync(file);
  assert.ok(written.length > 10_000, `a cache of ${written.length} bytes`);

  const second = runCli(['--version'], { env });
  assert.equal(second.stdout.trim(), VERSION);
  assert.deepEqual(fs.readFileSync(file), written, 'an accepted cache is left as it is');

  fs.writeFileSync(file, Buffer.alloc(written.length, 7));
  const bad = runCli(['nope'], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^chaos-testing: unknown command 'nope'/);
  assert.deepEqual(cacheFiles(), [name], 'no temporary files left behind');
  assert.notDeepEqual(fs.readFileSync(file), Buffer.alloc(written.length, 7), 'the rejected cache was replaced');
  assert.equal(runCli(['--version'], { env }).stdout.trim(), VERSION);
});
