/**
 * Runs a generated test suite with its language's own tooling: a check (formatter and compiler) and a run that
 * reports {passed, failed, skipped, total, output, exitCode}, read from the runner's machine-readable output
 * (pytest's JUnit XML, `go test -json`, cargo's "test result:" lines, vitest's JSON report, node's TAP summary,
 * the JUnit console launcher's XML reports). Used by the tests of the generators and by "Run Generated Tests".
 *
 * Each language expects the layout its generator writes into the output folder `dir`:
 *   python             tests/test_generated.py (pytest + requests)
 *   go                 go.mod (standard library only) and tests/generated_test.go
 *   rust               Cargo.toml (ureq, serde_json) and tests/test_generated.rs
 *   typescript-vitest  tests/generated.test.ts (vitest, fetch)
 *   typescript-node    tests/generated.test.ts (node:test, fetch), run through tsx
 *   java               src/test/java/**\/*.java (JUnit 5, java.net.http)
 *
 * The base URL reaches the suite as BASE_URL and CHAOS_BASE_URL: under vitest, process.env.BASE_URL is always
 * Vite's base path ('/'), so TypeScript suites read CHAOS_BASE_URL first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { withFileLockAsync } from '../store/lock';

export type RunnerLanguage = 'python' | 'go' | 'rust' | 'typescript-vitest' | 'typescript-node' | 'java';

export const RUNNER_LANGUAGES: readonly RunnerLanguage[] = ['python', 'go', 'rust', 'typescript-vitest', 'typescript-node', 'java'];

/** The commands of a Rust toolchain. */
export interface RustToolchain {
  cargo: string;
  rustc?: string;
  rustdoc?: string;
  rustfmt: string;
}

/** Whatever `cargo`, `rustfmt` the PATH gives (rustup's proxies, say). */
export const PATH_RUST: RustToolchain = { cargo: 'cargo', rustfmt: 'rustfmt' };

/** Debian's toolchain (packages cargo, rustc, rustfmt): the one Debian's crates in DEBIAN_CRATES build with. */
export const DEBIAN_RUST: RustToolchain = { cargo: '/usr/bin/cargo', rustc: '/usr/bin/rustc', rustdoc: '/usr/bin/rustdoc', rustfmt: '/usr/bin/rustfmt' };

/** Debian's crate directory (packages librust-*-dev), usable as an offline replacement for crates.io. */
export const DEBIAN_CRATES = '/usr/share/cargo/registry';

/** Where Debian's junit5 package puts its jars. */
export const DEBIAN_JAVA = '/usr/share/java';

export interface RunnerOptions {
  /** Extra environment for the suite (secrets, tokens). Merged over this process's environment. */
  env?: Record<string, string>;
  /** The backend's URL, given to the suite as BASE_URL and CHAOS_BASE_URL. */
  baseUrl?: string;
  /** Build caches (Cargo target dir, Go build cache, Python bytecode). Default: chaos-testing-runners in the OS temp dir. */
  cacheDir?: string;
  /** A node_modules folder that holds vitest, tsx and typescript. Default: the nearest one above `dir`. */
  nodeModules?: string;
  /** Rust commands. Default: PATH_RUST. */
  rust?: RustToolchain;
  /** A crate directory that replaces crates.io, offline (see writeOfflineCargoConfig). Default: none (crates.io). */
  offlineCrates?: string;
  /** Folder with the JUnit 5 jars. Default: DEBIAN_JAVA. */
  javaLibs?: string;
  /** Whole step's limit (check or run); the process tree is killed past it. Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface StepResult {
  /** What ran, one line per command (for the report and for a person to repeat it). */
  commands: string[];
  exitCode: number | null;
  output: string;
  timedOut: boolean;
  aborted: boolean;
}

export interface CheckResult extends StepResult {
  ok: boolean;
}

