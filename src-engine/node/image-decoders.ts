import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { crc32, inflateSync } from 'node:zlib';
import { decode as decodeJpegJs } from 'jpeg-js';
import { PNG } from 'pngjs';
import mozjpegFactory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import webpFactory from '@jsquash/webp/codec/dec/webp_dec.js';
import { decodePngFast } from './png-fast';
import type { ImageHeader, RgbaImage } from '../core/data/image';

/**
 * PNG, JPEG and WebP decoding. All return 8-bit RGBA. The loader reads each file's header first
 * (readImageHeader), so these only ever see images of a bounded size.
 *
 * - PNG: a fast path for 8-bit grey/RGB(A) (png-fast.ts), else `pngjs` (every colour type and bit
 *   depth, scaled to 8 bits; readPngSamples keeps a mask's values at their own depth).
 * - JPEG: libjpeg-turbo's decoder as mozjpeg builds it, compiled to WebAssembly (`@jsquash/jpeg`,
 *   Squoosh's build): the decoder family Pillow, torchvision and the browsers use, with its
 *   defaults (ISLOW IDCT, "fancy" triangle upsampling of subsampled chroma), so a 4:2:0, 4:2:2 or
 *   4:4:4 photo decodes to Pillow's pixels (test/unit/engine/data/photos.test.ts; docs/data.md).
 *   Chosen over `sharp` (libvips): as exact, and no native binary per platform to package, sign
 *   and rebuild for Electron; it runs in the decoding threads (and would in a browser) as it is.
 * - WebP: libwebp's decoder in WebAssembly (`@jsquash/webp`), what Pillow's WebP plugin calls.
 *
 * A libjpeg warning (corrupt data, a premature end) fails the image, as jpeg-js's strict mode
 * did and as Pillow fails a truncated file: a damaged photo is skipped and listed, not trained on.
 * A CMYK or YCCK JPEG (print workflows), which libjpeg does not convert to RGB, is decoded by
 * `jpeg-js` as before (Pillow's conversion within 1/255): see jpegWithCmyk.
 */
export interface ImageDecoders {
  png: (bytes: Uint8Array) => RgbaImage;
  jpeg: (bytes: Uint8Array) => RgbaImage;
  webp: (bytes: Uint8Array) => RgbaImage;
}

/** The WebAssembly codecs' files (package paths): the emscripten glue (an ES module) and its `.wasm`, read from disk. */
export const WASM_CODECS = {
  jpeg: { glue: '@jsquash/jpeg/codec/dec/mozjpeg_dec.js', wasm: '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm', args: [false] },
  webp: { glue: '@jsquash/webp/codec/dec/webp_dec.js', wasm: '@jsquash/webp/codec/dec/webp_dec.wasm', args: [] },
} as const satisfies Record<Exclude<ImageHeader['format'], 'png'>, { glue: string; wasm: string; args: readonly unknown[] }>;

export type WasmFormat = keyof typeof WASM_CODECS;

/**
 * A codec's memory kept between images: a decoder whose WebAssembly heap grew past this (a large
 * photo) is dropped after the image and started afresh for the next (an instance of the compiled
 * module takes well under a millisecond), so an idle decoding thread does not hold a photo's peak.
 */
export const KEEP_HEAP_BYTES = 64 * 2 ** 20;

/** The codecs' compiled modules, once per process (each thread is sent them, not their bytes). */
const compiled = new Map<WasmFormat, WebAssembly.Module>();

/** A codec's WebAssembly module, compiled from its `.wasm` file (found from this module, so in the built app, web mode and tests alike). */
export function codecModule(format: WasmFormat): WebAssembly.Module {
  let m = compiled.get(format);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(createRequire(import.meta.url).resolve(WASM_CODECS[format].wasm)));
    compiled.set(format, m);
  }
  return m;
}

/** An emscripten module factory as the codecs' glue exports it (its own `.d.ts` needs the DOM's `ImageData`). */
export type EmscriptenFactory = (module: Record<string, unknown>) => Promise<unknown>;

interface CodecInstance {
  decode: (...args: unknown[]) => { width: number; height: number; data: Uint8ClampedArray } | null;
  HEAPU8: Uint8Array;
}

/**
 * A synchronous decoder over an emscripten codec: the instance is made from `wasm` with no fetch
 * and no await (emscripten calls `instantiateWasm`, which hands the instance back at once, and
 * binds `decode` before returning), started on first use, and again after a failure or a photo
 * that grew its heap past `keepHeapBytes`. What the codec prints (libjpeg's warnings and errors)
 * is collected: anything printed fails the image with its last line. It closes over nothing, so
 * the decoding threads run its source text (node/image-stream.ts).
 */
