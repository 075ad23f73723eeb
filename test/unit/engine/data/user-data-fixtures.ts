/**
 * Test-time fixtures for a user's own data (#30): real PNG and JPEG files of MNIST digits drawn in
 * colour at 32×32, sorted into class folders, written into a temp dir. PNGs are written here
 * (zlib), JPEGs with jpeg-js's encoder (slow: ~0.1 s per file, it builds its tables per call; use few).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';
import { encode as encodeJpegJs } from 'jpeg-js';
import { loadDataset } from '../../../../src-engine/node/datasets';

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG file: 8-bit grey (channels 1) or RGB (3), rows unfiltered. `declared` overrides the IHDR size (a bomb). */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3, declared?: { width: number; height: number }): Buffer {
  return encodePngSamples(pixels, width, height, { depth: 8, colourType: channels === 1 ? 0 : 2, ...(declared ? { declared } : {}) });
}

export interface PngSamplesOptions {
  depth: 1 | 2 | 4 | 8 | 16;
  /** 0 grey, 2 RGB, 3 palette indices (`palette` the RGB triples, written as PLTE). */
  colourType: 0 | 2 | 3;
  palette?: readonly (readonly [number, number, number])[];
  /** A tRNS chunk's bytes, written after PLTE. */
  transparency?: Uint8Array;
  declared?: { width: number; height: number };
}

/**
 * A PNG file of raw samples (one a channel, row-major) at any bit depth the colour type takes,
 * rows unfiltered: 1, 2 and 4-bit samples packed from a byte's high bits, 16-bit big-endian.
 */
export function encodePngSamples(samples: ArrayLike<number>, width: number, height: number, o: PngSamplesOptions): Buffer {
  const channels = o.colourType === 2 ? 3 : 1;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(o.declared?.width ?? width, 0);
  ihdr.writeUInt32BE(o.declared?.height ?? height, 4);
  ihdr[8] = o.depth;
  ihdr[9] = o.colourType;
  const rowBytes = Math.ceil((width * channels * o.depth) / 8);
  const raw = Buffer.alloc(height * (1 + rowBytes));
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * channels; i++) {
      const v = samples[y * width * channels + i];
      const at = y * (1 + rowBytes) + 1;
      if (o.depth === 16) raw.writeUInt16BE(v, at + 2 * i);
      else raw[at + Math.floor((i * o.depth) / 8)] |= v << (8 - o.depth - ((i * o.depth) % 8));
    }
  }
  const extra = [...(o.palette ? [chunk('PLTE', Uint8Array.from(o.palette.flat()))] : []), ...(o.transparency ? [chunk('tRNS', o.transparency)] : [])];
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...extra, chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** A JPEG file (quality 95) of RGB pixels, by jpeg-js. */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number): Buffer {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  return Buffer.from(encodeJpegJs({ data: rgba, width, height }, 95).data);
}

/** A small seeded generator (the fixtures are the same on every run). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * MNIST digit `index` of `split` drawn at 32×32 (2 pixels of margin) in colour: a bright random
 * ink on a dark random background, RGB bytes.
 */
export function colourDigit(pixels: Float32Array, index: number, rand: () => number): Uint8Array {
  const fg = [0.55 + 0.45 * rand(), 0.55 + 0.45 * rand(), 0.55 + 0.45 * rand()];
  const bg = [0.3 * rand(), 0.3 * rand(), 0.3 * rand()];
  const out = new Uint8Array(32 * 32 * 3);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
      const v = inside ? pixels[index * 784 + (y - 2) * 28 + (x - 2)] : 0;
      for (let k = 0; k < 3; k++) out[(y * 32 + x) * 3 + k] = Math.round(255 * (bg[k] * (1 - v) + fg[k] * v));
    }
  }
  return out;
}

export interface DigitFolderOptions {
  /** Images per class in each split folder written. */
  perClass: Record<'train' | 'test', number> | number;
  /** `split`: train/ and test/ on top; `flat`: class folders directly. */
  layout: 'split' | 'flat';
  /** Every `jpegEvery`-th image is a JPEG (0: all PNG). */
  jpegEvery?: number;
  /** Digits 0 … classes − 1. */
  classes?: number;
  seed?: number;
}

