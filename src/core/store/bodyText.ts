import { isUtf8 } from 'node:buffer';

/**
 * Whether stored bytes read as text, and the text; binary bodies, and text that is not UTF-8 (an ISO-8859-1 page),
 * are shown and exported as base64, which keeps every byte. `cut`: the bytes stop where a cap cut the body, so a
 * character cut in two at the end says nothing about the encoding (for display; an export keeps the bytes).
 */
export function bodyAsText(data: Uint8Array, contentType: string | null | undefined, cut = false): { text: string; encoding?: 'base64' } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (isTextual(cut ? trimPartialUtf8(buf) : buf, contentType)) return { text: buf.toString('utf8') };
  return { text: buf.toString('base64'), encoding: 'base64' };
}

export function isTextual(buf: Uint8Array, contentType: string | null | undefined): boolean {
  const ct = (contentType ?? '').toLowerCase();
  // A text type says what the bytes mean, not that they are UTF-8: read as UTF-8, E9 (é in ISO-8859-1) becomes U+FFFD.
  if (/^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql|[\w.+-]+\+(json|xml)))/.test(ct)) return isUtf8(buf);
  if (/^(image|audio|video|font)\/|octet-stream|protobuf|grpc|zip|pdf/.test(ct)) return false;
  // No useful type: text if there are no control bytes and it is valid UTF-8.
  const sample = buf.subarray(0, 4096);
  for (const b of sample) if (b < 9 || (b > 13 && b < 32 && b !== 27)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.length < buf.length ? trimPartialUtf8(sample) : sample);
    return true;
  } catch {
    return false;
  }
}

function trimPartialUtf8(b: Uint8Array): Uint8Array {
  let end = b.length;
  for (let i = 0; i < 3 && end > 0 && (b[end - 1] & 0xc0) === 0x80; i++) end--;
  if (end > 0 && (b[end - 1] & 0xc0) === 0xc0) end--;
  return b.subarray(0, end);
}
