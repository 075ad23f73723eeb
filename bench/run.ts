/**
 * `npm run bench`: training throughput and GEMM speed of the CPU (WebAssembly SIMD) backend, with
 * 1 thread and all threads, side by side with PyTorch on the same machine when
 * `/usr/bin/python3 -c "import torch"` works. Prints a table and writes
 * `bench/results/<date>-<host>.json`.
 *
 * Options (env): BENCH_SECONDS (per measurement, default 2), BENCH_PASSES (alternating passes of
 * ours and PyTorch, best kept; default 2), BENCH_SKIP_TORCH=1, BENCH_MODELS (comma list, default
 * mnist-mlp,mnist-cnn,mnist-denoise-ae,mnist-lstm), BENCH_SKIP_GPU=1. The `gpu` column (bench/gpu.ts) is the
 * WebGPU backend on the adapter Dawn finds; on a fallback adapter (SwiftShader) its figures are a
 * CPU emulation's, labelled as such below the table.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileGraph } from '../src-engine/core/autodiff/executor';
import type { Backend } from '../src-engine/core/backend/types';
import type { GraphIR, NodeIR } from '../src-engine/base/ir/types';
import { createCpuBackend, defaultThreadCount, type CpuBackend } from '../src-engine/node/cpu';
import { benchGpu, type GpuResults } from './gpu';
import { loadDataset } from '../src-engine/node/datasets';
import { getOp } from '../src-engine/core/ops/registry';
import type { AttrValue } from '../src-engine/core/ops/types';
import { createOptimizer } from '../src-engine/core/optim';
import type { TrainableGraph } from '../src-engine/core/train/types';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const PASSES = Math.max(1, Number(process.env.BENCH_PASSES ?? 2));
const BATCH = 64;
const GEMM_SIZES: [number, number, number][] = [
  [64, 784, 128],
  [256, 256, 256],
  [1024, 1024, 1024],
];
const MODELS = (process.env.BENCH_MODELS ?? 'mnist-mlp,mnist-cnn,mnist-denoise-ae,mnist-lstm').split(',').filter(Boolean);
/** Batches of real MNIST the timed loops cycle through (the same ones PyTorch gets). */
const BENCH_SAMPLES = 64 * 64;

const ALL = defaultThreadCount();
const THREADS = [...new Set([1, ALL])];

interface Results {
  date: string;
  /** `git describe --always --dirty` of the tree measured, when git is available. */
  commit: string;
  host: string;
  node: string;
  cpu: string;
  backend: Record<string, string>;
  gemm: Record<string, Record<string, number>>;
  train: Record<string, Record<string, number | string>>;
  torch?: { version: string; gemm: Record<string, Record<string, number>>; train: Record<string, Record<string, number>> } | { error: string };
  gpu?: GpuResults;
}

function gemmGflops(be: Backend, m: number, k: number, n: number): number {
  const a = be.alloc(m * k).fill(0.5);
  const b = be.alloc(k * n).fill(0.25);
  const c = be.alloc(m * n);
  const flops = 2 * m * n * k;
  const reps = Math.max(1, Math.round(2e8 / flops));
  const run = (): void => be.gemm({ transA: false, transB: false, m, n, k, a, b, c, accumulate: false });
  for (let i = 0; i < 3; i++) run();
  let best = 0;
  const deadline = performance.now() + (SECONDS / 2) * 1000;
  do {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    best = Math.max(best, (flops * reps) / ((performance.now() - t0) / 1000) / 1e9);
  } while (performance.now() < deadline);
  return best;
}

/** The graph with every attr filled from its op's defaults (PyTorch gets the same numbers). */
function withDefaults(graph: GraphIR): GraphIR {
  const nodes: NodeIR[] = graph.nodes.map((n) => {
    const def = getOp(n.op);
    const attrs: Record<string, AttrValue> = {};
    for (const [k, spec] of Object.entries(def?.attrs ?? {})) attrs[k] = spec.default;
    return { ...n, attrs: { ...attrs, ...n.attrs } };
  });
  return { ...graph, nodes };
}

interface Workload {
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
}

function loadWorkload(name: string): Workload | string {
  const path = join(ROOT, 'examples', `${name}.json`);
  if (!existsSync(path)) return `examples/${name}.json not found`;
  const graph = withDefaults(JSON.parse(readFileSync(path, 'utf8')) as GraphIR);
  const inputs = graph.nodes.filter((n) => n.op === 'Input');
  const featureInput = inputs.find((n) => n.attrs.source !== 'target')?.id;
  const targetInput = inputs.find((n) => n.attrs.source === 'target')?.id;
  if (!featureInput || !targetInput) return `${name}: needs a features Input and a target Input`;
  const ds = loadDataset({ name: 'mnist' }).train;
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
  const targets = targetIsFeatures ? Float32Array.from(clean) : Float32Array.from(ds.targets.subarray(0, BENCH_SAMPLES));
  const featureShape = [...(graph.nodes.find((n) => n.id === featureInput)!.attrs.shape as number[])];
  const targetShape = targetIsFeatures ? [...(graph.nodes.find((n) => n.id === targetInput)!.attrs.shape as number[])] : [];
  const opt = graph.training?.optimizer;
  return { name, graph, featureInput, targetInput, features, targets, featureShape, targetShape, targetIsFeatures, noisyInput, lr: opt?.lr ?? 1e-3 };
}

