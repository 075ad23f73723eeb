/**
 * The fast PNG path (src-engine/node/png-fast.ts) against pngjs, the decoder it stands in for:
 * every colour type it takes and every row filter, byte for byte; and the PNGs it must leave to
 * pngjs (16-bit, a palette, transparency, a damaged CRC, a truncated file, a stream that inflates
 * past its rows).
 */
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src-engine/base/rng';
import { IMAGE_DECODERS } from '../../../../src-engine/node/image-decoders';
import { decodePngFast } from '../../../../src-engine/node/png-fast';

const fast = (b: Uint8Array) => decodePngFast(b, (d, max) => inflateSync(d, { maxOutputLength: max }), crc32);

/** A PNG written by pngjs: 8-bit (or 16-bit) of `colorType`, with row filter `filterType` (−1: pngjs picks per row). */
function pngjsFile(width: number, height: number, colorType: 0 | 2 | 4 | 6, filterType: number, seed: number, bitDepth: 8 | 16 = 8): Buffer {
  const png = new PNG({ width, height, colorType, inputColorType: 6, bitDepth, filterType });
  const rng = new Rng(seed);
  // Flat 3×3 blocks on top (Paeth's distances tie), then a ramp of 10·(x − y) (the upper-left
  // neighbour is the mean of the left and upper ones: Paeth picks it), then ramps plus noise:
  // every filter has something to predict, every branch of Paeth's choice is taken.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) {
        const band = (3 * y) / height;
        const v = band < 1 ? ((x / 3) | 0) * 37 + ((y / 3) | 0) * 11 + c * 50 : band < 2 ? 128 + 10 * (x - y) + c : x * (c + 3) + y * (7 - c) + rng.int(40);
        png.data[i + c] = v & 255;
      }
    }
  }
  return PNG.sync.write(png, { colorType, inputColorType: 6, bitDepth, filterType });
}

/** A chunk: length, type, data, CRC. */
function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** `file` with `extra` chunks inserted after IHDR. */
function withChunks(file: Buffer, ...extra: Buffer[]): Buffer {
  return Buffer.concat([file.subarray(0, 33), ...extra, file.subarray(33)]);
}

describe('fast PNG path', () => {
  for (const colorType of [0, 2, 4, 6] as const) {
    for (const filterType of [-1, 0, 1, 2, 3, 4]) {
      it(`colour type ${colorType}, filter ${filterType}: the bytes pngjs decodes`, () => {
        for (const [w, h] of [[13, 7], [64, 64], [1, 1]]) {
          const file = pngjsFile(w, h, colorType, filterType, w * 31 + filterType + colorType);
          const got = fast(file);
          const want = PNG.sync.read(file);
          expect(got, `${w}×${h}`).not.toBeNull();
          expect([got!.width, got!.height]).toEqual([want.width, want.height]);
          expect(Buffer.from(got!.data).equals(Buffer.from(want.data.buffer, want.data.byteOffset, want.width * want.height * 4)), `${w}×${h}`).toBe(true);
        }
      });
    }
  }

  it('closes over nothing: its source text alone (what the decoding threads run) decodes the same', () => {
    const standalone = new Function(`return ${decodePngFast.toString()}`)() as typeof decodePngFast;
    const file = pngjsFile(20, 10, 6, -1, 3);
    const got = standalone(file, (d, max) => inflateSync(d, { maxOutputLength: max }), crc32);
    expect(Buffer.from(got!.data).equals(PNG.sync.read(file).data)).toBe(true);
  });

  it('several IDAT chunks are read as one stream', () => {
    const file = pngjsFile(40, 30, 2, -1, 5);
    const idatAt = file.indexOf('IDAT') - 4;
    const len = file.readUInt32BE(idatAt);
    const data = file.subarray(idatAt + 8, idatAt + 8 + len);
    const cut = Math.floor(len / 3);
    const split = Buffer.concat([file.subarray(0, idatAt), chunk('IDAT', data.subarray(0, cut)), chunk('IDAT', data.subarray(cut)), file.subarray(idatAt + 12 + len)]);
    expect(Buffer.from(fast(split)!.data).equals(PNG.sync.read(file).data)).toBe(true);
  });

  it('leaves to pngjs what it does not take, and the app decodes those with pngjs', () => {
    const plain = pngjsFile(16, 16, 2, -1, 9);
    const damaged = Buffer.from(plain);
    damaged[damaged.indexOf('IDAT') + 6] ^= 0x40;
    const bomb = withChunks(plain.subarray(0, 33), chunk('IDAT', deflateSync(Buffer.alloc(16 * 49 * 4 + 100))), chunk('IEND', new Uint8Array(0)));
    const cases: [string, Buffer][] = [
      ['16-bit', pngjsFile(8, 8, 6, -1, 1, 16)],
      ['a palette chunk', withChunks(plain, chunk('PLTE', new Uint8Array(6)))],
      ['transparency (tRNS)', withChunks(plain, chunk('tRNS', new Uint8Array(6)))],
      ['a damaged CRC', damaged],
      ['a truncated file', plain.subarray(0, plain.length - 20)],
      ['no IEND', plain.subarray(0, plain.length - 12)],
    ];
    for (const [label, file] of cases) {
      let got: unknown = 'threw';
      try {
        got = fast(file);
      } catch {
        // the app's wrapper treats a throw as "not taken" too
      }
      expect(got === null || got === 'threw', label).toBe(true);
    }
    // A stream that inflates past its rows throws (zlib's maxOutputLength), not a huge allocation.
    expect(() => fast(bomb)).toThrow();
    // The app's decoder still reads the 16-bit one (pngjs) and refuses the damaged one with pngjs's error.
    expect(IMAGE_DECODERS.png(cases[0][1]).width).toBe(8);
    expect(() => IMAGE_DECODERS.png(damaged)).toThrow();
    // An ancillary chunk it does not know (tEXt) is skipped, as pngjs skips it.
    const text = withChunks(plain, chunk('tEXt', Buffer.from('Comment\0hello', 'latin1')));
    expect(Buffer.from(fast(text)!.data).equals(PNG.sync.read(plain).data)).toBe(true);
  });
});
