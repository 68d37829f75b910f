/** RFC 6901 JSON pointers over parsed JSON: read a value, replace a value in place. */

function tokens(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at `pointer`, or undefined when the path does not exist. */
export function getPointer(value: unknown, pointer: string): unknown {
  let cur = value;
  for (const t of tokens(pointer)) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, t)) return undefined;
    cur = (cur as Record<string, unknown>)[t];
  }
  return cur;
}

/** Replaces the value at an existing `pointer` (not the root); returns false when the path does not exist. */
export function setPointer(value: unknown, pointer: string, next: unknown): boolean {
  const path = tokens(pointer);
  const last = path.pop();
  if (last === undefined) return false;
  const parent = getPointer(value, path.length ? `/${path.map((t) => t.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` : '');
  if (parent === null || typeof parent !== 'object' || !Object.prototype.hasOwnProperty.call(parent, last)) return false;
  (parent as Record<string, unknown>)[last] = next;
  return true;
}

/** Applies `fn` to every string in a JSON value (a new value; the input is not changed). */
export function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  return value;
}

/** Parsed JSON of a body, or undefined when it is not JSON (or was truncated, or is binary). */
export function jsonOf(body: { text: string; encoding?: string; truncated: boolean; contentType: string | null } | null): unknown {
  if (!body || body.encoding || body.truncated || !body.text) return undefined;
  if (!/json/i.test(body.contentType ?? '') && !/^\s*[[{]/.test(body.text)) return undefined;
  try {
    return JSON.parse(body.text) as unknown;
  } catch {
    return undefined;
  }
}