/**
 * Best samples/s of full training steps (copy the batch in, forward, backward, Adam step) on a
 * graph compiled once, as the trainer runs it; warm-up steps first.
 */
function trainSamplesPerSec(be: Backend, w: Workload): number {
  const g: TrainableGraph = compileGraph(w.graph, { batchSize: BATCH, backend: be, seed: 0 });
  const opt = createOptimizer({ kind: 'adam', lr: w.lr }, g.params, be);
  const x = g.input(w.featureInput).data;
  const y = g.input(w.targetInput).data;
  const fs = x.length;
  const ts = y.length;
  const nb = BENCH_SAMPLES / BATCH;
  let i = 0;
  const step = (): void => {
    const b = i++ % nb;
    x.set(w.features.subarray(b * fs, (b + 1) * fs));
    y.set(w.targets.subarray(b * ts, (b + 1) * ts));
    g.forward(true);
    g.backward();
    opt.step();
  };
  for (let k = 0; k < 10; k++) step();
  let best = 0;
  const deadline = performance.now() + SECONDS * 1000;
  do {
    const t0 = performance.now();
    let steps = 0;
    while (performance.now() - t0 < (SECONDS / 3) * 1000 || steps < 5) {
      step();
      steps++;
    }
    best = Math.max(best, (steps * BATCH) / ((performance.now() - t0) / 1000));
  } while (performance.now() < deadline);
  return best;
}

