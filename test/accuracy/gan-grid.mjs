// Writes the 8×8 sample grid of the last DCGAN accuracy run (test/accuracy/results/
// mnist-dcgan.result.json, pixels 0–255) as a greyscale PNG, 3× enlarged, for looking at:
//   node test/accuracy/gan-grid.mjs [out.png]
import { readFileSync, writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';

const { samples } = JSON.parse(readFileSync(new URL('./results/mnist-dcgan.result.json', import.meta.url), 'utf8'));
const S = 3, CELL = 28 * S + 2, W = 8 * CELL;
const raw = Buffer.alloc((W + 1) * W, 255);
for (let y = 0; y < W; y++) {
  raw[y * (W + 1)] = 0; // filter: none
  for (let x = 0; x < W; x++) {
    const i = Math.floor(y / CELL) * 8 + Math.floor(x / CELL);
    const py = Math.floor((y % CELL) / S), px = Math.floor((x % CELL) / S);
    if (py < 28 && px < 28) raw[y * (W + 1) + 1 + x] = 255 - samples[i * 784 + py * 28 + px];
  }
}
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};
const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(W, 0); ihdr.writeUInt32BE(W, 4); ihdr[8] = 8; ihdr[9] = 0;
const out = process.argv[2] ?? 'test-results/gan-samples.png';
writeFileSync(out, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
console.log(`wrote ${out}`);
