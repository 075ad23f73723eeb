/**
 * The WebGPU backend on a real GPU beside PyTorch CUDA (issue #47, deliverable 5): the bench's five
 * training workloads and its GEMMs, 4096³ included, held against the adapter's measured fp32 FMA
 * peak. A GPU machine here has neither this repository's node_modules nor the MNIST/fortunes data,
 * so the work is split in two:
 *
 *   npx tsx bench/gpu-device.ts dump <dir>   (here)  the workloads as bench/run.ts builds them —
 *                                                    graph, settings and BENCH_SAMPLES of data as
 *                                                    raw float32 — into <dir>/workloads.json
 *   node gpu-device.mjs run <dir>            (there) this file bundled (esbuild, `webgpu` left
 *                                                    external), on the adapter Dawn finds; prints
 *                                                    one JSON line `gpu-device {…}`
 *   python3 bench/torch_cuda.py <dir>        (there) the same workloads and GEMMs in PyTorch on CUDA
 *
 * bench/gpu-device.sh is the whole device-side run; docs/webgpu-backend.md ("On a real GPU") has
 * the figures and how they were obtained.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adapterName } from '../src-engine/core/gpu/context';
import { Rng } from '../src-engine/base/rng';
import { analyzeGraph } from '../src-engine/core/analysis/validate';
import { GEMM_TILES, GEMM_TILE_CANDIDATES, type GemmTile, type GpuDispatch } from '../src-engine/core/gpu/gemm';
import { CONV_TILES, CONV_TILE_WIDE, conv2dKernel, convTile } from '../src-engine/core/gpu/kernels/conv';
import { conv2dPlan } from '../src-engine/core/ops/conv2d';
import { formatKernelTable } from '../src-engine/core/gpu/passes';
import { acquireNodeGpu } from '../src-engine/node/gpu/device';
import { benchGpu, gemmGflops, timeDispatches, type GpuWorkload } from './gpu';
import { BATCH, BENCH_SAMPLES, randomSamples, REAL_WORKLOADS, resolveWorkload } from './workloads';

const MODELS = (process.env.BENCH_MODELS ?? ['mnist-mlp', 'mnist-cnn', 'mnist-denoise-ae', 'mnist-lstm', 'tiny-gpt', ...REAL_WORKLOADS].join(',')).split(',').filter(Boolean);
/** The CPU bench's GEMM sizes; bench/gpu.ts adds 4096³ on a real adapter. */
const GEMM_SIZES: [number, number, number][] = [
  [64, 784, 128],
  [256, 256, 256],
  [1024, 1024, 1024],
];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
/** The dumped workloads a run trains (BENCH_RUN_MODELS, comma-separated; all when unset): a short A/B run on the device. */
const RUN_MODELS = process.env.BENCH_RUN_MODELS?.split(',').filter(Boolean);
/** Profile one step of each workload kernel by kernel (timestamp queries), unless BENCH_GPU_PROFILE=0. */
const PROFILE = process.env.BENCH_GPU_PROFILE !== '0';

/** One workload on disk: what bench/torch_cuda.py's `bench_train` takes, plus our side's input names. */
interface DumpedWorkload {
  name: string;
  graph: GpuWorkload['graph'];
  featureInput: string;
  targetInput: string;
  lr: number;
  batch: number;
  featureShape: number[];
  targetShape: number[];
  targetIsFeatures: boolean;
  noisyInput: boolean;
  /** Samples in the data files (a whole number of batches). */
  samples: number;
  /** File names inside the dump's folder: raw float32, `samples` samples. */
  data: { features: string; targets: string };
  /**
   * The data are `randomSamples(featureShape, targetShape, samples, classes)` (a real-size
   * workload's random images): made again there by `run`, which writes the files for PyTorch.
   */
  random?: { classes?: number };
  /** PyTorch trains torchvision's own module (bench/torch_bench.py). */
  torchvision?: { model: string; classes: number; frozen: boolean };
}

function dump(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const out: DumpedWorkload[] = [];
  for (const name of MODELS) {
    const w = resolveWorkload(name);
    if (typeof w === 'string') throw new Error(w);
    const data = { features: `${name}.features.f32`, targets: `${name}.targets.f32` };
    // A real-size workload's 64 random images are 38 MB: made again on the machine, not carried.
    const random = w.torchvision ? { classes: w.torchvision.classes } : undefined;
    if (!random) {
      writeFileSync(join(dir, data.features), Buffer.from(w.features.buffer, w.features.byteOffset, w.features.byteLength));
      writeFileSync(join(dir, data.targets), Buffer.from(w.targets.buffer, w.targets.byteOffset, w.targets.byteLength));
    }
    const { graph, featureInput, targetInput, lr, batch, samples, featureShape, targetShape, targetIsFeatures, noisyInput, torchvision } = w;
    out.push({ name, graph, featureInput, targetInput, lr, batch, samples, featureShape, targetShape, targetIsFeatures, noisyInput, data, ...(random ? { random } : {}), ...(torchvision ? { torchvision } : {}) });
  }
  writeFileSync(join(dir, 'workloads.json'), JSON.stringify({ samples: BENCH_SAMPLES, gemm: GEMM_SIZES, workloads: out }));
  console.log(`gpu-device: ${out.length} workloads in ${dir}`);
}

