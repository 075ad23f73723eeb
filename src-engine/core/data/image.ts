import { DATA_LIMITS } from './types';

/** What an image file's header says, read before anything is decoded. */
export interface ImageHeader {
  format: 'png' | 'jpeg' | 'webp';
  width: number;
  height: number;
  /** Whether the image has colour (PNG colour types 2, 3, 6; JPEG with 3 or 4 components; every WebP). */
  colour: boolean;
}

/** Decoded pixels: 8-bit RGBA, row-major (what every decoder in node/image-decoders.ts returns). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Read an image's format and size from its first bytes (PNG's IHDR, JPEG's start-of-frame, WebP's
 * VP8/VP8L/VP8X chunk), or say why it cannot be used. Nothing is decoded: a decompression bomb (a
 * small file declaring 40,000 × 40,000 pixels) is refused here, before any pixel buffer exists.
 *
 * @returns the header, or a reason string for the skip list.
 */
export function readImageHeader(bytes: Uint8Array, maxPixels: number = DATA_LIMITS.maxImagePixels): ImageHeader | string {
  const header = sniffImage(bytes);
  if (typeof header === 'string') return header;
  if (header.width < 1 || header.height < 1) return `declares a size of ${header.width} × ${header.height}`;
  if (header.width * header.height > maxPixels) {
    return `declares ${header.width} × ${header.height} pixels, over the limit of ${maxPixels.toLocaleString('en-US')} (refused before decoding)`;
  }
  return header;
}

/**
 * An image file's format, size and colour from its signature and first header, or why not. It
 * closes over nothing, so the decoding threads run its source text (node/image-stream.ts) to
 * check a file again before they decode it.
 */
export function sniffImage(b: Uint8Array): ImageHeader | string {
  const u32be = (o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  const ascii = (o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));
  if (b.length === 0) return 'empty file (0 bytes)';
  if (b[0] === 0x89 && ascii(1, 3) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) {
    // Signature, then the IHDR chunk: length, "IHDR", width, height, bit depth, colour type.
    if (b.length < 33) return 'truncated PNG (no complete header)';
    if (ascii(12, 4) !== 'IHDR') return 'damaged PNG (the first chunk is not IHDR)';
    const colourType = b[25];
    if (![0, 2, 3, 4, 6].includes(colourType)) return `damaged PNG (colour type ${colourType})`;
    return { format: 'png', width: u32be(16), height: u32be(20), colour: colourType === 2 || colourType === 3 || colourType === 6 };
  }
  if (b[0] === 0xff && b[1] === 0xd8) {
    let o = 2;
    // Walk the marker segments up to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC).
    while (o + 4 <= b.length) {
      if (b[o] !== 0xff) return 'damaged JPEG (bad marker)';
      const marker = b[o + 1];
      if (marker === 0xff) {
        o++;
        continue;
      }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        o += 2;
        continue;
      }
      const len = (b[o + 2] << 8) | b[o + 3];
      if (len < 2) return 'damaged JPEG (bad segment length)';
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        if (o + 10 > b.length) break;
        return { format: 'jpeg', width: (b[o + 7] << 8) | b[o + 8], height: (b[o + 5] << 8) | b[o + 6], colour: b[o + 9] >= 3 };
      }
      if (marker === 0xd9 || marker === 0xda) return 'damaged JPEG (no frame header before the image data)';
      o += 2 + len;
    }
    return 'truncated JPEG (no frame header)';
  }
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') {
    // RIFF header, then the first chunk: VP8 (lossy: a key frame's 14-bit sizes after its start
    // code), VP8L (lossless: 14-bit sizes less one after its signature byte) or VP8X (extended:
    // the canvas's 24-bit sizes less one).
    if (b.length < 30) return 'truncated WebP (no complete header)';
    const chunk = ascii(12, 4);
    if (chunk === 'VP8 ') {
      if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return 'damaged WebP (no VP8 key frame)';
      return { format: 'webp', width: (b[26] | (b[27] << 8)) & 0x3fff, height: (b[28] | (b[29] << 8)) & 0x3fff, colour: true };
    }
    if (chunk === 'VP8L') {
      if (b[20] !== 0x2f) return 'damaged WebP (bad VP8L signature)';
      const bits = (b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24)) >>> 0;
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, colour: true };
    }
    if (chunk === 'VP8X') return { format: 'webp', width: (b[24] | (b[25] << 8) | (b[26] << 16)) + 1, height: (b[27] | (b[28] << 8) | (b[29] << 16)) + 1, colour: true };
    return `damaged WebP (unknown first chunk "${chunk.replace(/[^ -~]/g, '?')}")`;
  }
  return 'not a PNG, JPEG or WebP image (unknown signature)';
}

