/**
 * One implementation: the CLI's verbs, the readiness suite and the editor reach the engines through the library
 * (src/api), never by calling an engine's runner themselves; and src/core never imports the library above it.
 * A check over the source, since a second path to an engine would still pass every behaviour test.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers';

/** Each engine's runner, and the library class every other face must go through to reach it. */
const RUNNERS: Record<string, string> = {
  'core/load/run': 'LoadTest',
  'core/compliance/engine': 'ComplianceFramework',
  'core/chaos/runner': 'ChaosExperiment',
  'core/properties/properties': 'StateInvariant',
  'core/generate/suite': 'generateTests',
  'core/capture/captureSession': 'Capture',
  'core/capture/captureRun': 'Capture',
  'core/store/reader': 'TrafficStore',
};

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? sources(rel) : e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** Every module a file imports (static, dynamic and type-only), as written. */
function imports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from\s+|import\(\s*)'([^']+)'/g)].map((m) => m[1]);
}

function runnerImports(file: string): string[] {
  return imports(file).filter((m) => Object.keys(RUNNERS).some((r) => m.endsWith(r)));
}

test('the CLI verbs, the readiness checks and the extension import no engine runner; they use the library', () => {
  const faces = [...sources('src/cli'), ...sources('src/extension'), ...sources('src/api/readiness')];
  assert.ok(faces.length > 40, `found only ${faces.length} source files: is ROOT right?`);
  const offenders = faces.map((f) => ({ f, bad: runnerImports(f) })).filter((x) => x.bad.length);
  assert.deepEqual(offenders, [], offenders.map((o) => `${o.f} imports ${o.bad.join(', ')}: go through ${o.bad.map((b) => RUNNERS[Object.keys(RUNNERS).find((r) => b.endsWith(r))!]).join(', ')} (src/api) instead`).join('\n'));
  // And they do use it: the verbs that have a library counterpart import it.
  const uses: Record<string, string> = {
    'commands/load': 'api/loadTest', 'commands/audit': 'api/complianceFramework', 'commands/properties': 'api/stateInvariant', 'commands/chaos': 'api/chaosExperiment',
    'commands/generate': 'api/capture', 'commands/ci': 'api/readiness/run', 'commands/observe': 'api/capture', observeListeners: 'api/capture',
    'commands/list': 'api/trafficStore', 'commands/show': 'api/trafficStore', 'commands/export': 'api/trafficStore', 'commands/learn': 'api/trafficStore',
  };
  for (const [verb, module] of Object.entries(uses)) {
    assert.ok(imports(`src/cli/${verb}.ts`).some((m) => m.endsWith(module)), `src/cli/${verb}.ts does not import ${module}`);
  }
});

test('only the library calls the engine runners (besides the engines themselves)', () => {
  const callers = [...sources('src/api'), ...sources('src/cli'), ...sources('src/extension')].filter((f) => runnerImports(f).length);
  assert.ok(callers.length >= 5, `expected the library classes to import the runners, found ${callers.join(', ')}`);
  for (const f of callers) assert.ok(f.startsWith(path.join('src', 'api')) && !f.includes('readiness'), `${f} calls an engine runner`);
});

test('src/core never imports the library above it (layers point down)', () => {
  const api = path.join(ROOT, 'src', 'api');
  const up = sources('src/core').flatMap((f) => imports(f).filter((m) => m.startsWith('.') && path.resolve(ROOT, path.dirname(f), m).startsWith(api)).map((m) => `${f} → ${m}`));
  assert.deepEqual(up, []);
});