const f32 = (path: string): Float32Array => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

async function run(dir: string): Promise<void> {
  const spec = JSON.parse(readFileSync(join(dir, 'workloads.json'), 'utf8')) as { samples: number; gemm: [number, number, number][]; workloads: DumpedWorkload[] };
  const workloads: GpuWorkload[] = spec.workloads.filter((w) => RUN_MODELS?.includes(w.name) ?? true).map((w) => {
    if (w.random) {
      const made = randomSamples(w.featureShape, w.targetShape, w.samples, w.random.classes);
      writeFileSync(join(dir, w.data.features), made.features);
      writeFileSync(join(dir, w.data.targets), made.targets);
    }
    return {
      name: w.name,
      graph: w.graph,
      featureInput: w.featureInput,
      targetInput: w.targetInput,
      lr: w.lr,
      batch: w.batch,
      samples: w.samples,
      features: f32(join(dir, w.data.features)),
      targets: f32(join(dir, w.data.targets)),
    };
  });
  const t0 = performance.now();
  const results = await benchGpu(spec.gemm, workloads, { batch: BATCH, samples: spec.samples, seconds: SECONDS, profile: PROFILE });
  if ('profiles' in results && results.profiles) {
    for (const w of workloads) {
      const records = results.profiles[w.name];
      if (records) console.log(`\nprofile ${w.name} (one step, batch ${w.batch ?? BATCH}, median of 3):\n${formatKernelTable(records, 25)}`);
    }
  }
  console.log(`gpu-device ${JSON.stringify({ ...results, seconds: SECONDS, wallSeconds: (performance.now() - t0) / 1000 })}`);
}

/** Every GEMM tile at square sizes from 512 to 4096: which tile `chooseGemmTile` should pick on this adapter. */
async function tiles(): Promise<void> {
  // Candidate shapes beside the built-in ones: BENCH_TILES='[{"name":…,"wx":…,"wy":…,"tm":…,"tn":…,"bk":…}]'.
  const extra = JSON.parse(process.env.BENCH_TILES ?? '[]') as GemmTile[];
  const { ctx } = await acquireNodeGpu({ allowFallback: true });
  const table: Record<string, Record<string, number>> = {};
  try {
    for (const s of [512, 1024, 2048, 4096]) {
      for (const tile of [...Object.values(GEMM_TILES), ...GEMM_TILE_CANDIDATES, ...extra]) {
        (table[s] ??= {})[tile.name] = await gemmGflops(ctx, s, s, s, SECONDS / 2, tile).catch(() => NaN);
      }
    }
  } finally {
    ctx.dispose();
  }
  console.log(`gpu-device tiles ${JSON.stringify({ adapter: adapterName(ctx.adapter), gflops: table })}`);
}

/**
 * Each distinct convolution of the real-size workloads (their graphs in the dump, batch 16): its
 * forward, dx and dW timed alone with every conv tile and the wide one (the best of REPS after a
 * warm-up), beside the tile `convTile` picks; then the cost of moving one batch of 224×224 images
 * to the device (the step's upload), through writeBuffer and through a reused mapped buffer.
 */