/**
 * One decoded image as a sample of shape `[channels, height, width]`, values in [0, 1], made as
 * torchvision makes it from a PIL image (`img.convert(mode)`, `Resize((h, w))`, `ToTensor()`), to
 * the bit:
 *
 * - channels: 1 takes PIL's "L" of RGB (ITU-R 601 luma in PIL's integer form:
 *   `(19595 R + 38470 G + 7471 B + 32768) >> 16`); 3 takes R, G, B (a grey image repeats its
 *   grey); 4 takes R, G, B, A. Alpha is otherwise dropped.
 * - size: resized to exactly `height × width` by PIL's bilinear resampling (`ImagingResample`:
 *   separable, a triangle filter stretched by the scale when shrinking, so antialiased, each pass
 *   rounded to 8 bits with PIL's fixed-point coefficients; RGBA premultiplied by alpha while it
 *   is resized, as PIL does). The aspect ratio is not kept, nothing is cropped or padded. Same
 *   size: copied as is.
 * - values: the 8-bit result / 255, rounded to float32 (as ToTensor).
 *
 * Writes into `out` at `offset` (a dataset's feature array).
 */
export function imageToSample(img: RgbaImage, shape: readonly number[], out: Float32Array, offset = 0): void {
  imageToPlanes(img, shape, out, offset, 255);
}

/**
 * `imageToSample`'s conversion with its last step a division by `scale`: 255 writes the sample
 * (values in [0, 1]), 1 the 8-bit values themselves into a Uint8Array, a quarter of the bytes
 * (a streamed folder's decoding threads send them and its cache holds them: `v / 255` read back
 * is the sample's value, bit for bit). It closes over nothing (the resampling is written out
 * inside), so those threads run its source text (node/image-stream.ts).
 */
