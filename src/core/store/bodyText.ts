/** Whether stored bytes read as text, and the text; binary bodies are shown and exported as base64. */
export function bodyAsText(data: Uint8Array, contentType: string | null | undefined): { text: string; encoding?: 'base64' } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (isTextual(buf, contentType)) return { text: buf.toString('utf8') };
  return { text: buf.toString('base64'), encoding: 'base64' };
}

export function isTextual(buf: Uint8Array, contentType: string | null | undefined): boolean {
  const ct = (contentType ?? '').toLowerCase();
  if (/^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql|[\w.+-]+\+(json|xml)))/.test(ct)) return true;
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
