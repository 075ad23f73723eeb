/**
 * The bench's training workloads: an example design (examples/<name>.json, every attr filled from its
 * op's defaults) with BENCH_SAMPLES of its data fixed once, the samples both sides cycle through —
 * ours (bench/run.ts, bench/gpu.ts) and PyTorch's (bench/torch_bench.py; on CUDA
 * bench/torch_cuda.py, through bench/gpu-device.ts).
 *
 * Real sizes (#59, REAL_WORKLOADS): torchvision's resnet18 and mobilenet_v3_small at 224×224, as
 * torch.onnx exports them (random weights, dynamic batch; bench/torchvision_onnx.py, run once into
 * a cache keyed by the script and the torch version), imported as the app imports a file, their
 * 1000-class head replaced by a new 3-class one as "Replace head" does; `-frozen`: the backbone
 * (everything upstream of the head) frozen as the app's "freeze the backbone" does, so only the
 * head trains and the frozen BatchNorms normalise with their running statistics. Batch 16, on
 * REAL_SAMPLES fixed random images (three classes); PyTorch trains torchvision's own module, its
 * head replaced and frozen the same way. `resolveWorkload` also takes an ONNX file or a project
 * (`*.netwright.json`), for bench/profile.ts.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_FORMAT, upgradeProjectGraph } from '../src-engine/base/ir/project';
import { freezeNodes, upstreamNodeIds } from '../src-engine/base/ir/freeze';
import type { GraphIR, NodeIR } from '../src-engine/base/ir/types';
import { Rng } from '../src-engine/base/rng';
import { findClassifierHead, replaceHead } from '../src-engine/core/analysis/classifier';
import { analyzeGraph } from '../src-engine/core/analysis/validate';
import { checkedOrThrow } from '../src-engine/core/analysis/checked';
import { compileGraph } from '../src-engine/core/autodiff/executor';
import type { Backend } from '../src-engine/core/backend/types';
import { modelFromJSON } from '../src-engine/core/export/json';
import type { TrainedModel } from '../src-engine/core/export/model';
import { importOnnx } from '../src-engine/core/import/onnx';
import { getOp } from '../src-engine/core/ops/registry';
import type { AttrValue } from '../src-engine/core/ops/types';
import type { TrainableGraph } from '../src-engine/core/train/types';
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
  /** Training batch size (BATCH, or REAL_BATCH for the real-size ones). */
  batch: number;
  /** Samples in `features` (a whole number of batches): BENCH_SAMPLES, or REAL_SAMPLES. */
  samples: number;
  /** Its samples are not MNIST's: PyTorch reads them from `data`. */
  ownData: boolean;
  /** Weights to start from (an imported model's, a project's), by `nodeId.name`; else the graph's init. */
  weights?: Record<string, Float32Array>;
  /** PyTorch runs torchvision's own module for it (a real-size workload), not the graph mapped op by op. */
  torchvision?: { model: string; classes: number; frozen: boolean };
}

/** The real-size workloads (#59): torchvision at 224×224, new 3-class head; `-frozen`: backbone frozen. */
export const REAL_WORKLOADS = ['resnet18', 'resnet18-frozen', 'mobilenet_v3_small', 'mobilenet_v3_small-frozen'] as const;
/** Batch size of the real-size workloads. */
export const REAL_BATCH = 16;
/** Fixed random images the real-size workloads cycle through (4 batches: 38 MB at 224×224). */
export const REAL_SAMPLES = 4 * REAL_BATCH;
/** Classes of the real-size workloads' new head. */
export const REAL_CLASSES = 3;

const EXPORT_SCRIPT = join(ROOT, 'bench', 'torchvision_onnx.py');

/**
 * bench/torchvision_onnx.py's export of `model`, made once per version of the script and of
 * torch/torchvision (the export is deterministic) under node_modules/.cache/netwright-bench-onnx;
 * older versions are removed. A string when PyTorch is not there to export it.
 */