export function imageToPlanes(img: RgbaImage, shape: readonly number[], out: Float32Array | Uint8Array, offset: number, scale: 255 | 1): void {
  const [c, h, w] = shape;
  const { width: sw, height: sh, data } = img;
  const n = sw * sh;
  const resize = sw !== w || sh !== h;
  // The image as PIL holds it in the mode asked for: `px`, `step` bytes a pixel, its first c
  // channels used (RGB is read from the RGBA as it is).
  let px: Uint8Array = data;
  let step = 4;
  if (c === 1) {
    px = new Uint8Array(n);
    step = 1;
    for (let p = 0; p < n; p++) px[p] = (data[4 * p] * 19595 + data[4 * p + 1] * 38470 + data[4 * p + 2] * 7471 + 0x8000) >>> 16;
  } else if (c === 4 && resize) {
    // NOTE: PIL resizes RGBA premultiplied ("RGBa": c · a / 255 rounded, its MULDIV255), so a
    // transparent pixel's colour does not bleed into its neighbours.
    px = data.slice(0, 4 * n);
    for (let p = 0; p < 4 * n; p += 4) {
      const a = px[p + 3];
      for (let k = 0; k < 3; k++) {
        const t = px[p + k] * a + 128;
        px[p + k] = ((t >> 8) + t) >> 8;
      }
    }
  }
  if (resize) {
    /** PIL's bilinear coefficients along one axis: where each output's taps start, how many, and their 22-bit fixed-point weights. */
    const coefficients = (inSize: number, outSize: number) => {
      const scale = inSize / outSize;
      const filterScale = Math.max(scale, 1);
      // The triangle filter's support (1) stretched by the scale when shrinking: the antialiasing.
      const support = filterScale;
      const taps = Math.ceil(support) * 2 + 1;
      const bounds = new Int32Array(outSize * 2);
      const weights = new Int32Array(outSize * taps);
      const k = new Float64Array(taps);
      for (let o = 0; o < outSize; o++) {
        const centre = (o + 0.5) * scale;
        const from = Math.max(0, Math.trunc(centre - support + 0.5));
        const count = Math.min(inSize, Math.trunc(centre + support + 0.5)) - from;
        let sum = 0;
        for (let i = 0; i < count; i++) {
          const x = Math.abs((i + from - centre + 0.5) / filterScale);
          k[i] = x < 1 ? 1 - x : 0;
          sum += k[i];
        }
        for (let i = 0; i < count; i++) {
          const v = sum !== 0 ? k[i] / sum : k[i];
          // NOTE: PIL's fixed point (PRECISION_BITS 22), rounded half away from zero.
          weights[o * taps + i] = v < 0 ? Math.trunc(-0.5 + v * 4194304) : Math.trunc(0.5 + v * 4194304);
        }
        bounds[2 * o] = from;
        bounds[2 * o + 1] = count;
      }
      return { bounds, weights, taps };
    };
    // Each pass rounds to 8 bits: a half (1 << 21) added, the 22 fraction bits dropped, clamped to
    // 0–255 (PIL's clip8; the bilinear weights are never negative, so the sum stays below 2³¹).
    // Horizontal first, then vertical, each only when that size changes (as ImagingResample).
    if (sw !== w) {
      const { bounds, weights, taps } = coefficients(sw, w);
      const dst = new Uint8Array(sh * w * c);
      for (let y = 0; y < sh; y++) {
        for (let x = 0; x < w; x++) {
          const from = (y * sw + bounds[2 * x]) * step;
          const count = bounds[2 * x + 1];
          for (let ch = 0; ch < c; ch++) {
            let acc = 2097152;
            for (let i = 0, s = from + ch, k = x * taps; i < count; i++, s += step, k++) acc += px[s] * weights[k];
            acc >>= 22;
            dst[(y * w + x) * c + ch] = acc < 0 ? 0 : acc > 255 ? 255 : acc;
          }
        }
      }
      px = dst;
      step = c;
    }
    if (sh !== h) {
      const { bounds, weights, taps } = coefficients(sh, h);
      const line = w * step;
      const dst = new Uint8Array(h * w * c);
      for (let y = 0; y < h; y++) {
        const from = bounds[2 * y] * line;
        const count = bounds[2 * y + 1];
        for (let x = 0; x < w; x++) {
          for (let ch = 0; ch < c; ch++) {
            let acc = 2097152;
            for (let i = 0, s = from + x * step + ch, k = y * taps; i < count; i++, s += line, k++) acc += px[s] * weights[k];
            acc >>= 22;
            dst[(y * w + x) * c + ch] = acc < 0 ? 0 : acc > 255 ? 255 : acc;
          }
        }
      }
      px = dst;
      step = c;
    }
    if (c === 4) {
      // Back from premultiplied (PIL's rgba2rgbA): c · 255 / a, truncated and clamped; a of 0 or 255 kept as is.
      for (let p = 0; p < px.length; p += 4) {
        const a = px[p + 3];
        if (a === 0 || a === 255) continue;
        for (let k = 0; k < 3; k++) px[p + k] = Math.min(255, Math.floor((255 * px[p + k]) / a));
      }
    }
  }
  const plane = h * w;
  for (let k = 0; k < c; k++) {
    const at = offset + k * plane;
    for (let p = 0; p < plane; p++) out[at + p] = px[p * step + k] / scale;
  }
}
