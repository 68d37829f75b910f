import * as zlib from 'node:zlib';

/**
 * Removes Content-Encoding for storage. A truncated body decodes as far as its bytes go (sync flush), so the
 * stored prefix is readable. Unknown or broken encodings keep the wire bytes and say so.
 */
export function decodeBody(data: Uint8Array, contentEncoding: string | undefined): { data: Uint8Array; decoded: boolean } {
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (!enc || enc === 'identity' || data.length === 0) return { data, decoded: false };
  try {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (enc === 'gzip' || enc === 'x-gzip') return { data: zlib.gunzipSync(buf, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), decoded: true };
    if (enc === 'deflate') {
      try {
        return { data: zlib.inflateSync(buf, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), decoded: true };
      } catch {
        // Some servers send raw deflate without the zlib wrapper.
        return { data: zlib.inflateRawSync(buf, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), decoded: true };
      }
    }
    if (enc === 'br') return { data: zlib.brotliDecompressSync(buf, { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }), decoded: true };
  } catch {
    // keep the wire bytes
  }
  return { data, decoded: false };
}