export interface RunResult extends StepResult {
  passed: number;
  failed: number;
  skipped: number;
  total: number;
  /** True when the runner exited 0 with no failure counted. */
  ok: boolean;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** Node.js for vitest, tsc and node --test: this process's own, unless it is an editor's Electron. */
function nodeBinary(): string {
  return process.versions.electron ? (findCommand('node') ?? 'node') : process.execPath;
}
const MAX_OUTPUT = 1 << 20;

// --- availability ----------------------------------------------------------------------------------------------

/** An executable file by absolute path, or a command found on PATH. Returns its path or undefined. */
export function findCommand(command: string): string | undefined {
  const isFile = (p: string): boolean => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return isFile(command) ? command : undefined;
  for (const d of (process.env.PATH ?? '').split(path.delimiter)) {
    if (d && isFile(path.join(d, command))) return path.join(d, command);
  }
  return undefined;
}

const pythonCache = new Map<string, string | null>();

/** The first python3 that imports pytest and requests: the PATH's, then Debian's /usr/bin/python3. */
export function findPython(): string | undefined {
  const key = process.env.PATH ?? '';
  if (!pythonCache.has(key)) {
    let found: string | null = null;
    for (const candidate of ['python3', '/usr/bin/python3']) {
      const exe = findCommand(candidate);
      if (!exe) continue;
      const r = spawnSync(exe, ['-c', 'import pytest, requests'], { stdio: 'ignore', timeout: 30_000 });
      if (r.status === 0) {
        found = exe;
        break;
      }
    }
    pythonCache.set(key, found);
  }
  return pythonCache.get(key) ?? undefined;
}

/** The nearest node_modules folder at or above `from` that holds `pkg`. */
function findNodeModules(from: string, pkg: string): string | undefined {
  for (let d = path.resolve(from); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'node_modules', pkg, 'package.json'))) return path.join(d, 'node_modules');
    if (path.dirname(d) === d) return undefined;
  }
}

function nodeModulesFor(pkg: string, dir: string, options: RunnerOptions): string | undefined {
  if (options.nodeModules) return fs.existsSync(path.join(options.nodeModules, pkg, 'package.json')) ? options.nodeModules : undefined;
  return findNodeModules(dir, pkg);
}

function hasCrate(registry: string, name: string): boolean {
  try {
    return fs.readdirSync(registry).some((e) => e.startsWith(`${name}-`) && /^\d/.test(e.slice(name.length + 1)));
  } catch {
    return false;
  }
}

const JUNIT_CONSOLE = 'junit-platform-console-standalone.jar';
/** What generated JUnit 5 tests compile against. */
const JUNIT_COMPILE_JARS = ['junit-jupiter-api.jar', 'junit-jupiter-params.jar', 'junit-platform-commons.jar', 'opentest4j.jar', 'apiguardian-api.jar'];

/**
 * Whether `lang`'s runner can run here: null, or a one-line reason naming what to install (a Debian package, or
 * an npm package for the TypeScript runners). `dir` is where the suite will be (for node_modules lookup).
 */
export function runnerAvailable(lang: RunnerLanguage, options: RunnerOptions = {}, dir = process.cwd()): string | null {
  const need = (cmd: string, pkg: string): string | null => (findCommand(cmd) ? null : `needs '${path.basename(cmd)}' (Debian package ${pkg})`);
  switch (lang) {
    case 'python':
      return findPython() ? null : 'needs python3 with pytest and requests (Debian packages python3-pytest python3-requests)';
    case 'go':
      return need('go', 'golang-go') ?? need('gofmt', 'golang-go');
    case 'rust': {
      const rust = options.rust ?? PATH_RUST;
      const missing =
        need(rust.cargo, 'cargo') ?? (rust.rustc ? need(rust.rustc, 'rustc') : null) ?? need(rust.rustfmt, 'rustfmt');
      if (missing) return missing;
      if (options.offlineCrates) {
        for (const [crate, pkg] of [['ureq', 'librust-ureq-dev'], ['serde_json', 'librust-serde-json-dev']]) {
          if (!hasCrate(options.offlineCrates, crate)) return `needs the crate ${crate} in ${options.offlineCrates} (Debian package ${pkg})`;
        }
      }
      return null;
    }
    case 'typescript-vitest':
    case 'typescript-node': {
      const pkg = lang === 'typescript-vitest' ? 'vitest' : 'tsx';
      if (!nodeModulesFor(pkg, dir, options)) return `needs the npm package ${pkg} (npm install --save-dev ${pkg})`;
      if (!nodeModulesFor('typescript', dir, options)) return 'needs the npm package typescript (npm install --save-dev typescript)';
      return null;
    }
    case 'java': {
      const missing = need('javac', 'openjdk-17-jdk-headless') ?? need('java', 'openjdk-17-jdk-headless');
      if (missing) return missing;
      const libs = options.javaLibs ?? DEBIAN_JAVA;
      for (const jar of [JUNIT_CONSOLE, ...JUNIT_COMPILE_JARS]) {
        if (!fs.existsSync(path.join(libs, jar))) return `needs ${path.join(libs, jar)} (Debian package junit5)`;
      }
      return null;
    }
  }
}

