export interface SetCookie {
  name: string;
  attributes: Map<string, string>;
}

/** Parses one Set-Cookie header value: name=value; Attr; Attr=value (attribute names lower-cased). */
export function parseSetCookie(header: string): SetCookie {
  const [pair, ...attrs] = header.split(';');
  const attributes = new Map<string, string>();
  for (const a of attrs) {
    const eq = a.indexOf('=');
    const name = (eq === -1 ? a : a.slice(0, eq)).trim().toLowerCase();
    if (name) attributes.set(name, eq === -1 ? '' : a.slice(eq + 1).trim());
  }
  return { name: pair.split('=')[0].trim(), attributes };
}

/** Seconds a cookie lives: Max-Age, else Expires relative to the response's time; null for a session cookie. */
export function cookieLifetime(c: SetCookie, responseTime: number): number | null {
  const maxAge = c.attributes.get('max-age');
  if (maxAge !== undefined && /^-?\d+$/.test(maxAge)) return Number(maxAge);
  const expires = c.attributes.get('expires');
  if (expires !== undefined) {
    const t = Date.parse(expires);
    if (!Number.isNaN(t)) return Math.round((t - responseTime) / 1000);
  }
  return null;
}
