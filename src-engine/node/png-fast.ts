/**
 * A fast path for the PNGs image folders mostly hold: 8-bit greyscale, grey + alpha, RGB or RGBA,
 * not interlaced, no palette or transparency chunk. It returns what pngjs returns for them (8-bit
 * RGBA, the same bytes: `png-fast.test.ts` compares every filter type and colour type), and null
 * for every other PNG, which pngjs then decodes. Chunk CRCs are checked as pngjs checks them.
 *
 * NOTE (why): a streamed folder decodes every image every epoch, on the same cores that train.
 * pngjs takes ~60 µs for a 64×64 image, most of it its parser's set-up; zlib's native inflate
 * takes ~11 µs of that, and the row filters a few more. At the MNIST CNN's ~4,300 samples/s on two
 * cores the decoding thread's share of a core fell from ~0.3 to ~0.1 (docs/data.md).
 *
 * The function closes over nothing (no imports, no helper functions: a bundler that keeps names
 * wraps those in its own `__name` calls), so the decoding threads, which run a source text, embed
 * it with `decodePngFast.toString()`.
 *
 * @param inflate zlib's `inflateSync` with `maxOutputLength` (a stream that inflates past the rows throws).
 * @param crc32 zlib's `crc32` (Node ≥ 20.15); without it, null (pngjs checks the CRCs instead).
 */
export function decodePngFast(
  b: Uint8Array,
  inflate: (data: Uint8Array, maxLength: number) => Uint8Array,
  crc32: ((data: Uint8Array) => number) | undefined,
): { width: number; height: number; data: Uint8Array } | null {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (!crc32 || b.length < 57 || view.getUint32(0) !== 0x89504e47 || view.getUint32(4) !== 0x0d0a1a0a) return null;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let p = 8;
  let ended = false;
  while (p + 12 <= b.length) {
    const len = view.getUint32(p);
    const type = view.getUint32(p + 4);
    const end = p + 8 + len;
    if (end + 4 > b.length) return null;
    if (crc32(b.subarray(p + 4, end)) !== view.getUint32(end)) return null;
    if (type === 0x49484452) {
      // IHDR: width, height, bit depth 8, colour type 0/2/4/6, compression, filter and interlace 0.
      if (p !== 8 || len !== 13) return null;
      width = view.getUint32(p + 8);
      height = view.getUint32(p + 12);
      const depth = b[p + 16];
      const colour = b[p + 17];
      channels = colour === 0 ? 1 : colour === 2 ? 3 : colour === 4 ? 2 : colour === 6 ? 4 : 0;
      if (depth !== 8 || channels === 0 || b[p + 18] !== 0 || b[p + 19] !== 0 || b[p + 20] !== 0) return null;
    } else if (type === 0x49444154) {
      idat.push(b.subarray(p + 8, end));
      idatBytes += len;
    } else if (type === 0x49454e44) {
      ended = true;
      break;
    } else if (!(b[p + 4] & 0x20) || type === 0x74524e53) {
      // A critical chunk other than these (PLTE) or tRNS (transparency): pngjs's to handle.
      return null;
    }
    p = end + 4;
  }
  if (!ended || channels === 0 || width === 0 || height === 0 || idat.length === 0) return null;
  let z = idat[0];
  if (idat.length > 1) {
    z = new Uint8Array(idatBytes);
    let o = 0;
    for (const part of idat) {
      z.set(part, o);
      o += part.length;
    }
  }
  const stride = width * channels;
  const raw = inflate(z, height * (stride + 1));
  if (raw.length < height * (stride + 1)) return null;
  // Undo the row filters in place: row y's bytes follow its filter byte at y·(stride + 1), and each
  // filter reads the bytes already undone to its left and above.
  const bpp = channels;
  const line = stride + 1;
  for (let y = 0; y < height; y++) {
    const f = raw[y * line];
    const at = y * line + 1;
    const up = at - line;
    if (f === 0) continue;
    if (f === 1) {
      for (let i = bpp; i < stride; i++) raw[at + i] += raw[at + i - bpp];
    } else if (f === 2) {
      if (y > 0) for (let i = 0; i < stride; i++) raw[at + i] += raw[up + i];
    } else if (f === 3) {
      for (let i = 0; i < stride; i++) raw[at + i] += ((i >= bpp ? raw[at + i - bpp] : 0) + (y > 0 ? raw[up + i] : 0)) >> 1;
    } else if (f === 4) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? raw[at + i - bpp] : 0;
        const c = y > 0 && i >= bpp ? raw[up + i - bpp] : 0;
        const bb = y > 0 ? raw[up + i] : 0;
        const q = a + bb - c;
        const pa = Math.abs(q - a);
        const pb = Math.abs(q - bb);
        const pc = Math.abs(q - c);
        raw[at + i] += pa <= pb && pa <= pc ? a : pb <= pc ? bb : c;
      }
    } else {
      return null;
    }
  }
  // 8-bit RGBA out, row by row past the filter bytes.
  const data = new Uint8Array(width * height * 4);
  for (let y = 0, d = 0; y < height; y++) {
    let s = y * line + 1;
    if (channels === 4) {
      data.set(raw.subarray(s, s + stride), d);
      d += stride;
    } else if (channels === 3) {
      for (let x = 0; x < width; x++, s += 3, d += 4) {
        data[d] = raw[s];
        data[d + 1] = raw[s + 1];
        data[d + 2] = raw[s + 2];
        data[d + 3] = 255;
      }
    } else if (channels === 1) {
      for (let x = 0; x < width; x++, s++, d += 4) {
        const g = raw[s];
        data[d] = g;
        data[d + 1] = g;
        data[d + 2] = g;
        data[d + 3] = 255;
      }
    } else {
      for (let x = 0; x < width; x++, s += 2, d += 4) {
        const g = raw[s];
        data[d] = g;
        data[d + 1] = g;
        data[d + 2] = g;
        data[d + 3] = raw[s + 1];
      }
    }
  }
  return { width, height, data };
}