export function wasmDecoder(factory: EmscriptenFactory, wasm: WebAssembly.Module, args: readonly unknown[], keepHeapBytes: number): (bytes: Uint8Array) => RgbaImage {
  let codec: CodecInstance | null = null;
  const printed: string[] = [];
  const start = (): CodecInstance => {
    const m: Record<string, unknown> = {
      noInitialRun: true,
      print: (s: unknown) => printed.push(String(s)),
      printErr: (s: unknown) => printed.push(String(s)),
      instantiateWasm: (imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) => {
        const instance = new WebAssembly.Instance(wasm, imports);
        done(instance);
        return instance.exports;
      },
    };
    factory(m).catch(() => undefined);
    if (typeof m.decode !== 'function') throw new Error('the WebAssembly decoder did not start');
    return m as unknown as CodecInstance;
  };
  return (bytes) => {
    codec ??= start();
    printed.length = 0;
    let image: ReturnType<CodecInstance['decode']> = null;
    try {
      image = codec.decode(bytes, ...args);
    } catch {
      // libjpeg's error_exit ends in exit(): this instance may hold the failed image; start afresh.
      codec = null;
    }
    if (codec && codec.HEAPU8.buffer.byteLength > keepHeapBytes) codec = null;
    const said = printed.map((s) => s.trim()).filter(Boolean);
    if (!image || said.length > 0) throw new Error(said.at(-1) ?? 'the decoder could not read it');
    return { width: image.width, height: image.height, data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength) };
  };
}

/**
 * JPEG by `libjpeg`, but by `jpegJs` (jpeg-js's `decode`) where libjpeg refuses the colour
 * conversion: a 4-component (CMYK, YCCK) JPEG, which Pillow converts and libjpeg does not. It
 * closes over nothing, so the decoding threads run its source text (node/image-stream.ts).
 */
export function jpegWithCmyk(libjpeg: (bytes: Uint8Array) => RgbaImage, jpegJs: typeof decodeJpegJs): (bytes: Uint8Array) => RgbaImage {
  return (bytes) => {
    try {
      return libjpeg(bytes);
    } catch (e) {
      if (!/Unsupported color conversion/.test(String((e as Error)?.message))) throw e;
      // jpeg-js's own caps are a second fence behind the header check; corrupt data throws.
      return jpegJs(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024, tolerantDecoding: false });
    }
  };
}

/** Start a codec on the calling thread when it is first needed. */
function lazyDecoder(format: WasmFormat, factory: EmscriptenFactory): (bytes: Uint8Array) => RgbaImage {
  let decode: ((bytes: Uint8Array) => RgbaImage) | undefined;
  return (bytes) => (decode ??= wasmDecoder(factory, codecModule(format), WASM_CODECS[format].args, KEEP_HEAP_BYTES))(bytes);
}

export const IMAGE_DECODERS: ImageDecoders = {
  // 8-bit grey/RGB(A) PNGs by the fast path (png-fast.ts), the same bytes; every other PNG, and
  // any the fast path cannot read, by pngjs (whose error is the one reported).
  png: (b) => fastPng(b) ?? PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
  jpeg: jpegWithCmyk(lazyDecoder('jpeg', mozjpegFactory as unknown as EmscriptenFactory), decodeJpegJs),
  webp: lazyDecoder('webp', webpFactory as unknown as EmscriptenFactory),
};

/**
 * A PNG's samples as the file stores them, not scaled to 8 bits: RGBA, each channel the value at
 * the file's bit depth (a 1-bit grey PNG reads 0 and 1, a 4-bit one 0–15, a 16-bit one 0–65535 in
 * a Uint16Array); a grey value fills R, G and B, and alpha is the depth's largest value where the
 * file has none. What a segmentation mask's class ids are read from (node/mask-png.ts). A palette
 * still reads as its colours, and a tRNS chunk still clears the pixels of its colour (pngjs's
 * way): the caller takes those chunks out first where they are not wanted.
 *
 * @throws Error a damaged PNG (pngjs's message).
 */
export function readPngSamples(b: Uint8Array): { width: number; height: number; data: Uint8Array | Uint16Array } {
  // NOTE: at bit depth 8 the samples are the 8-bit RGBA the fast path returns.
  const png = fastPng(b) ?? PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength), { skipRescale: true });
  return { width: png.width, height: png.height, data: png.data as Uint8Array | Uint16Array };
}

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
