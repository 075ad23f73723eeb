/**
 * onnxruntime-web's batch-1 latency on a float32 ONNX file and its int8 (QDQ) one, one thread, as
 * #85's must-show asks beside the engine's own (bench/int8.ts): the median of 7 rounds of 0.5 s
 * each, after 20 warm-up calls, on one random input of the files' shape.
 *
 *   npx tsx bench/int8-ort.ts FLOAT.onnx INT8.onnx 1,3,64,64
 *
 * Make the files with `npm run export -- RUN --format onnx` and `--format onnx-int8`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, cpus } from 'node:os';
import type * as Ort from 'onnxruntime-web';

const ort = createRequire(import.meta.url)('onnxruntime-web') as typeof Ort;
ort.env.wasm.numThreads = 1;

const [floatFile, int8File, shape] = process.argv.slice(2);
if (!floatFile || !int8File || !shape) {
  console.error('usage: npx tsx bench/int8-ort.ts FLOAT.onnx INT8.onnx DIMS (e.g. 1,3,64,64)');
  process.exit(2);
}
const dims = shape.split(',').map(Number);

/** The median time of one call (ms) of `file`'s session on `x`. */
async function latency(file: string, x: Float32Array): Promise<number> {
  const s = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feed = { [s.inputNames[0]!]: new ort.Tensor('float32', x, dims) };
  for (let i = 0; i < 20; i++) await s.run(feed);
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 500) {
      await s.run(feed);
      n++;
    }
    rounds.push((performance.now() - t0) / n);
  }
  return rounds.sort((a, b) => a - b)[3]!;
}

const x = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7919) % 1000) / 1000);
console.log(`onnxruntime-web, 1 thread, ${cpus()[0]?.model ?? 'CPU'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const f = await latency(floatFile, x);
const q = await latency(int8File, x);
console.log(`batch ${dims[0]} latency: float32 ${(f * 1000).toFixed(0)} µs, int8 ${(q * 1000).toFixed(0)} µs, int8 faster by ${(f / q).toFixed(2)}×`);
