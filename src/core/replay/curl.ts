import type { ExchangeView } from '../store/queries';

// Headers curl sets itself, or that describe one connection only.
const SKIP = new Set(['host', 'content-length', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'upgrade', 'accept-encoding']);

/** POSIX shell single-quoting: safe for any byte string. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The recorded request as a curl command line. Redacted values stay redacted (the marker is sent as is), which
 * the caller should say; a binary or truncated body cannot be reproduced and is replaced by a comment.
 */
export function toCurl(ex: ExchangeView): string {
  const parts = ['curl'];
  if (ex.method !== 'GET' || ex.requestBody) parts.push('-X', shellQuote(ex.method));
  parts.push(`'${ex.url.replace(/'/g, `'\\''`)}'`); // always quoted: URLs carry ? and & more often than not
  for (const [name, value] of ex.requestHeaders) {
    if (SKIP.has(name.toLowerCase())) continue;
    parts.push('-H', shellQuote(`${name}: ${value}`));
  }
  let note = '';
  const body = ex.requestBody;
  if (body && body.size > 0) {
    if (body.encoding === 'base64' || body.truncated) note = `\n# the ${body.size}-byte ${body.encoding === 'base64' ? 'binary' : 'truncated'} request body is not reproduced`;
    else parts.push('--data-binary', shellQuote(body.text));
  }
  return parts.join(' ') + note;
}