export function torchvisionOnnx(model: string): string {
  const versions = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision; print(torch.__version__, torchvision.__version__)'], { encoding: 'utf8' });
  if (versions.status !== 0) return `${model}: exporting it needs PyTorch and torchvision (/usr/bin/python3 -c "import torch, torchvision" failed)`;
  const cache = join(ROOT, 'node_modules', '.cache', 'netwright-bench-onnx');
  const key = createHash('sha256').update(readFileSync(EXPORT_SCRIPT)).update(versions.stdout).digest('hex').slice(0, 16);
  const dir = join(cache, key);
  const file = join(dir, `${model}.onnx`);
  if (existsSync(file)) return file;
  const tmp = `${dir}.tmp-${process.pid}`;
  const r = spawnSync('/usr/bin/python3', [EXPORT_SCRIPT, tmp, model], { encoding: 'utf8' });
  if (r.status !== 0) return `${model}: bench/torchvision_onnx.py failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  mkdirSync(dir, { recursive: true });
  renameSync(join(tmp, `${model}.onnx`), file);
  rmSync(tmp, { recursive: true, force: true });
  for (const old of readdirSync(cache)) if (old !== key && !old.includes('.tmp-')) rmSync(join(cache, old), { recursive: true, force: true });
  return file;
}

/** An imported model's weights (and statistics) by `nodeId.name`. */
const weightsOf = (m: TrainedModel): Record<string, Float32Array> => {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries({ ...m.params, ...m.buffers })) if (v instanceof Float32Array) out[k] = v;
  return out;
};

/**
 * A real-size workload (REAL_WORKLOADS): the torchvision export imported, its head replaced by a
 * new REAL_CLASSES-class one called `head`, the backbone frozen for `-frozen`; Adam at 1e-3.
 */
function realWorkload(name: string): Workload | string {
  const frozen = name.endsWith('-frozen');
  const model = frozen ? name.slice(0, -'-frozen'.length) : name;
  const file = torchvisionOnnx(model);
  if (!file.endsWith('.onnx')) return file;
  const imported = importOnnx(readFileSync(file)).model;
  const a = analyzeGraph(imported.graph, { batchSize: 1 });
  const found = a.graph ? findClassifierHead(a.graph, a.shapes) : undefined;
  if (!found) return `${name}: the import is not recognised as a classifier`;
  let graph = replaceHead(imported.graph, found.head, REAL_CLASSES, 'head');
  if (frozen) graph = { ...graph, nodes: freezeNodes(graph.nodes, upstreamNodeIds(graph, ['head']), true) };
  graph = { ...withDefaults(graph), name };
  return synthetic(name, graph, { batch: REAL_BATCH, samples: REAL_SAMPLES, weights: weightsOf(imported), torchvision: { model, classes: REAL_CLASSES, frozen } });
}

/**
 * A design trained on fixed random samples (an imported model, a project whose data is not at
 * hand): features N(0, 1) at its features Input's shape; a classifier's labels cycling over its
 * classes, any other target N(0, 1).
 */
function synthetic(name: string, graph: GraphIR, o: Pick<Workload, 'batch' | 'samples' | 'weights' | 'torchvision'>): Workload | string {
  const inputs = graph.nodes.filter((n) => n.op === 'Input');
  const featureInput = inputs.find((n) => n.attrs.source !== 'target')?.id;
  const targetInput = inputs.find((n) => n.attrs.source === 'target')?.id;
  if (!featureInput || !targetInput) return `${name}: needs a features Input and a target Input`;
  const a = analyzeGraph(graph, { batchSize: 1 });
  const featureShape = a.shapes[featureInput]?.slice(1);
  const targetShape = a.shapes[targetInput]?.slice(1);
  if (!featureShape || !targetShape) return `${name}: its inputs' shapes are unknown (${a.diagnostics?.[0]?.message ?? 'analysis failed'})`;
  const loss = graph.nodes.find((n) => n.inputs.includes(targetInput) && n.op === 'CrossEntropyLoss');
  const classes = loss ? a.shapes[loss.inputs[0]]?.at(-1) : undefined;
  const { features, targets } = randomSamples(featureShape, classes ? [] : targetShape, o.samples, classes);
  const lr = graph.training?.optimizer.lr ?? 1e-3;
  return { name, graph, featureInput, targetInput, features, targets, featureShape, targetShape: classes ? [] : targetShape, targetIsFeatures: false, noisyInput: false, lr, ownData: true, ...o };
}

/**
 * `samples` fixed random samples: features N(0, 1) (one stream, seed 59), and a label cycling over
 * `classes` per sample, or else N(0, 1) targets of `targetShape` from the same stream. The same
 * call gives the same values anywhere (bench/gpu-device.ts makes them again on the GPU machine
 * rather than carry 38 MB of images per real-size workload).
 */
