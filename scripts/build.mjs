// Bundles the CLI, the extension, the store worker and the chaos helpers with esbuild, and copies sql.js (its script and wasm) beside them; bundles
// the webview panels' page scripts (with @vscode-elements/elements) and their CSS into dist/webview/.
import * as esbuild from 'esbuild';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');

mkdirSync('dist/webview', { recursive: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  define: { __CHAOS_VERSION__: JSON.stringify(pkg.version) },
  // esbuild itself loads user invariants written in TypeScript (src/core/properties/invariants/userInvariants.ts).
  external: ['vscode', 'esbuild'],
};
const entries = [
  { entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js' },
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['src/core/store/storeWorker.ts'], outfile: 'dist/storeWorker.js' },
  { entryPoints: ['src/core/engine/engineMain.ts'], outfile: 'dist/engine.js' },
  // The library (package.json "exports"): beside the other bundles, since the engines find their helpers, workers
  // and sql-wasm.wasm next to their own file. Its declarations come from tsc below (dist/api/index.d.ts).
  { entryPoints: ['src/api/index.ts'], outfile: 'dist/api.js' },
  // Helper processes of the chaos drivers (src/core/chaos/helpers/launch.ts starts them).
  { entryPoints: ['src/core/chaos/helpers/cpuThrottle.ts'], outfile: 'dist/cpuThrottle.js' },
  { entryPoints: ['src/core/chaos/helpers/memoryHog.ts'], outfile: 'dist/memoryHog.js' },
];
// Webview pages run in the editor's browser: one self-contained script per panel, loaded under a nonce CSP.
const browser = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  sourcemap: true,
  minify: !watch,
  logLevel: 'warning',
};
const webviewEntries = [
  { entryPoints: ['webview/trafficBrowser.ts'], outfile: 'dist/webview/trafficBrowser.js' },
  { entryPoints: ['webview/exchangePanel.ts'], outfile: 'dist/webview/exchangePanel.js' },
  { entryPoints: ['webview/experimentResults.ts'], outfile: 'dist/webview/experimentResults.js' },
  { entryPoints: ['webview/loadTest.ts'], outfile: 'dist/webview/loadTest.js' },
  { entryPoints: ['webview/loadCompare.ts'], outfile: 'dist/webview/loadCompare.js' },
  { entryPoints: ['webview/propertiesResults.ts'], outfile: 'dist/webview/propertiesResults.js' },
  { entryPoints: ['webview/auditResults.ts'], outfile: 'dist/webview/auditResults.js' },
  { entryPoints: ['media/panels.css'], outfile: 'dist/webview/panels.css' },
  { entryPoints: ['media/experimentResults.css'], outfile: 'dist/webview/experimentResults.css' },
  { entryPoints: ['media/loadTest.css'], outfile: 'dist/webview/loadTest.css' },
];
const all = [...entries.map((e) => ({ ...common, ...e })), ...webviewEntries.map((e) => ({ ...browser, ...e }))];
if (watch) {
  for (const e of all) await (await esbuild.context(e)).watch();
} else {
  // The library's types, beside the bundles: declarations of src/api and what it references (dist/api/*.d.ts, dist/core/**/*.d.ts).
  const declarations = promisify(execFile)(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.api.json']).catch((e) => {
    throw new Error(`the library's declarations (tsc -p tsconfig.api.json) failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  });
  await Promise.all([...all.map((e) => esbuild.build(e)), declarations]);
}
// sql.js is loaded from beside the bundles, not bundled: src/core/store/sqlite.ts adds a hook to it as it loads it.
for (const f of ['sql-wasm.js', 'sql-wasm.wasm']) copyFileSync(require.resolve(`sql.js/dist/${f}`), `dist/${f}`);
// The readiness HTML report inlines uPlot (src/core/readiness/report/html.ts reads it beside the bundle).
for (const f of ['uPlot.iife.min.js', 'uPlot.min.css']) copyFileSync(require.resolve(`uplot/dist/${f}`), `dist/${f}`);
chmodSync('dist/cli.js', 0o755);

