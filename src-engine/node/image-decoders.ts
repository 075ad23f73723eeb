import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
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
  png: (b) => PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
  // jpeg-js's own caps are a second fence behind the header check; corrupt data throws.
  jpeg: (b) => decodeJpeg(b, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024, tolerantDecoding: false }),
};
