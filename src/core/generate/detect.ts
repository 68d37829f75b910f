import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIALECTS } from './dialects';
import type { Dialect } from './dialect';

/** Files that say which language a project is written in, and the framework to pick for it. */
const MARKERS: Array<{ files: string[]; dialect: string }> = [
  { files: ['pyproject.toml', 'requirements.txt', 'setup.py', 'setup.cfg', 'Pipfile'], dialect: 'python-pytest' },
  { files: ['go.mod'], dialect: 'go-testing' },
  { files: ['Cargo.toml'], dialect: 'rust-ureq' },
  { files: ['pom.xml', 'build.gradle', 'build.gradle.kts'], dialect: 'java-junit5' },
  { files: ['package.json'], dialect: 'typescript-vitest' },
];

/**
 * The dialects in the order a project's files suggest them (a package.json that uses node:test but not vitest
 * prefers node:test), followed by every other one.
 */
export function detectDialects(folder: string): Dialect[] {
  const preferred: string[] = [];
  for (const m of MARKERS) if (m.files.some((f) => fs.existsSync(path.join(folder, f)))) preferred.push(m.dialect);
  const pkg = path.join(folder, 'package.json');
  if (preferred.includes('typescript-vitest') && fs.existsSync(pkg)) {
    try {
      const json = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { devDependencies?: Record<string, string>; dependencies?: Record<string, string>; scripts?: Record<string, string> };
      const deps = { ...json.dependencies, ...json.devDependencies };
      if (!deps.vitest && /node (--\S+ )*--test/.test(Object.values(json.scripts ?? {}).join(' '))) preferred.splice(preferred.indexOf('typescript-vitest'), 1, 'typescript-node');
    } catch {
      // an unreadable package.json says nothing more
    }
  }
  const byId = new Map(DIALECTS.map((d) => [d.id, d]));
  const out = preferred.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
  for (const d of DIALECTS) if (!out.includes(d)) out.push(d);
  return out;
}

/** The dialect the project's own files point to (a marker file such as pyproject.toml or go.mod), or none. */
export function suggestedDialect(folder: string): Dialect | undefined {
  if (!MARKERS.some((m) => m.files.some((f) => fs.existsSync(path.join(folder, f))))) return undefined;
  return detectDialects(folder)[0];
}
