import { InputError, NameInUseError } from '../errors';
import { copyToxic, isHttpToxic, parseToxic, pathMatcher, updateToxic, type Toxic } from './toxics';

/** A live toxic with its match compiled once, at add time. */
export interface ToxicEntry {
  readonly toxic: Toxic;
  /** null: applies to every request (or connection). */
  readonly matches: ((method: string, path: string) => boolean) | null;
}

/**
 * The toxics of one proxy, in the order they were added. `entries` is replaced on every change (never mutated), so
 * a request or connection that took it keeps a consistent chain while toxics come and go.
 */
export class ToxicList {
  entries: readonly ToxicEntry[] = [];

  /** `kind` says which toxics fit: a TCP proxy has no requests to match and no HTTP to understand. */
  constructor(private readonly _kind: 'tcp' | 'http') {}

  /** Validates and adds a toxic; a duplicate name, or an HTTP-only toxic on a TCP proxy, is an InputError. */
  add(input: unknown, proxyName: string): Toxic {
    const toxic = this._fits(parseToxic(input), proxyName);
    if (this.entries.some((e) => e.toxic.name === toxic.name)) throw new NameInUseError(`toxic '${toxic.name}' already exists on proxy '${proxyName}'`);
    this.entries = [...this.entries, { toxic, matches: compileMatch(toxic) }];
    return copyToxic(toxic);
  }

  /**
   * Changes a toxic in its place in the chain (see updateToxic); returns the entry it replaced and the new one, or
   * undefined when there is no toxic of that name. A bad update is an InputError and changes nothing.
   */
  update(name: string, input: unknown, proxyName: string): { before: ToxicEntry; after: ToxicEntry } | undefined {
    const i = this.entries.findIndex((e) => e.toxic.name === name);
    if (i < 0) return undefined;
    const before = this.entries[i];
    const toxic = this._fits(updateToxic(before.toxic, input), proxyName);
    const after = { toxic, matches: compileMatch(toxic) };
    this.entries = this.entries.map((e, j) => (j === i ? after : e));
    return { before, after };
  }

  /** A TCP proxy has no requests to match and no HTTP to understand: an HTTP toxic or a match is refused there. */
  private _fits(toxic: Toxic, proxyName: string): Toxic {
    if (this._kind === 'tcp' && isHttpToxic(toxic.type)) throw new InputError(`toxic '${toxic.name}': ${toxic.type} needs an HTTP proxy; proxy '${proxyName}' is a TCP proxy`);
    if (this._kind === 'tcp' && toxic.match) throw new InputError(`toxic '${toxic.name}': match (method, path) needs an HTTP proxy; proxy '${proxyName}' is a TCP proxy`);
    return toxic;
  }

  remove(name: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.toxic.name !== name);
    return this.entries.length !== before;
  }

  clear(): void {
    this.entries = [];
  }

  list(): Toxic[] {
    return this.entries.map((e) => copyToxic(e.toxic));
  }
}

function compileMatch(toxic: Toxic): ToxicEntry['matches'] {
  const m = toxic.match;
  if (!m) return null;
  const path = m.path === undefined ? null : pathMatcher(m.path);
  const method = m.method ?? null;
  return (reqMethod, reqPath) => (method === null || reqMethod === method) && (path === null || path(reqPath));
}
