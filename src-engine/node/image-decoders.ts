import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { crc32, inflateSync } from 'node:zlib';
import { decodePngFast } from './png-fast';
import type { RgbaImage } from '../core/data/image';

/**
 * PNG and JPEG decoding, by two well-kept pure-JS npm packages with no dependencies of their own:
 * `pngjs` (every PNG colour type and bit depth, 16-bit scaled to 8) and `jpeg-js` (baseline and
 * progressive JPEG, with resolution and memory caps). Both return 8-bit RGBA. The loader reads
 * each file's header first (readImageHeader), so these only ever see images of a bounded size.
 */
export interface ImageDecoders {
  png: (bytes: Uint8Array) => RgbaImage;
  jpeg: (bytes: Uint8Array) => RgbaImage;
}

export const IMAGE_DECODERS: ImageDecoders = {
  // 8-bit grey/RGB(A) PNGs by the fast path (png-fast.ts), the same bytes; every other PNG, and
  // any the fast path cannot read, by pngjs (whose error is the one reported).
  png: (b) => fastPng(b) ?? PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
  // jpeg-js's own caps are a second fence behind the header check; corrupt data throws.
  jpeg: (b) => decodeJpeg(b, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024, tolerantDecoding: false }),
};

/** zlib's `crc32` where this Node has it (≥ 20.15, 22.2). */
const zlibCrc32 = typeof crc32 === 'function' ? crc32 : undefined;

function fastPng(b: Uint8Array): RgbaImage | null {
  try {
    return decodePngFast(b, (d, max) => inflateSync(d, { maxOutputLength: max }), zlibCrc32);
  } catch (e) {
    // A damaged stream (zlib's errors, an offset past the end): pngjs decodes it and says why.
    // A ReferenceError or TypeError is this code's own fault: not hidden behind the slow path.
    if (e instanceof ReferenceError || e instanceof TypeError) throw e;
    return null;
  }
}
