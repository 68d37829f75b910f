import type { HeaderPairs } from '../capture/types';
import type { ChainUse } from '../learn/model';
import { getPointer } from './jsonPointer';

/** A response as far as chaining needs it: parsed JSON body (if any) and headers. */
export interface ChainSource {
  json: unknown;
  headers: HeaderPairs | null;
}

/** The value at `from` in a response: a JSON pointer, or `header:location` (the last path segment, an id). */
export function valueAt(res: ChainSource, from: string): string | undefined {
  if (from.startsWith('header:')) {
    const name = from.slice('header:'.length);
    const value = res.headers?.find(([n]) => n.toLowerCase() === name)?.[1];
    if (value === undefined) return undefined;
    return name === 'location' ? value.split('?')[0].split('/').filter(Boolean).pop() : value;
  }
  const v = getPointer(res.json, from);
  return v === undefined || v === null || typeof v === 'object' ? undefined : String(v);
}

/**
 * Values chained during a replay: where a recorded response produced a value later requests reused, the value the
 * replayed response produced in its place. Keyed by origin (exchange + where), as learn's chains are.
 */
export class Bindings {
  private readonly _byOrigin = new Map<string, string>();
  private readonly _byValue = new Map<string, string>();

  /** After exchange `exchangeId` was replayed: remembers what its response produced at each place in `produces`. */
  record(exchangeId: number, produces: readonly string[], recorded: ChainSource, replayed: ChainSource): void {
    for (const from of produces) {
      const next = valueAt(replayed, from);
      if (next === undefined) continue;
      this._byOrigin.set(`${exchangeId} ${from}`, next);
      const before = valueAt(recorded, from);
      if (before !== undefined && before !== next) this._byValue.set(before, next);
    }
  }

  /** The replayed value for a chained use, or undefined when its origin produced none (it failed, or changed shape). */
  lookup(use: ChainUse): string | undefined {
    return this._byOrigin.get(`${use.origin.exchangeId} ${use.origin.from}`);
  }

  /** The replayed value that stands for a recorded one (e.g. a created id), if any. */
  valueFor(recorded: string): string | undefined {
    return this._byValue.get(recorded);
  }

  /** Recorded → replayed pairs, for comparing texts that mention a chained value ("user 4 not found"). */
  pairs(): Array<[string, string]> {
    return [...this._byValue.entries()];
  }
}
