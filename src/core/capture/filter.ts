import picomatch from 'picomatch';

/**
 * Which requests are stored. Everything is forwarded; `--exclude` globs (health checks, static assets) keep
 * paths out of the store, and `--include` globs, when given, are the only paths stored. Exclude wins.
 */
export type PathFilter = (pathname: string) => boolean;

/** The filter when no globs are given: every path is stored (the proxy then skips reading the path). */
export const RECORD_ALL: PathFilter = () => true;

export function pathFilter(include: string[] = [], exclude: string[] = []): PathFilter {
  if (!include.length && !exclude.length) return RECORD_ALL;
  const opts = { dot: true };
  const inc = include.length ? picomatch(include, opts) : null;
  const exc = exclude.length ? picomatch(exclude, opts) : null;
  return (pathname) => !(exc && exc(pathname)) && (!inc || inc(pathname));
}

/** The path part of a request target: origin-form (`/a?b`) or absolute-form (`http://h/a?b`). */
export function pathnameOf(requestTarget: string): string {
  let start = 0;
  if (requestTarget[0] !== '/') {
    const scheme = requestTarget.indexOf('://');
    if (scheme >= 0) {
      const slash = requestTarget.indexOf('/', scheme + 3);
      if (slash < 0) return '/';
      start = slash;
    }
  }
  const q = requestTarget.indexOf('?', start);
  return q < 0 ? requestTarget.slice(start) : requestTarget.slice(start, q);
}
