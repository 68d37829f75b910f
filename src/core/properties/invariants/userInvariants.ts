/**
 * User invariants from .chaos/invariants/: NAME.yaml (declarative: yamlInvariant.ts, or `invariant: BUILTIN` with
 * `options:` to configure a built-in one) and NAME.ts / .js (a module whose default export, or `invariant` export,
 * is an Invariant). TypeScript and JavaScript are bundled with esbuild when loaded, so they may import npm packages
 * and their own helpers; the bundle runs in this process.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../../errors';
import type { Invariant } from '../types';
import { readOptionsFile, type Obj } from './options';

const YAML = ['.yaml', '.yml'];
const CODE = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** The user invariant file for NAME in `dir`, or undefined. */
export function findUserInvariant(dir: string, name: string): string | undefined {
  if (!/^[\w.-]+$/.test(name)) return undefined;
  for (const ext of [...YAML, ...CODE]) {
    const file = path.join(dir, name + ext);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

export function listUserInvariants(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  if (!fs.statSync(dir).isDirectory()) throw new InputError(`--invariants-dir ${dir} is a file; give the folder that holds the invariants`);
  return fs.readdirSync(dir).filter((f) => [...YAML, ...CODE].includes(path.extname(f))).map((f) => path.basename(f, path.extname(f)));
}

/** A YAML file: either configures a built-in ({invariant, options}) or is declarative ({steps}). */
export function readYamlInvariant(file: string): { builtin?: string; options: Obj; doc: Obj } {
  const doc = readOptionsFile(path.basename(file), file);
  if (typeof doc.invariant === 'string') {
    const options = doc.options ?? {};
    if (typeof options !== 'object' || Array.isArray(options)) throw new InputError(`${file}: 'options' must be a mapping`);
    return { builtin: doc.invariant, options: options as Obj, doc };
  }
  return { options: {}, doc };
}

export async function loadCodeInvariant(file: string): Promise<Invariant> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new InputError(`${file}: loading a TypeScript or JavaScript invariant needs esbuild (npm install --save-dev esbuild in the project), or write it as YAML`);
  }
  let code: string;
  try {
    const out = await esbuild.build({ entryPoints: [file], bundle: true, platform: 'node', target: 'node20', format: 'cjs', write: false, logLevel: 'silent', external: ['esbuild'] });
    code = out.outputFiles[0].text;
  } catch (e) {
    throw new InputError(`${file}: does not compile: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-invariant-'));
  const bundled = path.join(dir, `${path.basename(file, path.extname(file))}.cjs`);
  let mod: Record<string, unknown>;
  try {
    fs.writeFileSync(bundled, code);
    mod = createRequire(bundled)(bundled) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${file}: failed when loaded: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const inv = (mod.default ?? mod.invariant) as Partial<Invariant> | undefined;
  if (!inv || typeof inv !== 'object' || typeof inv.name !== 'string' || typeof inv.run !== 'function') {
    throw new InputError(`${file}: export an invariant as the default export: { name: string, description: string, run(ctx) }`);
  }
  return { name: inv.name, description: inv.description ?? inv.name, run: inv.run.bind(inv) };
}
