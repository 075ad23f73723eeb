/**
 * The bench's training workloads: an example design (examples/<name>.json, every attr filled from its
 * op's defaults) with BENCH_SAMPLES of its data fixed once, the samples both sides cycle through —
 * ours (bench/run.ts, bench/gpu.ts) and PyTorch's (bench/torch_bench.py; on CUDA
 * bench/torch_cuda.py, through bench/gpu-device.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphIR, NodeIR } from '../src-engine/base/ir/types';
import { getOp } from '../src-engine/core/ops/registry';
import type { AttrValue } from '../src-engine/core/ops/types';
import { loadDataset } from '../src-engine/node/datasets';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Training batch size of every bench workload. */
export const BATCH = 64;
/** Batches of real MNIST the timed loops cycle through (the same ones PyTorch gets). */
export const BENCH_SAMPLES = 64 * 64;

/** The graph with every attr filled from its op's defaults (PyTorch gets the same numbers). */
export function withDefaults(graph: GraphIR): GraphIR {
  const nodes: NodeIR[] = graph.nodes.map((n) => {
    const def = getOp(n.op);
    const attrs: Record<string, AttrValue> = {};
    for (const [k, spec] of Object.entries(def?.attrs ?? {})) attrs[k] = spec.default;
    return { ...n, attrs: { ...attrs, ...n.attrs } };
  });
  return { ...graph, nodes };
}

export interface Workload {
  name: string;
  graph: GraphIR;
  featureInput: string;
  targetInput: string;
  features: Float32Array; // BENCH_SAMPLES × featureSize (network input, noisy for the denoiser)
  targets: Float32Array; // labels, or clean features
  featureShape: number[];
  targetShape: number[];
  targetIsFeatures: boolean;
  noisyInput: boolean;
  lr: number;
  /** Raw float32 files of `features` and `targets` for PyTorch, when they are not MNIST's (set once the bench's folder exists). */
  data?: { features: string; targets: string };
}

export function loadWorkload(name: string): Workload | string {
  const path = join(ROOT, 'examples', `${name}.json`);
  if (!existsSync(path)) return `examples/${name}.json not found`;
  const graph = withDefaults(JSON.parse(readFileSync(path, 'utf8')) as GraphIR);
  const inputs = graph.nodes.filter((n) => n.op === 'Input');
  const featureInput = inputs.find((n) => n.attrs.source !== 'target')?.id;
  const targetInput = inputs.find((n) => n.attrs.source === 'target')?.id;
  if (!featureInput || !targetInput) return `${name}: needs a features Input and a target Input`;
  const own = graph.training?.dataset;
  // A design made for another set (the tiny GPT's text) trains on its own samples; the rest on MNIST's.
  const ds = (own && !own.name.includes('mnist') ? loadDataset(own, graph.training!.seed) : loadDataset({ name: 'mnist' })).train;
  if (ds.count < BENCH_SAMPLES) return `${name}: its dataset has ${ds.count} samples, fewer than the bench's ${BENCH_SAMPLES}`;
  const size = ds.features.length / ds.count;
  const clean = ds.features.subarray(0, BENCH_SAMPLES * size);
  const targetIsFeatures = graph.training?.dataset.target === 'features';
  const transform = graph.training?.dataset.transform;
  const noisyInput = transform?.kind === 'gaussian-noise';
  let features: Float32Array = Float32Array.from(clean);
  if (noisyInput) {
    // Same corruption the trainer applies (N(0, std²), clipped to [0, 1]); fixed once here.
    let s = 12345;
    const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const std = transform.std;
    features = features.map((v) => {
      const g = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
      return Math.min(1, Math.max(0, v + std * g));
    });
  }
  // A label per sample, or one per step (a language model's next characters).
  const perTarget = ds.targets.length / ds.count;
  const targets = targetIsFeatures ? Float32Array.from(clean) : Float32Array.from(ds.targets.subarray(0, BENCH_SAMPLES * perTarget));
  const featureShape = [...(graph.nodes.find((n) => n.id === featureInput)!.attrs.shape as number[])];
  const targetShape = targetIsFeatures || perTarget > 1 ? [...(graph.nodes.find((n) => n.id === targetInput)!.attrs.shape as number[])] : [];
  const opt = graph.training?.optimizer;
  return { name, graph, featureInput, targetInput, features, targets, featureShape, targetShape, targetIsFeatures, noisyInput, lr: opt?.lr ?? 1e-3 };
}