/**
 * Write MNIST digits drawn in colour at 32×32 as PNG (and JPEG) files into class folders `0` … `9`
 * under `dir` (train/ and test/ from MNIST's own train and test sets with `layout: 'split'`).
 * Returns how many files were written.
 */
export function writeDigitFolder(dir: string, o: DigitFolderOptions): number {
  const mnist = loadDataset({ name: 'mnist' });
  const rand = lcg(o.seed ?? 7);
  const classes = o.classes ?? 10;
  let written = 0;
  const splits = o.layout === 'split' ? (['train', 'test'] as const) : (['train'] as const);
  for (const split of splits) {
    const ds = split === 'test' ? mnist.test! : mnist.train;
    const want = typeof o.perClass === 'number' ? o.perClass : o.perClass[split];
    const taken = new Array<number>(classes).fill(0);
    for (let i = 0; i < ds.count && taken.some((t) => t < want); i++) {
      const c = ds.targets[i];
      if (c >= classes || taken[c] >= want) continue;
      const folder = o.layout === 'split' ? join(dir, split, String(c)) : join(dir, String(c));
      mkdirSync(folder, { recursive: true });
      const rgb = colourDigit(ds.features, i, rand);
      const jpeg = o.jpegEvery && written % o.jpegEvery === 0 ? encodeJpeg(rgb, 32, 32) : undefined;
      writeFileSync(join(folder, `${split}-${i}.${jpeg ? 'jpg' : 'png'}`), jpeg ?? encodePng(rgb, 32, 32, 3));
      taken[c]++;
      written++;
    }
  }
  return written;
}

/** An .npy file of `values` as `descr` ('<f4', '<f8', '|u1', '<i8'), with the shape the header claims. */
export function npy(descr: string, shape: number[], values: number[], claimed = shape): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${claimed.join(', ')}${claimed.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const size = { '<f4': 4, '<f8': 8, '|u1': 1, '<i8': 8 }[descr]!;
  const body = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (descr === '<f4') body.writeFloatLE(v, i * 4);
    else if (descr === '<f8') body.writeDoubleLE(v, i * 8);
    else if (descr === '|u1') body[i] = v;
    else body.writeBigInt64LE(BigInt(v), i * 8);
  });
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

/** A zip of `files` (deflated when `deflate`), laid out as np.savez / np.savez_compressed (numpy 1.24) write them. */
export function zip(files: Record<string, Buffer>, deflate: boolean): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const body = deflate ? deflateRawSync(data) : data;
    const n = Buffer.from(name);
    // The local header and the central directory entry share method, sizes and name length.
    const header = (size: number, signature: number, at: number) => {
      const h = Buffer.alloc(size);
      h.writeUInt32LE(signature, 0);
      h.writeUInt16LE(deflate ? 8 : 0, at);
      h.writeUInt32LE(body.length, at + 10);
      h.writeUInt32LE(data.length, at + 14);
      h.writeUInt16LE(n.length, at + 18);
      return h;
    };
    const lh = header(30, 0x04034b50, 8);
    const ch = header(46, 0x02014b50, 10);
    ch.writeUInt32LE(offset, 42);
    // As numpy's np.savez writes members (force_zip64): a zip64 extra field in the local header
    // only, with the sizes again as 64-bit numbers; the central directory keeps plain sizes.
    const extra = Buffer.alloc(20);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(16, 2);
    extra.writeBigUInt64LE(BigInt(data.length), 4);
    extra.writeBigUInt64LE(BigInt(body.length), 12);
    lh.writeUInt16LE(extra.length, 28);
    locals.push(lh, n, extra, body);
    central.push(ch, n);
    offset += 30 + n.length + extra.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** The code of the error `f` throws (a DataError's), or undefined when it throws none. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? `threw ${(e as Error).message}`;
  }
  return undefined;
}
