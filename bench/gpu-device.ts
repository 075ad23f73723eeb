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
import { GEMM_TILES, type GemmTile } from '../src-engine/core/gpu/gemm';
import { acquireNodeGpu } from '../src-engine/node/gpu/device';
import { benchGpu, gemmGflops, type GpuWorkload } from './gpu';
import { BATCH, BENCH_SAMPLES, loadWorkload } from './workloads';

const MODELS = (process.env.BENCH_MODELS ?? 'mnist-mlp,mnist-cnn,mnist-denoise-ae,mnist-lstm,tiny-gpt').split(',').filter(Boolean);
/** The CPU bench's GEMM sizes; bench/gpu.ts adds 4096³ on a real adapter. */
const GEMM_SIZES: [number, number, number][] = [
  [64, 784, 128],
  [256, 256, 256],
  [1024, 1024, 1024],
];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

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
  /** File names inside the dump's folder: raw float32, BENCH_SAMPLES samples. */
  data: { features: string; targets: string };
}

function dump(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const out: DumpedWorkload[] = [];
  for (const name of MODELS) {
    const w = loadWorkload(name);
    if (typeof w === 'string') throw new Error(w);
    const data = { features: `${name}.features.f32`, targets: `${name}.targets.f32` };
    writeFileSync(join(dir, data.features), Buffer.from(w.features.buffer, w.features.byteOffset, w.features.byteLength));
    writeFileSync(join(dir, data.targets), Buffer.from(w.targets.buffer, w.targets.byteOffset, w.targets.byteLength));
    const { graph, featureInput, targetInput, lr, featureShape, targetShape, targetIsFeatures, noisyInput } = w;
    out.push({ name, graph, featureInput, targetInput, lr, batch: BATCH, featureShape, targetShape, targetIsFeatures, noisyInput, data });
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
  const workloads: GpuWorkload[] = spec.workloads.map((w) => ({
    name: w.name,
    graph: w.graph,
    featureInput: w.featureInput,
    targetInput: w.targetInput,
    lr: w.lr,
    features: f32(join(dir, w.data.features)),
    targets: f32(join(dir, w.data.targets)),
  }));
  const t0 = performance.now();
  const results = await benchGpu(spec.gemm, workloads, { batch: BATCH, samples: spec.samples, seconds: SECONDS });
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
      for (const tile of [...Object.values(GEMM_TILES), ...extra]) (table[s] ??= {})[tile.name] = await gemmGflops(ctx, s, s, s, SECONDS / 2, tile);
    }
  } finally {
    ctx.dispose();
  }
  console.log(`gpu-device tiles ${JSON.stringify({ adapter: adapterName(ctx.adapter), gflops: table })}`);
}

const [command, dir] = process.argv.slice(2);
if (command === 'dump' && dir) dump(dir);
else if (command === 'run' && dir) await run(dir);
else if (command === 'tiles') await tiles();
else {
  console.error('usage: gpu-device.ts dump <dir> | run <dir> | tiles');
  process.exit(2);
}
