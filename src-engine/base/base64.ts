/**
 * Base64 (RFC 4648, with padding) of bytes, without Buffer or atob: the engine also runs in
 * browsers and workers. Used by checkpoints and model files (float32 tensors) and by messages that
 * carry file bytes through JSON-only paths (web mode's browser → host socket).
 */
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const INDEX = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64.length; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

const CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));
/** Output characters decoded to text at a time (a multiple of 4). */
const TEXT_CHUNK = 1 << 20;

/**
 * Base64 of `bytes`.
 * NOTE: the characters are written as ASCII codes into bytes and decoded to text a megabyte at a
 * time: appending four one-character strings per three bytes ran at about 5 MB/s, so a 32 MB
 * model (densenet121) took six seconds to encode.
 */
export function bytesToBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(base64Length(bytes.length));
  base64Into(bytes, out, 0);
  const text = new TextDecoder();
  const parts: string[] = [];
  for (let k = 0; k < out.length; k += TEXT_CHUNK) parts.push(text.decode(out.subarray(k, k + TEXT_CHUNK)));
  return parts.join('');
}

/** How many characters base64 (with padding) takes for `n` bytes. */
export const base64Length = (n: number): number => Math.ceil(n / 3) * 4;

/**
 * Write the base64 of `bytes` as ASCII codes into `out` from `at` (which must have
 * `base64Length(bytes.length)` bytes free there); returns the offset after it. Lets a writer put a
 * tensor's text straight into the file's bytes, with no string of it in between.
 */
export function base64Into(bytes: Uint8Array, out: Uint8Array, at: number): number {
  let o = at;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = CODES[n >> 18];
    out[o++] = CODES[(n >> 12) & 63];
    out[o++] = CODES[(n >> 6) & 63];
    out[o++] = CODES[n & 63];
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i] << 16) | (rest === 2 ? bytes[i + 1] << 8 : 0);
    out[o++] = CODES[n >> 18];
    out[o++] = CODES[(n >> 12) & 63];
    out[o++] = rest === 2 ? CODES[(n >> 6) & 63] : 61;
    out[o++] = 61;
  }
  return o;
}

/** The bytes of base64 text; throws on a character outside the alphabet (padding `=` only at the end). */
export function base64ToBytes(s: string): Uint8Array {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61) end--;
  const bytes = new Uint8Array(Math.floor((end * 3) / 4));
  const at = (i: number): number => {
    if (i >= end) return 0;
    const c = s.charCodeAt(i);
    const v = c < 128 ? INDEX[c] : -1;
    if (v < 0) throw new Error(`invalid base64 character at ${i}`);
    return v;
  };
  let o = 0;
  let i = 0;
  // Whole quads, unchecked one by one: a character outside the alphabet makes the OR negative.
  for (; i + 4 <= end && o + 3 <= bytes.length; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 128) break;
    const a0 = INDEX[c0];
    const a1 = INDEX[c1];
    const a2 = INDEX[c2];
    const a3 = INDEX[c3];
    if ((a0 | a1 | a2 | a3) < 0) break;
    const n = (a0 << 18) | (a1 << 12) | (a2 << 6) | a3;
    bytes[o++] = n >> 16;
    bytes[o++] = (n >> 8) & 255;
    bytes[o++] = n & 255;
  }
  for (; i < end; i += 4) {
    const n = (at(i) << 18) | (at(i + 1) << 12) | (at(i + 2) << 6) | at(i + 3);
    if (o < bytes.length) bytes[o++] = n >> 16;
    if (o < bytes.length) bytes[o++] = (n >> 8) & 255;
    if (o < bytes.length) bytes[o++] = n & 255;
  }
  return bytes;
}
