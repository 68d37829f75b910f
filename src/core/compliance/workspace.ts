import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';

export type FileKind = 'dockerfile' | 'compose' | 'kubernetes' | 'nginx' | 'env' | 'config' | 'log' | 'logrotate';

export interface WorkspaceFile {
  /** Relative to the workspace, with forward slashes. */
  path: string;
  kind: FileKind;
  text: string;
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.chaos', 'dist', 'out', 'build', 'coverage', '.venv', 'venv', 'vendor', 'target', '__pycache__', '.next']);
const MAX_FILE_BYTES = 1024 * 1024;

/** What kind of file this is for the audit, by name (and, for YAML, by content); null = not audited. */
export function classify(rel: string, text: () => string): FileKind | null {
  const base = path.posix.basename(rel).toLowerCase();
  if (base === 'dockerfile' || base.startsWith('dockerfile.') || base.endsWith('.dockerfile')) return 'dockerfile';
  if (/^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/.test(base)) return 'compose';
  if (base === '.env' || base.startsWith('.env.') || base.endsWith('.env')) return 'env';
  if (base === 'nginx.conf' || (base.endsWith('.conf') && /(^|\/)(nginx|conf\.d|sites-(enabled|available))\//.test(rel))) return 'nginx';
  if (base.endsWith('.log')) return 'log';
  if (base === 'logrotate.conf' || /(^|\/)logrotate\.d\/[^/]+$/.test(rel)) return 'logrotate';
  if (/\.ya?ml$/.test(base)) {
    const t = text();
    if (/^apiVersion:/m.test(t) && /^kind:/m.test(t)) return 'kubernetes';
    return /^(application|config|settings|appsettings|secrets?)([.-][\w-]+)?\.ya?ml$/.test(base) ? 'config' : null;
  }
  if (/^(application|config|settings|appsettings|secrets?)([.-][\w-]+)?\.(json|properties|ini|toml)$/.test(base) || base.endsWith('.properties')) return 'config';
  return null;
}

/** The audited files under `root`, in path order; at most `maxFiles` directory entries are visited. */
export function readWorkspace(root: string, maxFiles = 50_000): WorkspaceFile[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch {
    throw new InputError(`no workspace folder at ${root}: pass --workspace DIR (a folder with Dockerfiles, Kubernetes YAML, nginx conf, .env...)`);
  }
  if (!stat.isDirectory()) throw new InputError(`--workspace ${root} is not a folder: pass the project's root folder`);
  const out: WorkspaceFile[] = [];
  const stack = [''];
  let visited = 0;
  while (stack.length && visited < maxFiles) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, dir), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++visited > maxFiles) break;
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) stack.push(rel);
        continue;
      }
      if (!e.isFile()) continue;
      const full = path.join(root, rel);
      let text: string | undefined;
      const read = (): string => (text ??= fs.statSync(full).size > MAX_FILE_BYTES ? '' : fs.readFileSync(full, 'utf8'));
      const kind = classify(rel, read);
      if (kind) out.push({ path: rel, kind, text: read() });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