// --- processes -------------------------------------------------------------------------------------------------

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they came. */
  all: string;
  timedOut: boolean;
  aborted: boolean;
}

interface ExecOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  deadline: number;
  signal?: AbortSignal;
}

function clip(s: string): string {
  return s.length > MAX_OUTPUT ? `…(${s.length - MAX_OUTPUT} characters cut)\n${s.slice(-MAX_OUTPUT)}` : s;
}

/** Runs one command in its own process group; the whole group is killed at the deadline or on abort. */
function exec(command: string, args: string[], o: ExecOptions): Promise<Exec> {
  return new Promise((resolve) => {
    const result: Exec = { code: null, stdout: '', stderr: '', all: '', timedOut: false, aborted: false };
    if (o.signal?.aborted) {
      result.aborted = true;
      resolve(result);
      return;
    }
    const remaining = o.deadline - Date.now();
    if (remaining <= 0) {
      result.timedOut = true;
      resolve(result);
      return;
    }
    const child = spawn(command, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32', windowsHide: true });
    const kill = (): void => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      kill();
    }, remaining);
    const onAbort = (): void => {
      result.aborted = true;
      kill();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      result.stdout += c;
      result.all += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      result.stderr += c;
      result.all += c;
    });
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      result.code = code;
      resolve(result);
    };
    child.on('error', (e) => {
      result.all += `${command}: ${e.message}\n`;
      finish(null);
    });
    child.on('close', (code) => finish(code));
  });
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** A sequence of commands for one step; stops at the first that fails (unless told to go on). */
class Step {
  readonly commands: string[] = [];
  output = '';
  exitCode: number | null = 0;
  timedOut = false;
  aborted = false;
  private readonly deadline: number;

  constructor(
    readonly cwd: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly options: RunnerOptions,
  ) {
    this.deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  get stopped(): boolean {
    return this.timedOut || this.aborted;
  }

  async run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; keepOutput?: boolean } = {}): Promise<Exec> {
    this.commands.push([command, ...args].map(quote).join(' '));
    const r = await exec(command, args, { cwd: opts.cwd ?? this.cwd, env: opts.env ?? this.env, deadline: this.deadline, signal: this.options.signal });
    if (opts.keepOutput !== false) this.output += r.all;
    if (r.timedOut) this.output += `\n${path.basename(command)} timed out after ${this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms\n`;
    if (r.aborted) this.output += `\n${path.basename(command)} was cancelled\n`;
    this.timedOut ||= r.timedOut;
    this.aborted ||= r.aborted;
    this.exitCode = r.code;
    return r;
  }

  result(): StepResult {
    return { commands: this.commands, exitCode: this.stopped ? null : this.exitCode, output: clip(this.output), timedOut: this.timedOut, aborted: this.aborted };
  }

  check(ok: boolean): CheckResult {
    return { ...this.result(), ok: ok && !this.stopped };
  }
}

// --- environment and layout ------------------------------------------------------------------------------------

function cacheDir(options: RunnerOptions, sub: string): string {
  const d = path.join(options.cacheDir ?? path.join(os.tmpdir(), 'chaos-testing-runners'), sub);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

function baseEnv(options: RunnerOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env };
  delete env.FORCE_COLOR;
  // Set by a node --test parent (our own tests); inherited, it makes a nested `node --test` run nothing.
  delete env.NODE_TEST_CONTEXT;
  if (options.baseUrl) {
    env.BASE_URL = options.baseUrl;
    env.CHAOS_BASE_URL = options.baseUrl;
  }
  return env;
}

function listFiles(dir: string, test: (name: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : listFiles(full, test);
      return test(e.name) ? [full] : [];
    });
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The folder that holds go.mod: `dir` itself, or its tests/ folder. */
function goModuleDir(dir: string): string {
  return fs.existsSync(path.join(dir, 'go.mod')) || !fs.existsSync(path.join(dir, 'tests', 'go.mod')) ? dir : path.join(dir, 'tests');
}

