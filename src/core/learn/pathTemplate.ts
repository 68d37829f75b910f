/**
 * Endpoint templates from concrete paths: segments that are ids (numbers, UUIDs, long hex, opaque tokens)
 * become `{param}`, so /users/42 and /users/7 are one endpoint, /users/{id}.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT = /^-?\d+$/;
const HEX = /^(?=.*\d)[0-9a-f]{12,}$/i;
const TOKEN = /^(?=.*\d)(?=.*[a-z])[A-Za-z0-9_-]{20,}$/i;

export function templateSegment(segment: string): string {
  if (INT.test(segment)) return '{id}';
  if (UUID.test(segment)) return '{uuid}';
  if (HEX.test(segment)) return '{hash}';
  if (TOKEN.test(segment)) return '{token}';
  return segment;
}

export function templatePath(path: string): string {
  return path
    .split('/')
    .map((s) => (s === '' ? s : templateSegment(s)))
    .join('/');
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