export function randomSamples(featureShape: readonly number[], targetShape: readonly number[], samples: number, classes?: number): { features: Float32Array; targets: Float32Array } {
  const rng = new Rng(59);
  const size = featureShape.reduce((p, d) => p * d, 1);
  const features = Float32Array.from({ length: samples * size }, () => rng.normal());
  const perTarget = targetShape.reduce((p, d) => p * d, 1);
  const targets = classes ? Float32Array.from({ length: samples }, (_, i) => i % classes) : Float32Array.from({ length: samples * perTarget }, () => rng.normal());
  return { features, targets };
}

/**
 * A workload by name (an example design or a real-size one), or from a file: an ONNX model
 * (imported as the app does; trained on random samples at batch 16 unless BATCH says) or a project
 * (`*.netwright.json`, from the weights saved with it; on its dataset when that loads here, else
 * on random samples).
 */
export function resolveWorkload(what: string, batch?: number): Workload | string {
  if ((REAL_WORKLOADS as readonly string[]).includes(what)) return realWorkload(what);
  if (!what.endsWith('.json') && !what.endsWith('.onnx')) return loadWorkload(what);
  if (!existsSync(what)) return `${what}: no such file`;
  const name = basename(what).replace(/\.(netwright\.json|json|onnx)$/, '');
  if (what.endsWith('.onnx')) {
    const imported = importOnnx(readFileSync(what)).model;
    return synthetic(name, withDefaults(imported.graph), { batch: batch ?? REAL_BATCH, samples: 4 * (batch ?? REAL_BATCH), weights: weightsOf(imported) });
  }
  const json = JSON.parse(readFileSync(what, 'utf8')) as Record<string, unknown>;
  if (json.format !== PROJECT_FORMAT) return loadWorkload(what);
  const model = json.model !== undefined ? modelFromJSON(json.model) : undefined;
  const graph = withDefaults(upgradeProjectGraph(Number(json.version), json.graph as GraphIR, model !== undefined));
  const own = loadWorkload(what, graph);
  if (typeof own !== 'string') return { ...own, ...(model ? { weights: weightsOf(model) } : {}) };
  return synthetic(name, graph, { batch: batch ?? BATCH, samples: 4 * (batch ?? BATCH), ...(model ? { weights: weightsOf(model) } : {}) });
}

/**
 * The workload's graph compiled as the trainer runs it (its starting weights copied in), and the
 * parameters its optimizer steps: all but the frozen ones.
 */
export function compileWorkload(w: Workload, be: Backend): { g: TrainableGraph; params: TrainableGraph['params'] } {
  const g = compileGraph(checkedOrThrow(w.graph), { batchSize: w.batch, backend: be, seed: 0 });
  if (w.weights) {
    for (const e of [...g.params, ...g.buffers]) {
      const v = w.weights[`${e.nodeId}.${e.name}`];
      if (v && v.length === e.value.data.length) e.value.data.set(v);
    }
  }
  return { g, params: g.params.filter((p) => !p.frozen) };
}

/** An example design by name (examples/<name>.json), or a graph file, on its own data (MNIST's unless it names another set). */
export function loadWorkload(name: string, design?: GraphIR): Workload | string {
  const path = name.endsWith('.json') ? name : join(ROOT, 'examples', `${name}.json`);
  if (!design && !existsSync(path)) return `examples/${name}.json not found`;
  const graph = design ?? withDefaults(JSON.parse(readFileSync(path, 'utf8')) as GraphIR);
  if (name.endsWith('.json')) name = basename(name).replace(/\.(netwright\.json|json)$/, '');
  const inputs = graph.nodes.filter((n) => n.op === 'Input');
  const featureInput = inputs.find((n) => n.attrs.source !== 'target')?.id;
  const targetInput = inputs.find((n) => n.attrs.source === 'target')?.id;
  if (!featureInput || !targetInput) return `${name}: needs a features Input and a target Input`;
  const own = graph.training?.dataset;
  // A design made for another set (the tiny GPT's text) trains on its own samples; the rest on MNIST's.
  let ds;
  try {
    ds = (own && !own.name.includes('mnist') ? loadDataset(own, graph.training!.seed) : loadDataset({ name: 'mnist' })).train;
  } catch (e) {
    return `${name}: its dataset does not load here (${(e as Error).message.split('\n')[0]})`;
  }
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
  const ownData = own?.name.includes('mnist') === false;
  return { name, graph, featureInput, targetInput, features, targets, featureShape, targetShape, targetIsFeatures, noisyInput, lr: opt?.lr ?? 1e-3, batch: BATCH, samples: BENCH_SAMPLES, ownData };
}
