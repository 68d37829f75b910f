import { parseDockerfile } from '../detect/dockerfile';
import { composeServices, entry, podSpecs, rangeOf, scalar, yamlOf } from '../detect/yamlDocs';
import type { WorkspaceFile } from '../workspace';
import { lineAt, type Hit, type Rule, type WorkspaceFacts } from './rule';

/** Why an image reference is not pinned, or null when it names a digest. */
export function unpinned(image: string): string | null {
  if (/@sha256:[0-9a-f]{64}$/i.test(image)) return null;
  const tag = /:([\w.-]+)$/.exec(image.split('/').pop() ?? '')?.[1];
  return tag === undefined ? 'no tag or digest (means :latest)' : tag === 'latest' ? 'the :latest tag' : `tag :${tag} without a digest`;
}

/**
 * Replaces `image` on line `from`..`to` of the text with `image@sha256:…` when the digest of that tag is known;
 * undefined otherwise (the digest is never guessed offline).
 */
function pinFix(file: WorkspaceFile, image: string, from: number, to: number, facts: WorkspaceFacts): Hit['fix'] {
  const known = facts.digestOf(image);
  if (!known) return undefined;
  const lines = file.text.split(/\r?\n/);
  const esc = image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const token = new RegExp(`(^|[\\s"'=])${esc}(?=$|[\\s"'#,}])`);
  for (let n = from; n <= to && n <= lines.length; n++) {
    const m = token.exec(lines[n - 1]);
    if (!m) continue;
    const at = m.index + m[1].length;
    const replace = `${lines[n - 1].slice(0, at)}${image}@${known.digest}${lines[n - 1].slice(at + image.length)}`;
    return { line: n, replace, description: `pin ${image} to ${known.digest.slice(0, 19)}… (${known.source})` };
  }
  return undefined;
}

function dockerfile(file: WorkspaceFile, facts: WorkspaceFacts): Hit[] {
  const aliases = new Set<string>();
  const hits: Hit[] = [];
  for (const i of parseDockerfile(file.text).filter((x) => x.keyword === 'FROM')) {
    const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    const image = parts[0] ?? '';
    if (parts[1]?.toLowerCase() === 'as' && parts[2]) aliases.add(parts[2].toLowerCase());
    if (!image || image === 'scratch' || image.includes('$') || aliases.has(image.toLowerCase())) continue;
    const why = unpinned(image);
    if (why) hits.push({ message: `${file.path}: FROM ${image} is not pinned (${why})`, evidence: `FROM ${image}`, at: lineAt(file.text, i.line), fix: pinFix(file, image, i.line, i.endLine, facts) });
  }
  return hits;
}

function yamlImages(file: WorkspaceFile, facts: WorkspaceFacts): Hit[] {
  const y = yamlOf(file);
  const images = [
    ...podSpecs(y).flatMap((p) => p.containers.map((c) => entry(c, 'image'))),
    ...composeServices(y).map((s) => entry(s.service, 'image')),
  ];
  return images.flatMap((e) => {
    const image = e ? scalar(e.value) : undefined;
    const why = typeof image === 'string' && !image.includes('$') ? unpinned(image) : null;
    if (!why || !e) return [];
    const at = rangeOf(y, e.value);
    return [{ message: `${file.path}: image ${image as string} is not pinned (${why})`, evidence: `image: ${image as string}`, at, fix: pinFix(file, image as string, at.line, at.endLine ?? at.line, facts) }];
  });
}

export const unpinnedImage: Rule = {
  id: 'unpinned-image',
  check: 24,
  title: 'Container image not pinned by digest',
  severity: 'medium',
  remediation: 'Pin every image by digest (`image:tag@sha256:…`, find it with `docker buildx imagetools inspect image:tag`) and update it deliberately (Renovate, Dependabot). The quick fix pins it when the workspace already pins that tag elsewhere, or a local docker/podman has pulled it.',
  files: { kinds: ['dockerfile', 'kubernetes', 'compose'], scan: (file, _now, facts) => (file.kind === 'dockerfile' ? dockerfile(file, facts) : yamlImages(file, facts)) },
};
