/**
 * One package, two faces: Node resolves `chaos-testing` through package.json "exports" to the library (dist/api.js,
 * typed by dist/api/index.d.ts) for require, import, tsc and a vitest suite; VS Code reads "main" and still activates
 * the extension.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, tmpDir } from '../helpers';
import { fakeVscode } from '../helpers/fakeVscode';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string; types: string; exports: Record<string, unknown> };
const BUILDERS = ['Capture', 'ChaosExperiment', 'ComplianceFramework', 'FaultProxy', 'LoadTest', 'StateInvariant', 'TrafficStore', 'generateTests'];
const ERRORS = ['CancelledError', 'ChaosError', 'ExperimentInvalidError', 'InputError', 'ListenError', 'StoreError', 'UsageError'];

/** A project of a user's with the package installed (linked, as `npm link` does). */
function userProject(dir: string): string {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'chaos-testing'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  return dir;
}

function node(dir: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('the manifest keeps main for VS Code and points exports at the library', () => {
  assert.equal(pkg.main, './dist/extension.js');
  assert.deepEqual(pkg.exports, { '.': { types: './dist/api/index.d.ts', require: './dist/api.js', default: './dist/api.js' }, './package.json': './package.json' });
  assert.equal(pkg.types, './dist/api/index.d.ts');
  for (const f of ['dist/api.js', 'dist/api/index.d.ts', 'dist/extension.js']) assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is built (npm run build)`);
});

test("require('chaos-testing') and import give the library from a user's project", (t) => {
  const dir = userProject(tmpDir(t));
  const cjs = node(dir, ['-e', "const api = require('chaos-testing'); console.log(JSON.stringify({ resolved: require.resolve('chaos-testing'), names: Object.keys(api).sort(), code: new api.UsageError('x').code }))"]);
  assert.equal(cjs.code, 0, cjs.out);
  const got = JSON.parse(cjs.out) as { resolved: string; names: string[]; code: string };
  assert.equal(fs.realpathSync(got.resolved), path.join(ROOT, 'dist', 'api.js'));
  for (const name of [...BUILDERS, ...ERRORS]) assert.ok(got.names.includes(name), `${name} is exported`);
  assert.equal(got.code, 'CT_USAGE');
  // A builder works from the bundle: the same spec the CLI plans.
  const esm = node(dir, ['--input-type=module', '-e', "import { LoadTest } from 'chaos-testing'; console.log(JSON.stringify(LoadTest.create('http://127.0.0.1:3000').withRampUp(1, 8).withDuration('10s').toSpec().profile))"]);
  assert.equal(esm.code, 0, esm.out);
  assert.equal((JSON.parse(esm.out) as { kind: string }).kind, 'ramp-up');
  const pj = node(dir, ['-e', "console.log(require('chaos-testing/package.json').name)"]);
  assert.equal(pj.out.trim(), 'chaos-testing');
});

test("tsc checks a user's code against the package's declarations", (t) => {
  const dir = userProject(tmpDir(t));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')] },
    files: ['check.ts'],
  }));
  const tsc = (source: string): { code: number | null; out: string } => {
    fs.writeFileSync(path.join(dir, 'check.ts'), source);
    return node(dir, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir]);
  };
  const good = tsc([
    "import { ChaosExperiment, ComplianceFramework, LoadTest, StateInvariant, UsageError, type LoadOutcome } from 'chaos-testing';",
    "export async function f(signal: AbortSignal): Promise<number> {",
    "  const o: LoadOutcome = await LoadTest.create('http://127.0.0.1:3000').withSlo({ p99Ms: 200 }).run({ signal, onProgress: (tick) => void tick.rps });",
    "  const c = await ChaosExperiment.processKill({ pidFile: 'x.pid' }, { count: 2 }).withProbe('http://127.0.0.1:3000/health').execute({ signal });",
    "  const v = await StateInvariant.latencyBounded({ target: 'http://127.0.0.1:3000', boundMs: 500 }).verify({ signal });",
    "  const a = await ComplianceFramework.soc2().audit({ workspace: '.' });",
    "  const e: string = new UsageError('x').code;",
    "  return o.latencies.p99Ms + (c.recoveryTimeMs ?? 0) + v.violations.length + a.compliantControls + e.length;",
    "}",
  ].join('\n'));
  assert.equal(good.code, 0, good.out);
  const bad = tsc("import { LoadTest } from 'chaos-testing';\nLoadTest.create('http://127.0.0.1:3000').withRampUp('1', 8);\n");
  assert.notEqual(bad.code, 0);
  assert.match(bad.out, /check\.ts\(2,\d+\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'/);
});

test('a vitest suite uses the library (ESM, through the package exports)', { timeout: 120_000 }, (t) => {
  const dir = userProject(tmpDir(t));
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'vitest'), path.join(dir, 'node_modules', 'vitest'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  fs.writeFileSync(path.join(dir, 'api.test.ts'), [
    "import { expect, test } from 'vitest';",
    "import { ChaosExperiment, LoadTest, UsageError } from 'chaos-testing';",
    "test('the library from vitest', () => {",
    "  expect(LoadTest.create('http://127.0.0.1:3000').withSpike(50, 5).toSpec().profile.kind).toBe('spike');",
    "  expect(() => ChaosExperiment.processKill({ pidFile: 'x.pid' }, { count: 0 })).toThrow(UsageError);",
    "});",
  ].join('\n'));
  const r = node(dir, [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir, '--reporter', 'verbose']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /the library from vitest/);
  assert.match(r.out, /1 passed/);
});

test("VS Code's main still activates the extension (on the fake editor)", async (t) => {
  const fake = fakeVscode({ folder: tmpDir(t) });
  const win = fake.api.window as unknown as Record<string, unknown>;
  win.registerWebviewPanelSerializer ??= () => ({ dispose: () => undefined });
  // dist/extension.js does require('vscode'): answer it with the fake, as the editor's loader does with the real one.
  const load = (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load;
  (Module as unknown as { _load: typeof load })._load = (request, ...rest) => (request === 'vscode' ? fake.api : load(request, ...rest));
  t.after(() => {
    (Module as unknown as { _load: typeof load })._load = load;
  });
  const main = require(path.join(ROOT, pkg.main)) as { activate(ctx: unknown): { dispose(): void; engine: { dispose(): Promise<void> } }; deactivate?: () => unknown };
  assert.equal(typeof main.activate, 'function');
  const ext = main.activate(fake.context);
  t.after(async () => {
    const engine = ext.engine;
    ext.dispose();
    await engine.dispose();
  });
  for (const id of ['chaosTesting.startCapture', 'chaosTesting.runExperiment', 'chaosTesting.runLoadTest', 'chaosTesting.runAudit']) assert.ok(fake.commandIds().includes(id), `${id} registered`);
});
