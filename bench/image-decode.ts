/**
 * Decoding photos (#46 item 5): JPEG by jpeg-js (the decoder before) and by libjpeg-turbo/mozjpeg
 * in WebAssembly (`@jsquash/jpeg`, IMAGE_DECODERS.jpeg now), WebP by libwebp in WebAssembly, on
 * 4:2:0 photos of 500×375 and 1024×768 made by Pillow (test/unit/engine/data/photos.py `bench`:
 * 4 photos per size, JPEG quality 90, WebP quality 80); and the conversion of a decoded photo to a
 * sample (imageToSample: PIL's antialiased bilinear) at 3×32×32 and 3×224×224.
 *
 * One thread, each decoder warmed up first (its first call compiles and starts the module),
 * then `BENCH_ROUNDS` (default 15) rounds over the photos, the decoders taking turns in each; the
 * median ms per image.
 *
 * Run: `npx tsx bench/image-decode.ts` (needs /usr/bin/python3 with Pillow to make the photos once).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode as decodeJpegJs } from 'jpeg-js';
import { imageToSample, type RgbaImage } from '../src-engine/core/data/image';
import { IMAGE_DECODERS } from '../src-engine/node/image-decoders';
import { photos } from '../test/unit/engine/data/photos';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const dir = photos('bench');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Median ms per call of each of `runs` over its inputs, after one warm-up pass; the runs take
 * turns within each round, so a change in the machine's load falls on all of them alike.
 */
function time(runs: [unknown[], (x: never) => unknown][]): number[] {
  for (const [inputs, run] of runs) for (const x of inputs) run(x as never);
  const per: number[][] = runs.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    runs.forEach(([inputs, run], k) => {
      const t0 = performance.now();
      for (const x of inputs) run(x as never);
      per[k].push((performance.now() - t0) / inputs.length);
    });
  }
  return per.map(median);
}

const rows: string[][] = [['photo', 'jpeg-js ms', 'mozjpeg (WASM) ms', 'speed-up', 'WebP (WASM) ms', 'to 3×32×32 ms', 'to 3×224×224 ms']];
for (const size of ['500x375', '1024x768']) {
  const files = readdirSync(dir).filter((f) => f.startsWith(`${size}-`));
  const jpegs = files.filter((f) => f.endsWith('.jpg')).map((f) => readFileSync(join(dir, f)));
  const webps = files.filter((f) => f.endsWith('.webp')).map((f) => readFileSync(join(dir, f)));
  const decoded = jpegs.map((b) => IMAGE_DECODERS.jpeg(b));
  const small = new Float32Array(3 * 32 * 32);
  const large = new Float32Array(3 * 224 * 224);
  const [before, after, webp, toSmall, toLarge] = time([
    [jpegs, (b: Buffer) => decodeJpegJs(b, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024, tolerantDecoding: false })],
    [jpegs, (b: Buffer) => IMAGE_DECODERS.jpeg(b)],
    [webps, (b: Buffer) => IMAGE_DECODERS.webp(b)],
    [decoded, (img: RgbaImage) => imageToSample(img, [3, 32, 32], small)],
    [decoded, (img: RgbaImage) => imageToSample(img, [3, 224, 224], large)],
  ]);
  rows.push([`${size} 4:2:0`, before.toFixed(2), after.toFixed(2), `${(before / after).toFixed(1)}×`, webp.toFixed(2), toSmall.toFixed(2), toLarge.toFixed(2)]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));
console.log(`node ${process.version}, ${ROUNDS} rounds, median ms per image, one thread`);