function goEnv(options: RunnerOptions): NodeJS.ProcessEnv {
  // Generated Go suites use the standard library only: nothing to download, so the module proxy stays off.
  return { ...baseEnv(options), GOPROXY: 'off', GOFLAGS: '', GOTOOLCHAIN: 'local', GOCACHE: cacheDir(options, 'go-build'), GO111MODULE: 'on' };
}

function rustEnv(options: RunnerOptions, crateDir: string): NodeJS.ProcessEnv {
  const rust = options.rust ?? PATH_RUST;
  const env: NodeJS.ProcessEnv = { ...baseEnv(options), CARGO_TARGET_DIR: cargoTarget(options, crateDir), CARGO_TERM_COLOR: 'never' };
  if (rust.rustc) env.RUSTC = rust.rustc;
  if (rust.rustdoc) env.RUSTDOC = rust.rustdoc;
  if (options.offlineCrates) env.CARGO_NET_OFFLINE = 'true';
  return env;
}

/**
 * A target folder per crate folder. Every generated crate has the same name, so in one shared target folder two
 * suites' test binaries have the same path, and cargo took the other suite's binary for up to date (its fingerprint
 * lists the other suite's sources, unchanged) and ran it. Kept under the cache, so a crate's dependencies build once.
 */
function cargoTarget(options: RunnerOptions, crateDir: string): string {
  const key = createHash('sha256').update(path.resolve(crateDir)).digest('hex').slice(0, 16);
  return cacheDir(options, path.join('cargo-target', key));
}

/** One cargo at a time per target folder (the editor and a `ci` run may test the same suite at once). */
function inCargoTarget<T>(options: RunnerOptions, crateDir: string, work: () => Promise<T>): Promise<T> {
  return withFileLockAsync(path.join(cargoTarget(options, crateDir), 'chaos-testing-cargo'), work, CARGO_LOCK_WAIT_MS);
}
const CARGO_LOCK_WAIT_MS = 15 * 60_000;

function pythonEnv(options: RunnerOptions): NodeJS.ProcessEnv {
  // Bytecode goes to the cache, not into the user's tests/ folder.
  return { ...baseEnv(options), PYTHONPYCACHEPREFIX: cacheDir(options, 'pycache'), PYTHONDONTWRITEBYTECODE: '1' };
}

/**
 * Writes `<crateDir>/.cargo/config.toml` so that cargo resolves crates from `registry` (a directory source such
 * as Debian's /usr/share/cargo/registry) instead of crates.io, offline. For test harnesses on machines without
 * crates.io; not something generated for users. Returns the file's path.
 */
export function writeOfflineCargoConfig(crateDir: string, registry = DEBIAN_CRATES): string {
  const file = path.join(crateDir, '.cargo', 'config.toml');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    ['[source.crates-io]', 'replace-with = "offline"', '', '[source.offline]', `directory = ${JSON.stringify(registry)}`, '', '[net]', 'offline = true', ''].join('\n'),
  );
  return file;
}

/** A tsconfig for type-checking the suite outside any project of its own, resolving packages from `nodeModules`. */
function writeTsconfig(files: string[], nodeModules: string, types: string[]): string {
  const dir = tempDir('chaos-tsc-');
  const file = path.join(dir, 'tsconfig.json');
  const config = {
    compilerOptions: {
      noEmit: true,
      strict: true,
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      module: 'ESNext',
      moduleResolution: 'Bundler',
      skipLibCheck: true,
      types,
      typeRoots: [path.join(nodeModules, '@types')],
      paths: { '*': [path.join(nodeModules, '*'), path.join(nodeModules, '@types', '*')] },
    },
    files,
  };
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

// --- parsing ---------------------------------------------------------------------------------------------------

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  total: number;
}

function attr(tag: string, name: string): number {
  const m = new RegExp(`\\s${name}="(\\d+)"`).exec(tag);
  return m ? Number(m[1]) : 0;
}

