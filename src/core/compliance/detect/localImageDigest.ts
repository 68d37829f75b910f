import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseImageRef } from './imageRef';

const TIMEOUT_MS = 5_000;

/** The absolute path of `docker` (else `podman`) on PATH, or of `name` when given; null when none is installed. */
export function findImageTool(name?: string, pathEnv = process.env.PATH ?? ''): string | null {
  const names = name ? [name] : ['docker', 'podman'];
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const n of names) {
    if (path.isAbsolute(n)) return isExecutable(n) ? n : null;
    // Relative PATH entries are skipped: a workspace must not choose the program the audit runs.
    for (const dir of pathEnv.split(path.delimiter).filter((d) => path.isAbsolute(d))) {
      for (const ext of exts) if (isExecutable(path.join(dir, n + ext))) return path.join(dir, n + ext);
    }
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Asks a local container tool which registry digest it pulled `image` at (`image inspect`, RepoDigests); reads
 * only, never pulls. Undefined when the image is not there or the tool fails; `hung` is set when it timed out.
 */
export function localRepoDigest(tool: string, image: string): { digest?: string; hung?: boolean } {
  const r = spawnSync(tool, ['image', 'inspect', '--format', '{{json .RepoDigests}}', image], { timeout: TIMEOUT_MS, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') return { hung: true };
  if (r.status !== 0 || !r.stdout) return {};
  const out = r.stdout;
  const wanted = parseImageRef(image)?.repository;
  let digests: unknown;
  try {
    digests = JSON.parse(out.trim().split('\n')[0] ?? 'null');
  } catch {
    return {};
  }
  // An image tagged under several repositories has one RepoDigest each: take the one of this repository.
  for (const d of Array.isArray(digests) ? digests : []) {
    const ref = typeof d === 'string' ? parseImageRef(d) : null;
    if (ref?.digest && ref.repository === wanted) return { digest: ref.digest };
  }
  return {};
}
