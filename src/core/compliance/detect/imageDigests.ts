import type { WorkspaceFile } from '../workspace';
import { parseDockerfile } from './dockerfile';
import { parseImageRef, tagKey } from './imageRef';
import { findImageTool, localRepoDigest } from './localImageDigest';
import { composeServices, entry, mapsIn, podSpecs, rangeOf, scalar, yamlOf } from './yamlDocs';

/** A digest for a tagged image, and where it was learnt ('pinned at k8s/good.yaml:12', 'pulled by the local docker'). */
export interface KnownDigest {
  digest: string;
  source: string;
}

/** Local tool look-ups per audit at most: a fix is a convenience, never worth a long audit. */
const MAX_LOOKUPS = 50;

/**
 * Digests the workspace already knows for tagged images: every `image:tag@sha256:…` in a Dockerfile FROM, a compose
 * service, a Kubernetes container or a Carvel ImagesLock (kbld's `--imgpkg-lock-output`, imgpkg's
 * `.imgpkg/images.yml`), then what a local docker or podman pulled. Two different digests for one tag = no answer.
 */
export class ImageDigests {
  private _pins = new Map<string, KnownDigest | null>();
  private _local = new Map<string, KnownDigest | undefined>();
  private _lookups = 0;

  /** `tool`: null = never ask a local tool; undefined = docker, else podman, when on PATH; a name = that one. */
  constructor(files: WorkspaceFile[], private readonly _tool: string | null | undefined = undefined) {
    for (const f of files) for (const [ref, line] of pinsIn(f)) this._learn(ref, `pinned at ${f.path}:${line}`);
  }

  lookup(image: string): KnownDigest | undefined {
    const ref = parseImageRef(image);
    if (!ref || ref.digest) return undefined;
    const pinned = this._pins.get(tagKey(ref));
    if (pinned !== undefined) return pinned ?? undefined;
    return this._fromLocalTool(image);
  }

  private _learn(ref: string, source: string): void {
    const r = parseImageRef(ref);
    if (!r?.digest) return;
    const key = tagKey(r);
    const seen = this._pins.get(key);
    if (seen === undefined) this._pins.set(key, { digest: r.digest, source });
    else if (seen && seen.digest !== r.digest) this._pins.set(key, null);
  }

  private _fromLocalTool(image: string): KnownDigest | undefined {
    if (this._local.has(image)) return this._local.get(image);
    const tool = this._tool === null || this._lookups >= MAX_LOOKUPS ? null : findImageTool(this._tool);
    if (!tool) return undefined;
    this._lookups++;
    const r = localRepoDigest(tool, image);
    if (r.hung) this._lookups = MAX_LOOKUPS; // a daemon that does not answer will not answer the next one either
    const known = r.digest ? { digest: r.digest, source: `pulled by the local ${tool.split(/[\\/]/).pop()!.replace(/\.(exe|cmd)$/, '')}` } : undefined;
    this._local.set(image, known);
    return known;
  }
}

/** [image reference with a digest, 1-based line] pairs in a file. */
function pinsIn(file: WorkspaceFile): Array<[string, number]> {
  if (file.kind === 'dockerfile') {
    return parseDockerfile(file.text).filter((i) => i.keyword === 'FROM').map((i) => [i.args.split(/\s+/).find((p) => !p.startsWith('--')) ?? '', i.line]);
  }
  if (file.kind !== 'kubernetes' && file.kind !== 'compose') return [];
  const y = yamlOf(file);
  const out: Array<[string, number]> = [];
  const add = (node: ReturnType<typeof entry>, ref?: unknown): void => {
    const v = ref ?? scalar(node?.value);
    if (typeof v === 'string' && node) out.push([v, rangeOf(y, node.value).line]);
  };
  for (const p of podSpecs(y)) for (const c of p.containers) add(entry(c, 'image'));
  for (const s of composeServices(y)) add(entry(s.service, 'image'));
  for (const doc of y.docs.filter((d) => d.get('kind') === 'ImagesLock')) {
    for (const img of mapsIn(doc.get('images', true))) {
      // The lock names the resolved reference (registry/repo@sha256:…) and the tag it came from (kbld.carvel.dev/id).
      const resolved = parseImageRef(String(scalar(entry(img, 'image')?.value) ?? ''));
      const id = parseImageRef(String(img.getIn(['annotations', 'kbld.carvel.dev/id']) ?? ''));
      if (resolved?.digest && id && !id.digest && id.repository === resolved.repository) add(entry(img, 'image'), `${id.repository}:${id.tag}@${resolved.digest}`);
    }
  }
  return out;
}