/** Sums the <testsuite> elements of JUnit XML reports (pytest --junitxml, the JUnit console launcher). */
export function parseJUnitXml(...xmls: string[]): Counts | undefined {
  let found = false;
  const c: Counts = { passed: 0, failed: 0, skipped: 0, total: 0 };
  for (const xml of xmls) {
    for (const m of xml.matchAll(/<testsuite\b[^>]*>/g)) {
      found = true;
      const tests = attr(m[0], 'tests');
      const failed = attr(m[0], 'failures') + attr(m[0], 'errors');
      const skipped = attr(m[0], 'skipped');
      c.total += tests;
      c.failed += failed;
      c.skipped += skipped;
      c.passed += Math.max(0, tests - failed - skipped);
    }
  }
  return found ? c : undefined;
}

/** pytest's closing line, e.g. "1 failed, 1 passed in 0.12s". */
export function parsePytestSummary(output: string): Counts | undefined {
  const lines = output.split('\n').filter((l) => /\bin [\d.]+s\b/.test(l) && /\d+ (passed|failed|error|skipped|deselected|no tests ran)/.test(l));
  const line = lines.at(-1);
  if (!line) return undefined;
  const n = (word: string): number => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  const passed = n('passed');
  const failed = n('failed') + n('errors?');
  const skipped = n('skipped');
  return { passed, failed, skipped, total: passed + failed + skipped };
}

/** `go test -json` events: counts of tests (subtests included) and the printed output. */
export function parseGoTestJson(stdout: string): Counts & { output: string } {
  const c = { passed: 0, failed: 0, skipped: 0, total: 0, output: '' };
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) {
      if (line.trim()) c.output += `${line}\n`;
      continue;
    }
    let e: { Action?: string; Test?: string; Output?: string };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      c.output += `${line}\n`;
      continue;
    }
    if (e.Action === 'output' && e.Output) c.output += e.Output;
    if (!e.Test) continue;
    if (e.Action === 'pass') c.passed++;
    else if (e.Action === 'fail') c.failed++;
    else if (e.Action === 'skip') c.skipped++;
    else continue;
    c.total++;
  }
  return c;
}

/** cargo test's "test result: ok. 1 passed; 0 failed; 0 ignored; …" lines, summed over the test binaries. */
export function parseCargoTest(output: string): Counts | undefined {
  let found = false;
  const c: Counts = { passed: 0, failed: 0, skipped: 0, total: 0 };
  for (const m of output.matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored;/gm)) {
    found = true;
    c.passed += Number(m[1]);
    c.failed += Number(m[2]);
    c.skipped += Number(m[3]);
  }
  c.total = c.passed + c.failed + c.skipped;
  return found ? c : undefined;
}

/** vitest's --reporter=json report. */
export function parseVitestJson(json: string): Counts | undefined {
  try {
    const r = JSON.parse(json) as { numTotalTests: number; numPassedTests: number; numFailedTests: number; numPendingTests?: number; numTodoTests?: number };
    if (typeof r.numTotalTests !== 'number') return undefined;
    return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0), total: r.numTotalTests };
  } catch {
    return undefined;
  }
}

/** node --test's TAP summary ("# pass 1", "# fail 0", …). */
export function parseTapSummary(output: string): Counts | undefined {
  const n = (word: string): number | undefined => {
    const all = [...output.matchAll(new RegExp(`^# ${word} (\\d+)$`, 'gm'))];
    return all.length ? Number(all[all.length - 1][1]) : undefined;
  };
  const tests = n('tests');
  if (tests === undefined) return undefined;
  const skipped = (n('skipped') ?? 0) + (n('todo') ?? 0);
  return { passed: n('pass') ?? 0, failed: (n('fail') ?? 0) + (n('cancelled') ?? 0), skipped, total: tests };
}

function runResult(step: Step, counts: Counts | undefined, output?: string): RunResult {
  const base = step.result();
  const { passed = 0, failed = 0, skipped = 0, total = 0 } = counts ?? {};
  if (output !== undefined) base.output = clip(output);
  return { ...base, passed, failed, skipped, total, ok: base.exitCode === 0 && failed === 0 };
}

// --- check -----------------------------------------------------------------------------------------------------