async function convTiles(dir: string): Promise<void> {
  const spec = JSON.parse(readFileSync(join(dir, 'workloads.json'), 'utf8')) as { workloads: DumpedWorkload[] };
  const { ctx } = await acquireNodeGpu({ allowFallback: true });
  const reps = Number(process.env.REPS ?? 5);
  const rng = new Rng(1);
  const filled = (n: number) => {
    const t = ctx.createTensor(n);
    ctx.write(t, Float32Array.from({ length: n }, () => rng.normal()));
    return t;
  };
  const time = (d: readonly GpuDispatch[]) => timeDispatches(ctx, d, reps);
  const seen = new Set<string>();
  const rows: Record<string, unknown>[] = [];
  // Candidate shapes beside the built-in ones, as for `tiles`: BENCH_CONV_TILES='[{"name":…,"wx":…,"wy":…,"tm":…,"tn":…,"bk":…,"v4":…,"pipe":…}]'.
  const timed = [...CONV_TILES, CONV_TILE_WIDE, ...(JSON.parse(process.env.BENCH_CONV_TILES ?? '[]') as GemmTile[])];
  try {
    for (const w of spec.workloads.filter((x) => x.torchvision && !x.torchvision.frozen && (!RUN_MODELS || RUN_MODELS.includes(x.name)))) {
      const a = analyzeGraph(w.graph, { batchSize: w.batch });
      for (const node of w.graph.nodes.filter((n) => n.op === 'Conv2d')) {
        const input = a.shapes[node.inputs[0]]!;
        const out = a.shapes[node.id]!;
        const attrs = a.graph!.nodes.find((n) => n.id === node.id)!.attrs;
        const key = JSON.stringify([input, attrs.outChannels, attrs.kernelSize, attrs.stride, attrs.padding, attrs.groups]);
        if (seen.has(key)) continue;
        seen.add(key);
        const c = conv2dPlan(input, attrs);
        const x = filled(input.reduce((p, q) => p * q, 1));
        const weight = filled(c.outC * (c.inC / c.groups) * c.k[0] * c.k[1]);
        const dy = filled(out.reduce((p, q) => p * q, 1));
        const y = ctx.createTensor(dy.length);
        const dx = ctx.createTensor(x.length);
        const dW = ctx.createTensor(weight.length);
        const row: Record<string, unknown> = { conv: `${w.name} ${input.join('×')} → ${c.outC} k${c.k.join('×')} s${c.s.join('×')} g${c.groups}`, picked: [convTile(c.outC / c.groups, c.n * c.outH * c.outW, { taps: c.k[0] * c.k[1], pass: 'fwd' }).name, convTile(c.outC / c.groups, (c.inC / c.groups) * c.k[0] * c.k[1], { taps: c.k[0] * c.k[1], pass: 'dw' }).name].join('/') };
        // The forward, dx and dW of this convolution timed alone, on a forced tile or split target.
        const passes = async (force: { tile?: GemmTile; splitWorkgroups?: number }): Promise<number[]> => {
          const d = conv2dKernel.prepare({
            ctx, nodeId: node.id, attrs, inputShapes: [input], outputShape: out, inputs: [x], output: y, params: { weight }, dParams: { weight: dW },
            buffers: {}, dOutput: dy, dInputs: [dx], workspace: (label, length) => ctx.createTensor(length, label), status: ctx.createTensor(2), rng: new Rng(0), ...force,
          } as Parameters<typeof conv2dKernel.prepare>[0]);
          const times = [await time(d.forward), await time(d.backward.filter((b) => b.label.includes(':dx'))), await time(d.backward.filter((b) => b.label.includes(':dw')))];
          return times.map((t) => Number(t.toFixed(3)));
        };
        for (const tile of timed) {
          try {
            row[tile.name] = await passes({ tile });
          } catch (e) {
            // A candidate this adapter refuses (a shader it fails to compile) is recorded, and the sweep goes on.
            row[tile.name] = String((e as Error).message).slice(0, 200);
          }
        }
        // The tiles convTile picks with another split target (BENCH_CONV_SPLITS=128,512: the workgroups a split sum aims for).
        for (const target of (process.env.BENCH_CONV_SPLITS ?? '').split(',').filter(Boolean).map(Number)) row[`split${target}`] = await passes({ splitWorkgroups: target });
        rows.push(row);
        console.log(`convtile ${JSON.stringify(row)}`);
      }
    }
    // One batch of 16 images at 3×224×224 onto the device, as each step's upload.
    const n = 16 * 3 * 224 * 224;
    const data = Float32Array.from({ length: n }, () => rng.normal());
    const t = ctx.createTensor(n);
    let write = Infinity;
    for (let r = 0; r <= reps; r++) {
      const t0 = performance.now();
      ctx.write(t, data);
      await ctx.device.queue.onSubmittedWorkDone();
      if (r > 0) write = Math.min(write, performance.now() - t0);
    }
    const staging = ctx.device.createBuffer({ size: n * 4, usage: 0x2 | 0x4 }); // MAP_WRITE | COPY_SRC
    let mapped = Infinity;
    for (let r = 0; r <= reps; r++) {
      const t0 = performance.now();
      await staging.mapAsync(0x2);
      new Float32Array(staging.getMappedRange()).set(data);
      staging.unmap();
      const enc = ctx.device.createCommandEncoder();
      enc.copyBufferToBuffer(staging, 0, t.buffer, 0, n * 4);
      ctx.device.queue.submit([enc.finish()]);
      await ctx.device.queue.onSubmittedWorkDone();
      if (r > 0) mapped = Math.min(mapped, performance.now() - t0);
    }
    const copy = new Float32Array(n);
    const c0 = performance.now();
    copy.set(data);
    console.log(`upload ${JSON.stringify({ megabytes: (n * 4) / 1e6, writeBufferMs: write, mappedMs: mapped, jsCopyMs: performance.now() - c0 })}`);
  } finally {
    ctx.dispose();
  }
}

const [command, dir] = process.argv.slice(2);
if (command === 'dump' && dir) dump(dir);
else if (command === 'run' && dir) await run(dir);
else if (command === 'tiles') await tiles();
else if (command === 'convtiles' && dir) await convTiles(dir);
else {
  console.error('usage: gpu-device.ts dump <dir> | run <dir> | tiles | convtiles <dir>');
  process.exit(2);
}
