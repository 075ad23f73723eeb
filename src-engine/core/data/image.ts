import { DATA_LIMITS } from './types';

/** What an image file's header says, read before anything is decoded. */
export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** Whether the image has colour (PNG colour types 2, 3, 6; JPEG with 3 or 4 components). */
  colour: boolean;
}

/** Decoded pixels: 8-bit RGBA, row-major (what pngjs and jpeg-js both return). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Read an image's format and size from its first bytes (PNG's IHDR, JPEG's start-of-frame), or say
 * why it cannot be used. Nothing is decoded: a decompression bomb (a small file declaring
 * 40,000 × 40,000 pixels) is refused here, before any pixel buffer exists.
 *
 * @returns the header, or a reason string for the skip list.
 */
export function readImageHeader(bytes: Uint8Array, maxPixels: number = DATA_LIMITS.maxImagePixels): ImageHeader | string {
  if (bytes.length === 0) return 'empty file (0 bytes)';
  let header: ImageHeader | string;
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) header = pngHeader(bytes);
  else if (bytes[0] === 0xff && bytes[1] === 0xd8) header = jpegHeader(bytes);
  else return 'not a PNG or JPEG image (unknown signature)';
  if (typeof header === 'string') return header;
  if (header.width < 1 || header.height < 1) return `declares a size of ${header.width} × ${header.height}`;
  if (header.width * header.height > maxPixels) {
    return `declares ${header.width} × ${header.height} pixels, over the limit of ${maxPixels.toLocaleString('en-US')} (refused before decoding)`;
  }
  return header;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function pngHeader(b: Uint8Array): ImageHeader | string {
  // Signature, then the IHDR chunk: length, "IHDR", width, height, bit depth, colour type.
  if (b.length < 33) return 'truncated PNG (no complete header)';
  if (String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') return 'damaged PNG (the first chunk is not IHDR)';
  const colourType = b[25];
  if (![0, 2, 3, 4, 6].includes(colourType)) return `damaged PNG (colour type ${colourType})`;
  return { format: 'png', width: u32(b, 16), height: u32(b, 20), colour: colourType === 2 || colourType === 3 || colourType === 6 };
}

function jpegHeader(b: Uint8Array): ImageHeader | string {
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
      const height = (b[o + 5] << 8) | b[o + 6];
      const width = (b[o + 7] << 8) | b[o + 8];
      return { format: 'jpeg', width, height, colour: b[o + 9] >= 3 };
    }
    if (marker === 0xd9 || marker === 0xda) return 'damaged JPEG (no frame header before the image data)';
    o += 2 + len;
  }
  return 'truncated JPEG (no frame header)';
}

/**
 * One decoded image as a sample of shape `[channels, height, width]`, values in [0, 1]:
 *
 * - channels: 1 takes the luma of RGB (ITU-R 601: 0.299 R + 0.587 G + 0.114 B, as PIL's "L");
 *   3 takes R, G, B (a grey image repeats its grey). Alpha is dropped.
 * - size: resized to exactly `height × width` with bilinear interpolation, pixel centres aligned
 *   (`align_corners=False`, as torchvision's `Resize((h, w))` without antialiasing): the aspect
 *   ratio is not kept, nothing is cropped or padded. Same size: copied as is.
 *
 * Writes into `out` at `offset` (a dataset's feature array) so nothing is allocated per image.
 * It closes over nothing (the luma weights are written out), so the decoding threads of a streamed
 * folder run its source text (node/image-stream.ts): the same samples, bit for bit.
 */
export function imageToSample(img: RgbaImage, shape: readonly number[], out: Float32Array, offset = 0): void {
  const [c, h, w] = shape;
  const { width: sw, height: sh, data } = img;
  const plane = h * w;
  const sy = sh / h;
  const sx = sw / w;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      const p00 = (y0 * sw + x0) * 4;
      const p01 = (y0 * sw + x1) * 4;
      const p10 = (y1 * sw + x0) * 4;
      const p11 = (y1 * sw + x1) * 4;
      // The four neighbours' weights, scaled to [0, 1] pixels.
      const w00 = ((1 - wy) * (1 - wx)) / 255;
      const w01 = ((1 - wy) * wx) / 255;
      const w10 = (wy * (1 - wx)) / 255;
      const w11 = (wy * wx) / 255;
      const i = offset + y * w + x;
      if (c === 1) {
        // ITU-R 601 luma weights (PIL's "L"), summed R, G, B in that order.
        let v = 0.299 * (w00 * data[p00] + w01 * data[p01] + w10 * data[p10] + w11 * data[p11]);
        v += 0.587 * (w00 * data[p00 + 1] + w01 * data[p01 + 1] + w10 * data[p10 + 1] + w11 * data[p11 + 1]);
        v += 0.114 * (w00 * data[p00 + 2] + w01 * data[p01 + 2] + w10 * data[p10 + 2] + w11 * data[p11 + 2]);
        out[i] = v;
      } else for (let k = 0; k < c; k++) out[i + k * plane] = w00 * data[p00 + k] + w01 * data[p01 + k] + w10 * data[p10 + k] + w11 * data[p11 + k];
    }
  }
}
