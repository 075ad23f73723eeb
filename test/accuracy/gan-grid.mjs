// Writes the sample grid of the last GAN accuracy run (test/accuracy/results/<template>.result.json,
// pixels 0–255) as a greyscale PNG, 3× enlarged, for looking at: 8 × 8, or for a conditional GAN
// one column per digit asked for (cell i asks for i mod 10).
//   node test/accuracy/gan-grid.mjs [out.png] [template: mnist-cdcgan | mnist-dcgan]
import { readFileSync, writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';

const template = process.argv[3] ?? 'mnist-cdcgan';
const record = JSON.parse(readFileSync(new URL(`./results/${template}.result.json`, import.meta.url), 'utf8'));
const { samples } = record;
const count = samples.length / 784;
const COLS = record.matched != null ? 10 : 8, ROWS = Math.ceil(count / COLS);
const S = 3, CELL = 28 * S + 2, W = COLS * CELL, H = ROWS * CELL;
const raw = Buffer.alloc((W + 1) * H, 255);
for (let y = 0; y < H; y++) {
  raw[y * (W + 1)] = 0; // filter: none
  for (let x = 0; x < W; x++) {
    const i = Math.floor(y / CELL) * COLS + Math.floor(x / CELL);
    const py = Math.floor((y % CELL) / S), px = Math.floor((x % CELL) / S);
    if (i < count && py < 28 && px < 28) raw[y * (W + 1) + 1 + x] = 255 - samples[i * 784 + py * 28 + px];
  }
}
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};
const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(W, 0); ihdr.writeUInt32BE(H, 4); ihdr[8] = 8; ihdr[9] = 0;
const out = process.argv[2] ?? 'test-results/gan-samples.png';
writeFileSync(out, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
console.log(`wrote ${out}`);
