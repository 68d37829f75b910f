import { parseDockerfile } from '../detect/dockerfile';
import { composeServices, entry, podSpecs, rangeOf, scalar, yamlOf } from '../detect/yamlDocs';
import type { WorkspaceFile } from '../workspace';
import { lineAt, type Hit, type Rule } from './rule';

/** Why an image reference is not pinned, or null when it names a digest. */
export function unpinned(image: string): string | null {
  if (/@sha256:[0-9a-f]{64}$/i.test(image)) return null;
  const tag = /:([\w.-]+)$/.exec(image.split('/').pop() ?? '')?.[1];
  return tag === undefined ? 'no tag or digest (means :latest)' : tag === 'latest' ? 'the :latest tag' : `tag :${tag} without a digest`;
}

function dockerfile(file: WorkspaceFile): Hit[] {
  const aliases = new Set<string>();
  const hits: Hit[] = [];
  for (const i of parseDockerfile(file.text).filter((x) => x.keyword === 'FROM')) {
    const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    const image = parts[0] ?? '';
    if (parts[1]?.toLowerCase() === 'as' && parts[2]) aliases.add(parts[2].toLowerCase());
    if (!image || image === 'scratch' || image.includes('$') || aliases.has(image.toLowerCase())) continue;
    const why = unpinned(image);
    if (why) hits.push({ message: `${file.path}: FROM ${image} is not pinned (${why})`, evidence: `FROM ${image}`, at: lineAt(file.text, i.line) });
  }
  return hits;
}

function yamlImages(file: WorkspaceFile): Hit[] {
  const y = yamlOf(file);
  const images = [
    ...podSpecs(y).flatMap((p) => p.containers.map((c) => entry(c, 'image'))),
    ...composeServices(y).map((s) => entry(s.service, 'image')),
  ];
  return images.flatMap((e) => {
    const image = e ? scalar(e.value) : undefined;
    const why = typeof image === 'string' && !image.includes('$') ? unpinned(image) : null;
    return why && e ? [{ message: `${file.path}: image ${image as string} is not pinned (${why})`, evidence: `image: ${image as string}`, at: rangeOf(y, e.value) }] : [];
  });
}

export const unpinnedImage: Rule = {
  id: 'unpinned-image',
  check: 24,
  title: 'Container image not pinned by digest',
  severity: 'medium',
  remediation: 'Pin every image by digest (`image:tag@sha256:…`, find it with `docker buildx imagetools inspect image:tag`) and update it deliberately (Renovate, Dependabot).',
  files: { kinds: ['dockerfile', 'kubernetes', 'compose'], scan: (file) => (file.kind === 'dockerfile' ? dockerfile(file) : yamlImages(file)) },
};
