/** The claims of a JWT (header.payload.signature), or null when it is not one. Signatures are not checked. */
export function jwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const JWT = /\bey[A-Za-z0-9_-]{8,}\.ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

/** Lifetimes (exp − iat, or exp − `issuedAt` when there is no iat) in seconds of the JWTs in a text. */
export function jwtLifetimes(text: string, issuedAt: number): Array<{ index: number; seconds: number }> {
  const out: Array<{ index: number; seconds: number }> = [];
  for (const m of text.matchAll(JWT)) {
    const c = jwtClaims(m[0]);
    if (!c || typeof c.exp !== 'number') continue;
    const iat = typeof c.iat === 'number' ? c.iat : issuedAt / 1000;
    out.push({ index: m.index, seconds: c.exp - iat });
  }
  return out;
}
