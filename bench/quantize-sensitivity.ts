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
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphIR } from '../src-engine/base/ir/types';
import { Rng } from '../src-engine/base/rng';
import { checkedOrThrow } from '../src-engine/core/analysis/checked';
import { compileGraph } from '../src-engine/core/autodiff/executor';
import { analyzeGraph } from '../src-engine/core/analysis/validate';
import { findClassifierHead, replaceHead } from '../src-engine/core/analysis/classifier';
import { createReferenceBackend } from '../src-engine/core/backend/reference';
import type { TrainedModel } from '../src-engine/core/export/model';
import { importOnnx } from '../src-engine/core/import/onnx/import';
import { normalized, quantizeModel } from '../src-engine/core/quantize/int8';
import { sampleSize, quantizationPlan } from '../src-engine/core/quantize/plan';
import { floatOutputs, layerSensitivity } from '../src-engine/core/quantize/side-by-side';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 4);
const MODELS = (process.env.BENCH_MODELS ?? 'mnist-cnn,mobilenet_v3_small').split(',');

/** The graph's seeded initialisation as a trained model, `from`'s weights where they fit (as bench/int8.ts). */
function seededModel(graph: GraphIR, from?: TrainedModel): TrainedModel {
  const plan = compileGraph(checkedOrThrow(graph), { batchSize: 1, backend: createReferenceBackend(), seed: 1 });
  const own = (t: { nodeId: string; name: string; value: { data: Float32Array } }): [string, Float32Array] => {
    const key = `${t.nodeId}.${t.name}`;
    const w = from?.params[key] ?? from?.buffers[key];
    return [key, w && w.length === t.value.data.length ? w.slice() : t.value.data.slice()];
  };
  return { graph, params: Object.fromEntries(plan.params.map(own)), buffers: Object.fromEntries(plan.buffers.map(own)) };
}

function benchModel(name: string): TrainedModel {
  if (name !== 'mobilenet_v3_small') return seededModel(JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')) as GraphIR);
  const cache = join(ROOT, 'node_modules', '.cache', 'netwright-torchvision-onnx');
  const dir = readdirSync(cache).find((d) => existsSync(join(cache, d, `${name}.onnx`)));
  if (!dir) throw new Error(`${name}: no fixture under ${cache}; run test/unit/engine/export/onnx/torchvision.test.ts once to make it`);
  const { model } = importOnnx(readFileSync(join(cache, dir, `${name}.onnx`)));
  const a = analyzeGraph(model.graph, { batchSize: 1 });
  const head = findClassifierHead(a.graph!, a.shapes);
  if (!head) throw new Error(`${name}: no classifier head found`);
  return seededModel(replaceHead(model.graph, head.head, 10, 'head'), model);
}

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
