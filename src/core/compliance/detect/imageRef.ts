/** An image reference split as docker reads it, with Docker Hub's defaults filled in (`nginx` = docker.io/library/nginx:latest). */
export interface ImageRef {
  /** registry/repository, normalised: docker.io/library/nginx. */
  repository: string;
  tag: string;
  digest?: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/i;

/** The parts of `ref`, or null when it is not a plain reference (variables, empty). */
export function parseImageRef(ref: string): ImageRef | null {
  const [nameTag, digest, extra] = ref.trim().split('@');
  if (!nameTag || extra !== undefined || /[\s$"'{}]/.test(nameTag) || (digest !== undefined && !DIGEST.test(digest))) return null;
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  const [name, tag] = colon > slash ? [nameTag.slice(0, colon), nameTag.slice(colon + 1)] : [nameTag, 'latest'];
  const parts = name.split('/');
  const hasRegistry = parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost');
  let registry = hasRegistry ? parts.shift()! : 'docker.io';
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  return { repository: `${registry}/${parts.join('/')}`.toLowerCase(), tag, ...(digest ? { digest: digest.toLowerCase() } : {}) };
}

/** repository:tag, the key under which two references name the same tagged image. */
export function tagKey(ref: ImageRef): string {
  return `${ref.repository}:${ref.tag}`;
}
