/**
 * Real-editor harness: the packaged extension in code-server (VS Code 1.100 in a browser), driven through Chromium
 * by playwright-core, as a person would use it. Installed by `bash scripts/setup-editor.sh`; see
 * ../shared/REAL-EDITOR.md. Run the tests with `npm run test:editor` (a loopback-only network namespace).
 *
 *   test('…', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
 *     if (!requireEditor(t)) return;
 *     await withEditor({ name: 'capture', folder: tmpDir(t) }, async (ed) => {
 *       await ed.runCommand('Chaos Testing: Show Version');
 *       assert.match(await ed.notification('Chaos Testing'), /0\.1\.0/);
 *     });
 *   });
 *
 * Environment: CHAOS_VSIX (the .vsix to install), CHAOS_CHROMIUM (the browser), CHAOS_EDITOR_KEEP=1 (keep the
 * temporary user-data, extensions and profile folders for a look afterwards).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { DONT_TRUST_BUTTON, type Editor, makeEditor, SELECTORS, sleep, until, WAIT } from './ui';

export * from './ui';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CODE_SERVER = path.join(ROOT, '.cache', 'editor', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.CHAOS_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots and logs (code-server's output, the browser console) land here. */
export const RESULTS = path.join(ROOT, 'test-results', 'editor');
/** A generous per-test timeout for node:test (startup alone is 5–10 s). */
export const EDITOR_TEST_TIMEOUT = 180_000;

const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'];
const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  // A tooltip under the parked mouse (the activity bar after openView) intercepts the next click on slow cores.
  'workbench.hover.delay': 600_000,
};

/** Why the real editor cannot run here (naming the package and the setup script), or null when it can. */
export function editorAvailable(): string | null {
  const fix = 'run: bash scripts/setup-editor.sh';
  if (!fs.existsSync(CODE_SERVER)) return `needs code-server in .cache/editor (npm package code-server@4.100.3; ${fix})`;
  if (!fs.existsSync(CHROMIUM)) return `needs ${CHROMIUM} (Debian package chromium; ${fix})`;
  return null;
}

/** Like requireTool: skips the test with the reason when the editor is missing, fails under CI=true. */
export function requireEditor(t: TestContext): boolean {
  const reason = editorAvailable();
  if (!reason) return true;
  if (process.env.CI === 'true') throw new Error(`${reason}: missing under CI`);
  t.skip(reason);
  return false;
}

