import type { EnvVar } from '../learn/model';

const MARKER = /\[REDACTED:([0-9a-f]{8})\]/g;

/**
 * Secrets redacted at capture, filled from the environment by the same names generated tests read: learn names
 * one CHAOS_SECRET_* variable per redacted value and ends its description with the marker's hash.
 */
export class Secrets {
  private readonly _names = new Map<string, string>(); // marker hash → variable name
  readonly missing = new Set<string>();
  readonly used = new Set<string>();

  constructor(env: readonly EnvVar[], private readonly _values: NodeJS.ProcessEnv) {
    for (const e of env) {
      const hash = /\(([0-9a-f]{8})\)$/.exec(e.description)?.[1];
      if (hash) this._names.set(hash, e.name);
    }
  }

  static hasMarker(text: string): boolean {
    MARKER.lastIndex = 0;
    return MARKER.test(text);
  }

  /**
   * `text` with every marker replaced by its variable's value, or `unfilled` naming the variables (or markers)
   * that have none; only complete fills are returned.
   */
  fill(text: string): { text: string } | { unfilled: string[] } {
    const unfilled: string[] = [];
    const out = text.replace(MARKER, (marker, hash: string) => {
      const name = this._names.get(hash);
      const value = name === undefined ? undefined : this._values[name];
      if (name !== undefined && value !== undefined && value !== '') {
        this.used.add(name);
        return value;
      }
      unfilled.push(name ?? marker);
      if (name) this.missing.add(name);
      return marker;
    });
    return unfilled.length ? { unfilled } : { text: out };
  }

  /** What to tell the user about values `fill` could not fill. */
  static advice(unfilled: string[]): string {
    const names = unfilled.filter((u) => !u.startsWith('[REDACTED:'));
    const unknown = unfilled.length - names.length;
    return [names.length ? `set ${names.join(', ')}` : '', unknown ? 'no CHAOS_SECRET_* variable stands for it (an earlier response that should have produced it did not)' : '']
      .filter(Boolean).join('; ');
  }
}
