/**
 * The per-layer sensitivity pass (core/quantize/side-by-side.ts `layerSensitivity`, the Quantize…
 * dialog's and `netwright quantize`'s slowest part): its milliseconds per test sample on the MNIST
 * CNN and on mobilenet_v3_small (torchvision's, random weights at 64×64, the tests' fixture from
 * test/golden/gen_torchvision_onnx.py, its head replaced for 10 classes), activations calibrated
 * (min-max) on 16 random images, measured on `BENCH_SAMPLES` random images (default 4).
 *
 * Run: `npx tsx bench/quantize-sensitivity.ts` (env: BENCH_SAMPLES, BENCH_MODELS=mnist-cnn,mobilenet_v3_small).
 * Prints the time per sample, the number of layers and a digest of the sensitivities, so that two
 * commits' runs can be compared for speed and for sameness.
 */
import { cpus, loadavg } from 'node:os';
import { Rng } from '../src-engine/base/rng';
import { normalized, quantizeModel } from '../src-engine/core/quantize/int8';
import { sampleSize, quantizationPlan } from '../src-engine/core/quantize/plan';
import { floatOutputs, layerSensitivity } from '../src-engine/core/quantize/side-by-side';
import { benchModel } from './quantize-models';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 4);
const MODELS = (process.env.BENCH_MODELS ?? 'mnist-cnn,mobilenet_v3_small').split(',');


console.log(`${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const name of MODELS) {
  const model = { ...benchModel(name), classNames: Array.from({ length: 10 }, (_, i) => String(i)) };
  const n0 = sampleSize(quantizationPlan(model).inputShape);
  const rng = new Rng(7);
  const images = (count: number) => Float32Array.from({ length: count * n0 }, () => rng.uniform());
  const calib = images(16);
  const q = quantizeModel(model, normalized(model, calib, 16), 16, 'minmax');
  const x = images(SAMPLES);
  // Half the targets the float model's own class (so that a layer in int8 can cost accuracy), half another.
  const f = floatOutputs(model, q.plan, x, SAMPLES);
  const y = Float32Array.from({ length: SAMPLES }, (_, i) => {
    const row = Array.from(f.subarray(i * 10, i * 10 + 10));
    const best = row.indexOf(Math.max(...row));
    return i % 2 ? (best + 1) % 10 : best;
  });
  const t0 = performance.now();
  const s = layerSensitivity(q, x, y, SAMPLES);
  const ms = performance.now() - t0;
  const digest = s.layers.reduce((a, l, i) => a + (i + 1) * l.metric, s.float);
  console.log(`${name}: ${s.layers.length} layers, ${SAMPLES} samples: ${(ms / SAMPLES).toFixed(0)} ms a sample (${(ms / 1000).toFixed(1)} s); float ${s.float}, digest ${digest}`);
}
console.log(`load after ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