/** The packaged extension: $CHAOS_VSIX, or chaos-testing.vsix from `npm run package` (refused when older than dist/). */
export function vsixPath(): string {
  const vsix = process.env.CHAOS_VSIX ?? path.join(ROOT, 'chaos-testing.vsix');
  const built = path.join(ROOT, 'dist', 'extension.js');
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing: run npm run package (npm run test:editor does)`);
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs > fs.statSync(vsix).mtimeMs + 1000) throw new Error(`${vsix} is older than dist/: run npm run package`);
  return vsix;
}

export interface EditorOptions {
  /** The workspace folder to open. */
  folder: string;
  /** false: workspace trust is enabled and the trust dialog is answered "No", so the window is in Restricted Mode. */
  trust?: boolean;
  /** User settings, over the harness's quiet defaults. */
  settings?: Record<string, unknown>;
  vsix?: string;
  /** Prefix of screenshots and logs in test-results/editor/. */
  name?: string;
}

/**
 * code-server runs in a process group of its own (it is the leader): its extension host and language servers
 * outlive it by seconds and would write into the temporary folder after it is removed, so close() ends the group.
 */
function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    // the group is gone
  }
}

/** Running code-servers and their temporary folders, ended and removed if the process exits before close(). */
const live = new Map<ChildProcess, string>();
let exitHooked = false;
function cleanUpOnExit(proc: ChildProcess, base: string): void {
  live.set(proc, base);
  if (exitHooked) return;
  exitHooked = true;
  const killAll = (): void => {
    for (const [p, dir] of live) {
      killGroup(p, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

let started = 0;

/** Starts code-server on a free loopback port with the vsix installed, and opens `folder` in Chromium. */
export async function startEditor(options: EditorOptions): Promise<Editor> {
  const name = options.name ?? `editor-${process.pid}-${++started}`;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-editor-'));
  const [ext, userData, home, tmp, profile] = ['extensions', 'user-data', 'home', 'tmp', 'chromium-profile'].map((d) => {
    fs.mkdirSync(path.join(base, d), { recursive: true });
    return path.join(base, d);
  });
  const config = path.join(base, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\n');
  const trusted = options.trust ?? true;
  const settings = { ...DEFAULT_SETTINGS, 'security.workspace.trust.enabled': !trusted, ...options.settings };
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  fs.mkdirSync(RESULTS, { recursive: true });
  const env = {
    ...process.env,
    HOME: home,
    TMPDIR: tmp,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    EXTENSIONS_GALLERY: '{}',
  };
  const common = ['--extensions-dir', ext, '--user-data-dir', userData, '--config', config];

  const vsix = options.vsix ?? vsixPath();
  const install = spawnSync(process.execPath, [CODE_SERVER, ...common, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120_000 });
  if (install.status !== 0 || !/successfully installed/.test(install.stdout)) {
    fs.rmSync(base, { recursive: true, force: true });
    throw new Error(`installing ${vsix} into code-server failed (exit ${install.status}):\n${install.stdout}${install.stderr}`);
  }

  let log = '';
  const consoleLines: string[] = [];
  const server = spawn(process.execPath, [CODE_SERVER, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check', ...common, options.folder], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  cleanUpOnExit(server, base);
  server.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  server.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  let context: BrowserContext | undefined;
  let closed = false;

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (context) await Promise.race([context.close().catch(() => {}), sleep(10_000, true)]);
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      killGroup(server, 'SIGTERM');
      await Promise.race([exited, sleep(5_000, true)]);
    }
    killGroup(server, 'SIGKILL');
    live.delete(server);
    server.stdout!.destroy();
    server.stderr!.destroy();
    fs.writeFileSync(path.join(RESULTS, `${name}.code-server.log`), log);
    fs.writeFileSync(path.join(RESULTS, `${name}.console.log`), consoleLines.join('\n'));
    if (!process.env.CHAOS_EDITOR_KEEP) fs.rmSync(base, { recursive: true, force: true, maxRetries: 3 });
  };

  try {
    const port = await until(() => /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log)?.[1], 'code-server to listen', () => {
      if (server.exitCode !== null || server.signalCode !== null) throw new Error(`code-server exited (${server.exitCode ?? server.signalCode}):\n${log}`);
    });
    const url = `http://127.0.0.1:${port}`;
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: BROWSER_ARGS, env, viewport: { width: 1400, height: 900 }, timeout: WAIT * 2 });
    context.setDefaultTimeout(WAIT);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    await page.goto(`${url}/?folder=${encodeURIComponent(options.folder)}`);
    await page.waitForSelector(SELECTORS.workbench, { timeout: WAIT });
    if (!trusted) {
      await page.getByRole('button', { name: DONT_TRUST_BUTTON }).click({ timeout: WAIT });
      await page.locator(SELECTORS.restrictedModeStatus).waitFor({ timeout: WAIT });
    }
    return makeEditor(page, url, path.join(RESULTS, name), close);
  } catch (e) {
    const page = context?.pages()[0];
    if (page) await page.screenshot({ path: path.join(RESULTS, `${name}-startup-failure.png`) }).catch(() => {});
    await close();
    throw e;
  }
}

/** startEditor, run `fn`, screenshot on failure (NAME-failure.png), and always close. */
export async function withEditor<T>(options: EditorOptions, fn: (editor: Editor) => Promise<T>): Promise<T> {
  const editor = await startEditor(options);
  try {
    return await fn(editor);
  } catch (e) {
    await editor.screenshot('failure').catch(() => {});
    throw e;
  } finally {
    await editor.close();
  }
}