/** Formatter and compiler checks of the suite in `dir`: gofmt -l + go vet, rustfmt --check + cargo test --no-run, tsc --noEmit, javac, py_compile. */
export async function checkSuite(lang: RunnerLanguage, dir: string, options: RunnerOptions = {}): Promise<CheckResult> {
  dir = path.resolve(dir);
  switch (lang) {
    case 'python': {
      const step = new Step(dir, pythonEnv(options), options);
      const files = listFiles(path.join(dir, 'tests'), (n) => n.endsWith('.py'));
      if (!files.length) return noFiles(step, 'tests/*.py').check(false);
      const r = await step.run(findPython() ?? 'python3', ['-m', 'py_compile', ...files.map((f) => path.relative(dir, f))]);
      return step.check(r.code === 0);
    }
    case 'go': {
      const moduleDir = goModuleDir(dir);
      const step = new Step(moduleDir, goEnv(options), options);
      const fmt = await step.run('gofmt', ['-l', '.']);
      const unformatted = fmt.stdout.trim();
      if (fmt.code !== 0 || unformatted) {
        if (unformatted) step.output += `\ngofmt: not formatted: ${unformatted.split('\n').join(', ')}\n`;
        return step.check(false);
      }
      const vet = await step.run('go', ['vet', './...']);
      return step.check(vet.code === 0);
    }
    case 'rust': {
      const rust = options.rust ?? PATH_RUST;
      if (options.offlineCrates) writeOfflineCargoConfig(dir, options.offlineCrates);
      const step = new Step(dir, rustEnv(options, dir), options);
      const files = listFiles(path.join(dir, 'tests'), (n) => n.endsWith('.rs'));
      if (!files.length) return noFiles(step, 'tests/*.rs').check(false);
      const fmt = await step.run(rust.rustfmt, ['--check', '--edition', '2021', ...files.map((f) => path.relative(dir, f))]);
      if (fmt.code !== 0) return step.check(false);
      const build = await inCargoTarget(options, dir, () => step.run(rust.cargo, ['test', '--no-run', '--color', 'never']));
      return step.check(build.code === 0);
    }
    case 'typescript-vitest':
    case 'typescript-node': {
      const step = new Step(dir, baseEnv(options), options);
      const files = listFiles(path.join(dir, 'tests'), (n) => n.endsWith('.ts'));
      if (!files.length) return noFiles(step, 'tests/*.ts').check(false);
      const nm = nodeModulesFor('typescript', dir, options);
      if (!nm) return cannotStart(step, runnerAvailable(lang, options, dir) ?? 'typescript not found').check(false);
      const tsc = path.join(nm, 'typescript', 'bin', 'tsc');
      let r: Exec;
      if (fs.existsSync(path.join(dir, 'tsconfig.json'))) {
        r = await step.run(nodeBinary(), [tsc, '--noEmit', '-p', dir]);
      } else {
        const config = writeTsconfig(files, nm, ['node']);
        try {
          r = await step.run(nodeBinary(), [tsc, '-p', config]);
        } finally {
          fs.rmSync(path.dirname(config), { recursive: true, force: true });
        }
      }
      return step.check(r.code === 0);
    }
    case 'java': {
      const step = new Step(dir, baseEnv(options), options);
      const out = tempDir('chaos-javac-');
      try {
        return step.check(await compileJava(step, dir, out, options));
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
  }
}

/** Marks a step that could not start (no files, no tool): no exit code, the reason as its output. */
function cannotStart(step: Step, reason: string): Step {
  step.output += `${reason}\n`;
  step.exitCode = null;
  return step;
}

function noFiles(step: Step, what: string): Step {
  return cannotStart(step, `no ${what} in ${step.cwd}`);
}

async function compileJava(step: Step, dir: string, classes: string, options: RunnerOptions): Promise<boolean> {
  const sources = listFiles(path.join(dir, 'src', 'test', 'java'), (n) => n.endsWith('.java'));
  if (!sources.length) {
    noFiles(step, 'src/test/java/**/*.java');
    return false;
  }
  const libs = options.javaLibs ?? DEBIAN_JAVA;
  const classpath = JUNIT_COMPILE_JARS.map((j) => path.join(libs, j)).join(path.delimiter);
  const r = await step.run('javac', ['-encoding', 'UTF-8', '-Xlint:all', '-d', classes, '-cp', classpath, ...sources.map((f) => path.relative(dir, f))]);
  return r.code === 0;
}

// --- run -------------------------------------------------------------------------------------------------------

/** Runs the suite in `dir` and counts its tests. A run whose check fails (compile errors) reports exitCode ≠ 0 and no tests. */
export async function runSuite(lang: RunnerLanguage, dir: string, options: RunnerOptions = {}): Promise<RunResult> {
  dir = path.resolve(dir);
  switch (lang) {
    case 'python': {
      const step = new Step(dir, pythonEnv(options), options);
      const out = tempDir('chaos-pytest-');
      try {
        const report = path.join(out, 'junit.xml');
        await step.run(findPython() ?? 'python3', ['-m', 'pytest', '-p', 'no:cacheprovider', '--color=no', '-rA', `--junitxml=${report}`, 'tests']);
        const xml = fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : undefined;
        return runResult(step, (xml && parseJUnitXml(xml)) || parsePytestSummary(step.output));
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
    case 'go': {
      const step = new Step(goModuleDir(dir), goEnv(options), options);
      const r = await step.run('go', ['test', '-json', '-count=1', './...'], { keepOutput: false });
      const parsed = parseGoTestJson(r.stdout);
      return runResult(step, parsed, parsed.output + r.stderr + step.output);
    }
    case 'rust': {
      if (options.offlineCrates) writeOfflineCargoConfig(dir, options.offlineCrates);
      const step = new Step(dir, rustEnv(options, dir), options);
      await inCargoTarget(options, dir, () => step.run((options.rust ?? PATH_RUST).cargo, ['test', '--no-fail-fast', '--color', 'never']));
      return runResult(step, parseCargoTest(step.output));
    }
    case 'typescript-vitest': {
      const step = new Step(dir, baseEnv(options), options);
      const nm = nodeModulesFor('vitest', dir, options);
      if (!nm) return runResult(cannotStart(step, runnerAvailable(lang, options, dir) ?? 'vitest not found'), undefined);
      const out = tempDir('chaos-vitest-');
      try {
        const report = path.join(out, 'report.json');
        const vitest = path.join(nm, 'vitest', 'vitest.mjs');
        await step.run(nodeBinary(), [vitest, 'run', '--root', dir, '--dir', 'tests', '--no-cache', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
        return runResult(step, fs.existsSync(report) ? parseVitestJson(fs.readFileSync(report, 'utf8')) : undefined);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
    case 'typescript-node': {
      const step = new Step(dir, baseEnv(options), options);
      const nm = nodeModulesFor('tsx', dir, options);
      const files = listFiles(path.join(dir, 'tests'), (n) => n.endsWith('.test.ts'));
      if (!nm) return runResult(cannotStart(step, runnerAvailable(lang, options, dir) ?? 'tsx not found'), undefined);
      if (!files.length) return runResult(noFiles(step, 'tests/*.test.ts'), undefined);
      await step.run(nodeBinary(), ['--import', tsxLoader(nm), '--test', '--test-reporter=tap', ...files.map((f) => path.relative(dir, f))]);
      return runResult(step, parseTapSummary(step.output));
    }
    case 'java': {
      const step = new Step(dir, baseEnv(options), options);
      const out = tempDir('chaos-junit-');
      try {
        const classes = path.join(out, 'classes');
        if (!(await compileJava(step, dir, classes, options))) return runResult(step, undefined);
        const reports = path.join(out, 'reports');
        const launcher = path.join(options.javaLibs ?? DEBIAN_JAVA, JUNIT_CONSOLE);
        await step.run('java', ['-jar', launcher, '--disable-banner', '--disable-ansi-colors', '--details=tree', '--fail-if-no-tests', '--class-path', classes, '--scan-class-path', '--reports-dir', reports]);
        const xmls = listFiles(reports, (n) => n.startsWith('TEST-') && n.endsWith('.xml')).map((f) => fs.readFileSync(f, 'utf8'));
        return runResult(step, parseJUnitXml(...xmls));
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
  }
}

/** The URL of tsx's ESM loader in `nodeModules`, for `node --import`. */
function tsxLoader(nodeModules: string): string {
  const pkgDir = path.join(nodeModules, 'tsx');
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
  const entry = pkg.exports?.['.'];
  const rel = typeof entry === 'string' ? entry : './dist/loader.mjs';
  return pathToFileURL(path.join(pkgDir, rel)).href;
}