function gitDescribe(): string {
  const r = spawnSync('git', ['describe', '--always', '--dirty', '--exclude', '*'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function torchAvailable(): boolean {
  if (process.env.BENCH_SKIP_TORCH) return false;
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  return r.status === 0;
}

function runTorch(workloads: Workload[]): Results['torch'] {
  const dir = join(tmpdir(), `netwright-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const featPath = join(dir, 'features.f32');
  const labelPath = join(dir, 'labels.f32');
  const ds = loadDataset({ name: 'mnist' }).train;
  const size = ds.features.length / ds.count;
  writeFileSync(featPath, Buffer.from(ds.features.slice(0, BENCH_SAMPLES * size).buffer));
  writeFileSync(labelPath, Buffer.from(ds.targets.slice(0, BENCH_SAMPLES).buffer));
  const request = {
    threads: THREADS,
    gemm: GEMM_SIZES,
    seconds: SECONDS,
    data: { features: featPath, labels: labelPath, n: BENCH_SAMPLES },
    models: workloads.map((w) => ({
      name: w.name,
      batch: BATCH,
      graph: w.graph,
      lr: w.lr,
      featureShape: w.featureShape,
      targetShape: w.targetShape,
      targetIsFeatures: w.targetIsFeatures,
      noisyInput: w.noisyInput,
    })),
  };
  try {
    const out = execFileSync('/usr/bin/python3', [join(ROOT, 'bench/torch_bench.py')], {
      input: JSON.stringify(request),
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const r = JSON.parse(out) as { torch: string; gemm: Record<string, Record<string, number>>; train: Record<string, Record<string, number>> };
    return { version: r.torch, gemm: r.gemm, train: r.train };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(v: number | string | undefined, digits = 1): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return 'n/a';
  return v >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits);
}

function best(r: Record<string, number | string> | undefined): number | undefined {
  if (!r) return undefined;
  const nums = Object.values(r).filter((v): v is number => typeof v === 'number');
  return nums.length ? Math.max(...nums) : undefined;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const results: Results = {
    date: new Date().toISOString(),
    commit: gitDescribe(),
    host: hostname(),
    node: process.version,
    cpu: (await import('node:os')).cpus()[0]?.model ?? 'unknown',
    backend: {},
    gemm: {},
    train: {},
  };
  const workloads: Workload[] = [];
  for (const name of MODELS) {
    const w = loadWorkload(name);
    if (typeof w === 'string') {
      console.warn(`bench: skipping ${name}: ${w}`);
      results.train[name] = { skipped: w };
    } else workloads.push(w);
  }

  // NOTE: the machine may be shared: ours and PyTorch alternate for BENCH_PASSES passes and each
  // figure is the best over passes, so a burst of someone else's load does not favour either side.
  const keepBest = (row: Record<string, number | string>, key: string, v: number): void => {
    const old = row[key];
    row[key] = typeof old === 'number' ? Math.max(old, v) : v;
  };
  const torchOk = torchAvailable();
  if (!torchOk) {
    console.warn(process.env.BENCH_SKIP_TORCH ? 'bench: PyTorch skipped (BENCH_SKIP_TORCH).' : 'bench: PyTorch not available (/usr/bin/python3 -c "import torch" failed); ours only.');
  }
  for (let pass = 0; pass < PASSES; pass++) {
    for (const t of THREADS) {
      const be: CpuBackend = await createCpuBackend({ threads: t });
      results.backend[String(t)] = be.description;
      try {
        for (const [m, k, n] of GEMM_SIZES) keepBest((results.gemm[`${m}x${k}x${n}`] ??= {}), String(t), gemmGflops(be, m, k, n));
        for (const w of workloads) keepBest((results.train[w.name] ??= {}), String(t), trainSamplesPerSec(be, w));
      } finally {
        be.dispose();
      }
    }
    if (torchOk) {
      const r = runTorch(workloads);
      if (!results.torch || !('version' in results.torch) || !r || 'error' in r) results.torch = r;
      else {
        for (const [key, row] of Object.entries(r.gemm)) for (const [tk, v] of Object.entries(row)) results.torch.gemm[key][tk] = Math.max(results.torch.gemm[key]?.[tk] ?? 0, v);
        for (const [key, row] of Object.entries(r.train)) for (const [tk, v] of Object.entries(row)) results.torch.train[key][tk] = Math.max(results.torch.train[key]?.[tk] ?? 0, v);
      }
    }
  }

  if (!process.env.BENCH_SKIP_GPU) results.gpu = await benchGpu(GEMM_SIZES, workloads, { batch: BATCH, samples: BENCH_SAMPLES, seconds: SECONDS });
  const gpu = results.gpu && 'adapter' in results.gpu ? results.gpu : undefined;

  // — table —
  const torch = results.torch && 'version' in results.torch ? results.torch : undefined;
  const header = ['workload', 'unit', ...THREADS.map((t) => `ours ${t}T`), ...(gpu ? ['ours gpu'] : []), ...(torch ? THREADS.map((t) => `torch ${t}T`) : []), ...(torch ? ['best/best'] : [])];
  const rows: string[][] = [];
  for (const [key, r] of Object.entries(results.train)) {
    const tr = torch?.train[key];
    const ratio = torch && best(r) && best(tr) ? `${(best(r)! / best(tr)!).toFixed(2)}×` : '—';
    const g = gpu?.train[key];
    rows.push([`train ${key} (b${BATCH}, Adam)`, 'samples/s', ...THREADS.map((t) => fmt(r[String(t)])), ...(gpu ? [typeof g === 'string' ? '—' : fmt(g)] : []), ...(torch ? THREADS.map((t) => fmt(tr?.[String(t)])) : []), ...(torch ? [ratio] : [])]);
  }
  for (const [key, r] of Object.entries(results.gemm)) {
    const tg = torch?.gemm[key];
    const ratio = torch && best(r) && best(tg) ? `${(best(r)! / best(tg)!).toFixed(2)}×` : '—';
    rows.push([`GEMM ${key}`, 'GFLOP/s', ...THREADS.map((t) => fmt(r[String(t)])), ...(gpu ? [fmt(gpu.gemm[key], gpu.gemm[key] < 1 ? 3 : 1)] : []), ...(torch ? THREADS.map((t) => fmt(tg?.[String(t)])) : []), ...(torch ? [ratio] : [])]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\nNetwright CPU backend: ${results.backend[String(ALL)]} · ${results.cpu} · Node ${results.node}${torch ? ` · PyTorch ${torch.version}` : ''}`);
  console.log(line(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  if (results.torch && 'error' in results.torch) console.log(`PyTorch run failed: ${results.torch.error}`);
  if (gpu) {
    console.log(`ours gpu: WebGPU on ${gpu.adapter}${gpu.adapter.endsWith('fallback') ? ' — a software adapter (CPU emulation): not a GPU figure' : ''}`);
    console.log(`  fp32 FMA peak, measured: ${fmt(gpu.peak, gpu.peak < 10 ? 2 : 0)} GFLOP/s; GEMM against it: ${Object.entries(gpu.gemm).map(([k, v]) => `${k} ${fmt(v, v < 1 ? 3 : 1)} GFLOP/s (${((100 * v) / gpu.peak).toFixed(gpu.peak > 0 && v / gpu.peak < 0.01 ? 2 : 0)}%)`).join(', ')}`);
    for (const note of gpu.skipped ?? []) console.log(`  ${note}`);
    for (const [key, g] of Object.entries(gpu.train)) if (typeof g === 'string') console.log(`  ${key}: ${g}`);
  } else if (results.gpu && 'error' in results.gpu) console.log(`ours gpu: none (${results.gpu.error})`);

  const outDir = join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${results.date.slice(0, 19).replace(/:/g, '-')}-${results.host}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwrote ${file} (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
}

await main();
