import type { HeaderPairs } from '../../capture/types';

/** Headers that carry an API key or token (besides Authorization and Cookie). */
const KEY_HEADER = /^(x-)?(api[-_]?key|auth[-_]?token|access[-_]?token|session[-_]?token|x-token)$/i;
const SESSION_COOKIE = /sess|sid|token|auth|jwt|login/i;

/**
 * Who a request speaks as: the Authorization value, an API-key header, or the session cookies, as sent (raw, or
 * the capture's `[REDACTED:hmac]` marker, stable per value); null when the request carries no credentials.
 */
export function credentialOf(headers: HeaderPairs): string | null {
  for (const [k, v] of headers) if (k.toLowerCase() === 'authorization' && v.trim()) return `authorization ${v.trim()}`;
  for (const [k, v] of headers) if (KEY_HEADER.test(k) && v.trim()) return `${k.toLowerCase()} ${v.trim()}`;
  const cookies = headers.filter(([k]) => k.toLowerCase() === 'cookie').flatMap(([, v]) => v.split(';').map((c) => c.trim()).filter(Boolean));
  if (!cookies.length) return null;
  const session = cookies.filter((c) => SESSION_COOKIE.test(c.split('=')[0]));
  return `cookie ${(session.length ? session : cookies).sort().join('; ')}`;
}
