#!/usr/bin/env node
/**
 * dist/cli.js: starts the CLI bundle (dist/cli-main.js, beside this file) from V8's code cache. Compiling the whole
 * bundle costs ~60 ms of CPU on every run; with the cache it is ~8 ms. The cache lives in the user's cache directory
 * ($XDG_CACHE_HOME or ~/.cache/chaos-testing), named by the bundle's size and time and Node's version; a missing,
 * stale or rejected cache only means compiling, after which the run leaves a new one. Nothing else is imported here:
 * this file stays small.
 */
import * as fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

const file = path.join(__dirname, 'cli-main.js');
const text = fs.readFileSync(file, 'utf8');
// The bundle's `#!` line is only valid at a script's very start: commented out, keeping its length and line numbers.
const source = text.startsWith('#!') ? `//${text.slice(2)}` : text;
const cacheFile = codeCacheFile(fs.statSync(file));
let cachedData: Buffer | undefined;
try {
  if (cacheFile) cachedData = fs.readFileSync(cacheFile);
} catch {
  // no cache yet
}
const script = new vm.Script(Module.wrap(source), { filename: file, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
// Written at exit, so the functions this run compiled are in it too.
if (cacheFile && (!cachedData || script.cachedDataRejected)) process.once('exit', () => writeCache(cacheFile, script));
const main = new Module(file, module);
main.filename = file;
main.loaded = true;
script.runInThisContext()(main.exports, createRequire(file), main, file, __dirname);

function codeCacheFile(bundle: fs.Stats): string | null {
  try {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
    return path.join(base, 'chaos-testing', `cli-${process.version}-${process.arch}-${bundle.size}-${Math.floor(bundle.mtimeMs)}.v8cache`);
  } catch {
    return null;
  }
}

function writeCache(to: string, compiled: vm.Script): void {
  try {
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    // Another run may write the same cache at once: each writes its own file and renames it into place.
    const tmp = `${to}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, compiled.createCachedData(), { mode: 0o600 });
    fs.renameSync(tmp, to);
  } catch {
    // a cache that cannot be written costs the next run its compile, nothing else
  }
}
