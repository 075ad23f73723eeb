import { crc32 } from 'node:zlib';
import { readPngSamples } from './image-decoders';

/**
 * A segmentation mask's pixels as class ids (docs/data.md "Masks"): RGBA samples at the PNG's own
 * bit depth, R the class id. A grey PNG's values are its ids at any depth (a 1-bit mask reads 0
 * and 1, a 4-bit one 0–15, a 16-bit one its 16-bit values: not scaled to 0–255 as a picture is); a
 * palette PNG's indices are its ids (VOC's masks: the palette only colours them for the eye); an
 * RGB(A) PNG reads its values, which the loader takes as ids only where R = G = B. Transparency is
 * ignored: a tRNS chunk is dropped before decoding (pngjs would clear its colour's pixels to 0).
 *
 * @throws Error a damaged PNG (the decoder's message).
 */
export function decodeMaskPng(b: Uint8Array): { width: number; height: number; data: Uint8Array | Uint16Array } {
  return readPngSamples(classIdPng(b));
}

/**
 * `b` with its tRNS chunk dropped and, for a palette PNG, read as the grey PNG of its indices
 * (IHDR's colour type 3 → 0, its CRC written again, PLTE dropped: the bit depths a palette takes,
 * 1, 2, 4 and 8, are grey's too). The same bytes where there is nothing to change, and where the
 * header is damaged (the decoder refuses it then, as it would the file).
 */
function classIdPng(b: Uint8Array): Uint8Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // sniffImage has seen the signature and IHDR's type; its length and CRC are checked here.
  const ihdrEnd = 8 + 8 + 13;
  if (b.length < ihdrEnd + 4 || view.getUint32(8) !== 13 || crc32(b.subarray(12, ihdrEnd)) !== view.getUint32(ihdrEnd)) return b;
  const palette = b[25] === 3;
  const parts: Uint8Array[] = [];
  if (palette) {
    const ihdr = Uint8Array.from(b.subarray(0, ihdrEnd + 4));
    ihdr[25] = 0;
    new DataView(ihdr.buffer).setUint32(ihdrEnd, crc32(ihdr.subarray(12, ihdrEnd)));
    parts.push(ihdr);
  } else {
    parts.push(b.subarray(0, ihdrEnd + 4));
  }
  let from = ihdrEnd + 4;
  for (let p = from; p + 12 <= b.length; ) {
    const end = p + 12 + view.getUint32(p);
    if (end > b.length) break;
    const type = String.fromCharCode(b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    if (type === 'IEND') break;
    if (type === 'tRNS' || (palette && type === 'PLTE')) {
      parts.push(b.subarray(from, p));
      from = end;
    }
    p = end;
  }
  if (parts.length === 1 && !palette) return b;
  parts.push(b.subarray(from));
  return Buffer.concat(parts);
}
