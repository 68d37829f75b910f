import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The top of the git repository holding `dir` (a .git directory, or the .git file of a worktree), if any. */
export function gitRoot(dir: string): string | undefined {
  for (let d = path.resolve(dir), i = 0; i < 100; d = path.dirname(d), i++) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
  return undefined;
}

/**
 * Makes sure git ignores `dir` (the CA directory, which holds a private key): when it is inside a git repository and
 * not ignored yet, appends it to the repository's top-level .gitignore. Returns the .gitignore path when it changed
 * it. Never stages or commits anything; a .gitignore that cannot be written is left as it is.
 */
export function ensureGitIgnored(dir: string): string | undefined {
  const root = gitRoot(dir);
  if (!root) return undefined;
  const rel = path.relative(root, path.resolve(dir)).split(path.sep).join('/');
  if (!rel || rel.startsWith('..')) return undefined;
  if (isIgnored(root, rel)) return undefined;
  const file = path.join(root, '.gitignore');
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // no .gitignore yet
  }
  const sep = text && !text.endsWith('\n') ? '\n' : '';
  try {
    fs.writeFileSync(file, `${text}${sep}# Chaos Testing local CA (private key): never commit\n/${rel}/\n`);
  } catch {
    return undefined;
  }
  return file;
}

function isIgnored(root: string, rel: string): boolean {
  // A file inside the directory: git answers for paths that do not exist yet, and for ignored parent directories.
  const r = spawnSync('git', ['check-ignore', '-q', '--no-index', `${rel}/ca.key`], { cwd: root, stdio: 'ignore', timeout: 10_000 });
  if (r.status === 0) return true;
  if (r.status === 1) return false;
  return textMentions(root, rel);
}

/** Without git: does the top-level .gitignore name the directory or one of its parents? */
function textMentions(root: string, rel: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(path.join(root, '.gitignore'), 'utf8');
  } catch {
    return false;
  }
  const parts = rel.split('/');
  const wanted = new Set<string>();
  for (let i = 1; i <= parts.length; i++) {
    const p = parts.slice(0, i).join('/');
    for (const v of [p, `/${p}`, `${p}/`, `/${p}/`, `${p}/*`, `/${p}/*`, `${p}/**`, `/${p}/**`]) wanted.add(v);
  }
  return text.split(/\r?\n/).some((line) => wanted.has(line.trim()));
}
