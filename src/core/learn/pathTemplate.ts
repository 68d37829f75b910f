/**
 * Endpoint templates from concrete paths: segments that are ids (numbers, UUIDs, long hex, opaque tokens)
 * become parameters named from the segment before them, so /users/42 and /users/7 are one endpoint,
 * /users/{userId}. A parameter with no usable name before it is {id} (then {id2}, ...).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT = /^-?\d+$/;
const HEX = /^(?=.*\d)[0-9a-f]{12,}$/i;
const TOKEN = /^(?=.*\d)(?=.*[a-z])[A-Za-z0-9_-]{20,}$/i;
/** A calendar date (2024-05-01): a value of the path, like an id, but named {date}. */
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** True when a path segment is an identifier rather than a fixed word. */
export function isIdSegment(segment: string): boolean {
  return INT.test(segment) || UUID.test(segment) || HEX.test(segment) || TOKEN.test(segment);
}

/** users → user, categories → category, addresses → address, status → status. */
export function singular(word: string): string {
  if (/ies$/i.test(word)) return word.slice(0, -3) + 'y';
  if (/(ss|us|is)$/i.test(word)) return word;
  if (/(ss|sh|ch|x|z|us)es$/i.test(word)) return word.slice(0, -2);
  if (/s$/i.test(word)) return word.slice(0, -1);
  return word;
}

/** lowerCamelCase of a path word: user-profiles → userProfile. */
function camel(word: string): string {
  const parts = word.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return parts.map((p, i) => (i === 0 ? p.charAt(0).toLowerCase() + p.slice(1) : p.charAt(0).toUpperCase() + p.slice(1))).join('');
}

function paramName(previous: string | undefined, taken: Set<string>, date = false): string {
  let base = date ? 'date' : previous && !isIdSegment(previous) && /^[A-Za-z]/.test(previous) ? `${camel(singular(previous))}Id` : 'id';
  if (base === 'Id') base = 'id';
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}${n}`;
  taken.add(name);
  return name;
}

export function templatePath(path: string): string {
  const segments = path.split('/');
  const taken = new Set<string>();
  return segments
    .map((s, i) => (s === '' ? s : isIdSegment(s) ? `{${paramName(segments[i - 1], taken)}}` : DATE.test(s) ? `{${paramName(segments[i - 1], taken, true)}}` : s))
    .join('/');
}

/** The parameter names of a template, in order: /users/{userId}/orders/{orderId} → [userId, orderId]. */
export function templateParams(template: string): string[] {
  return [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
}

export interface EndpointCount {
  method: string;
  template: string;
  protocol: string;
  count: number;
  statuses: number[];
}

/** Merges (method, path) counts into (method, template) counts, most used first. */
export function groupEndpoints(rows: Array<{ method: string; path: string; protocol: string; count: number; statuses: string }>): EndpointCount[] {
  const byKey = new Map<string, EndpointCount>();
  for (const r of rows) {
    const template = r.protocol === 'tunnel' ? r.path : templatePath(r.path);
    const key = `${r.method} ${template} ${r.protocol}`;
    let e = byKey.get(key);
    if (!e) {
      e = { method: r.method, template, protocol: r.protocol, count: 0, statuses: [] };
      byKey.set(key, e);
    }
    e.count += r.count;
    for (const s of r.statuses.split(',').filter(Boolean).map(Number)) if (!e.statuses.includes(s)) e.statuses.push(s);
  }
  const out = [...byKey.values()];
  for (const e of out) e.statuses.sort((a, b) => a - b);
  return out.sort((a, b) => b.count - a.count || a.template.localeCompare(b.template) || a.method.localeCompare(b.method));
}
