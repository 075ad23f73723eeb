/**
 * int8 inference against float32 inference, both the engine's own on the CPU backend (#85
 * deliverable 2): batch-1 latency and batch-32 throughput of the MNIST CNN and MLP
 * (examples/mnist-cnn.json, mnist-mlp.json), the U-Net (shapes-segmentation.json) and an imported
 * mobilenet_v3_small (the tests' fixture, 64×64, a new head of 10 classes), float32 through `inferencePlan` (the WebAssembly SIMD
 * float kernels) and int8 through `int8Inference` (kernels/int8.wat's integer dot products), each
 * call timed as the Quantize… side by side times it (core/quantize/side-by-side.ts: the input's
 * normalisation or quantisation included).
 *
 * The weights are the examples' seeded initialisation and the activations calibrated (min-max) on
 * 64 random images: speed does not depend on what the weights learned (no kernel skips zeros).
 * `BENCH_ROUNDS` rounds (default 5) interleave the four measurements of each model and thread
 * count, so both forms see the same load; each round gives one ratio float ÷ int8 per figure,
 * reported as the median [min–max] of the rounds, by the wall clock and by the process's CPU time
 * (all threads; on a loaded machine the scheduler decides the wall clock of long calls, and CPU time
 * moves less). The pure-TypeScript int8 (`runInt8`) is timed
 * once beside them. The CPU model and the load average before and after are printed: on a shared
 * machine, a spread past ~20 % says someone else's work decided the figure.
 *
 * NOTE (how the CNN's int8 got past 2×, 2026-11-29): float32 runs the 14×14 3×3 layer as Winograd
 * F(4×4, 3×3) (kernels/winograd.wat: 4× fewer products than direct), and one `i32x4.dot_i16x8_s`
 * does 8 products where a float32 multiply-add does 4, so direct int8 ran that layer in float32's
 * time and the whole CNN at 1.1× (V8's code for int8Dense's inner loop, `node --print-wasm-code`:
 * 6 loads, 8 vpmaddwd, 8 vpaddd a step, nothing spilled). Integer Winograd F(2×2, 3×3) (2.25× fewer;
 * F(4×4)'s transforms have fractions whose common scale would not fit 16 bits) took it to 1.75×,
 * its 16 planes a cache line off whole pages 2.05×, sixteen channels a tile 2.16× (wall clock, CPU
 * time 2.54×). The MLP's layers are plain products, where the 2× shows directly.
 *
 * Run: `npx tsx bench/int8.ts` (env: BENCH_ROUNDS, BENCH_SECONDS per measurement (default 0.5),
 * BENCH_THREADS=1,2 (default 1 and all), BENCH_MODELS=mnist-cnn,mnist-mlp,shapes-segmentation,mobilenet_v3_small
 * (default the first two), BENCH_PROFILE=1: int8's time per kind of step first; BENCH_PROFILE=layers: per layer too).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Rng } from '../src-engine/base/rng';
import { inferencePlan } from '../src-engine/core/export/infer';
import { normalized, quantizeModel, runInt8 } from '../src-engine/core/quantize/int8';
import { quantizationPlan, sampleSize } from '../src-engine/core/quantize/plan';
import { int8Inference } from '../src-engine/core/quantize/runtime';
import { createCpuBackend, defaultThreadCount, enableRelaxedSimd } from '../src-engine/node/cpu';
import { median } from './ratio';
import { benchModel } from './quantize-models';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 0.5);
const THREADS = (process.env.BENCH_THREADS ?? `1,${defaultThreadCount()}`).split(',').map(Number).filter((t, i, a) => t > 0 && a.indexOf(t) === i);
const MODELS = (process.env.BENCH_MODELS ?? 'mnist-cnn,mnist-mlp').split(',');
const BATCH = 32;
const PROFILE_LAYERS = process.env.BENCH_PROFILE === 'layers';
const PROFILE = process.env.BENCH_PROFILE === '1' || PROFILE_LAYERS;

/**
 * Where int8's time goes, per kind of step: the median over 20 profiled calls at batch 1 and 5 at
 * batch 32 of each kind's summed milliseconds (the steps timed one by one, so the sum runs above an
 * untimed call by the timer's cost).
 */
function profileSteps(profile: NonNullable<ReturnType<typeof int8Inference>['profile']>, one: Float32Array, b32: Float32Array): void {
  for (const [label, x, count, calls] of [['batch 1', one, 1, 20], ['batch 32', b32, BATCH, 5]] as const) {
    for (let i = 0; i < 3; i++) profile(x, count);
    const byKind = new Map<string, { n: number; ms: number[] }>();
    for (let c = 0; c < calls; c++) {
      const sums = new Map<string, { n: number; ms: number }>();
      for (const s of profile(x, count)) sums.set(s.what, { n: (sums.get(s.what)?.n ?? 0) + 1, ms: (sums.get(s.what)?.ms ?? 0) + s.ms });
      for (const [k, v] of sums) byKind.set(k, { n: v.n, ms: [...(byKind.get(k)?.ms ?? []), v.ms] });
    }
    const rows = [...byKind].map(([k, v]) => [k, v.n, median(v.ms)] as const).sort((a, b) => b[2] - a[2]);
    const total = rows.reduce((a, r) => a + r[2], 0);
    console.log(`  int8 profile at ${label}: ${total.toFixed(3)} ms summed; ${rows.map(([k, n, ms]) => `${k} ×${n} ${ms.toFixed(3)} ms (${((100 * ms) / total).toFixed(0)} %)`).join(', ')}`);
    if (PROFILE_LAYERS) {
      const byStep = new Map<string, number[]>();
      for (let c = 0; c < calls; c++) for (const s of profile(x, count)) byStep.set(`${s.id} (${s.what})`, [...(byStep.get(`${s.id} (${s.what})`) ?? []), s.ms]);
      console.log(`    by layer: ${[...byStep].map(([k, ms]) => `${k} ${(1000 * median(ms)).toFixed(1)} µs`).join(', ')}`);
    }
  }
}


/** One measurement: median wall milliseconds per call, and the process's CPU milliseconds per call (all its threads). */
interface Timing {
  wall: number;
  cpu: number;
}

/** `f` over ~SECONDS (at least 5 calls, after 3 to warm up). */
function timed(f: () => void): Timing {
  for (let i = 0; i < 3; i++) f();
  const times: number[] = [];
  const start = performance.now();
  const c0 = process.cpuUsage();
  while (times.length < 5 || performance.now() - start < SECONDS * 1000) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  return { wall: median(times), cpu: (c.user + c.system) / 1000 / times.length };
}

const spread = (xs: number[]) => `${median(xs).toFixed(2)}× [${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}]`;

async function main(): Promise<void> {
  const fma = enableRelaxedSimd();
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? 'unknown CPU';
  console.log(`int8 vs float32 inference, ${cpu}, ${cpus().length} cores, Node ${process.versions.node}${fma ? ', float kernels with relaxed FMA' : ''}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${ROUNDS} rounds of ${SECONDS} s per measurement; 'int8 faster by': float32's time per call ÷ int8's (latency and throughput alike), median [min–max] of the rounds\n`);
  for (const name of MODELS) {
    const model = benchModel(name);
    const rng = new Rng(1);
    const n0 = sampleSize(quantizationPlan(model).inputShape);
    const x = Float32Array.from({ length: 64 * n0 }, () => rng.uniform());
    const q = quantizeModel(model, normalized(model, x, 64), 64, 'minmax');
    const one = x.subarray(0, n0);
    const b32 = x.subarray(0, BATCH * n0);
    const t0 = performance.now();
    runInt8(q, b32, BATCH);
    const pureTs = (performance.now() - t0) / BATCH;
    for (const threads of THREADS) {
      const backend = await createCpuBackend({ threads });
      try {
        const int8 = int8Inference(q, backend);
        if (!int8.kind.startsWith('WebAssembly SIMD')) throw new Error(`${name}: the int8 kernels do not cover it (${int8.kind})`);
        if (int8.kind !== 'WebAssembly SIMD') console.log(`${name}: int8 run by ${int8.kind}`);
        if (PROFILE && int8.profile) profileSteps(int8.profile.bind(int8), one, b32);
        const plan1 = inferencePlan(model, 1, backend);
        const plan32 = inferencePlan(model, BATCH, backend);
        const float1 = () => {
          plan1.input(q.plan.input).data.set(normalized(model, one, 1));
          plan1.forward(false);
        };
        const float32 = () => {
          plan32.input(q.plan.input).data.set(normalized(model, b32, BATCH));
          plan32.forward(false);
        };
        type Row = Record<'f1' | 'i1' | 'f32' | 'i32', Timing>;
        const rows: Row[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          // Alternate which form goes first, so neither always meets the other's leftovers.
          const row = {} as Row;
          for (const o of r % 2 === 0 ? ['f', 'i'] : ['i', 'f']) {
            if (o === 'f') {
              row.f1 = timed(float1);
              row.f32 = timed(float32);
            } else {
              row.i1 = timed(() => int8.run(one, 1));
              row.i32 = timed(() => int8.run(b32, BATCH));
            }
          }
          rows.push(row);
        }
        const med = (k: keyof Row, c: keyof Timing) => median(rows.map((r) => r[k][c]));
        const us = (ms: number) => `${(1000 * ms).toFixed(1)} µs`;
        const rate = (ms: number) => `${Math.round((1000 * BATCH) / ms)}/s`;
        console.log(`${name}, ${threads} thread${threads === 1 ? '' : 's'} (wall clock; CPU time in brackets):`);
        for (const [label, one1, many, show] of [['batch 1 latency    ', 'f1', 'i1', us], ['batch 32 throughput', 'f32', 'i32', rate]] as const) {
          const ratio = (c: keyof Timing) => spread(rows.map((r) => r[one1][c] / r[many][c]));
          console.log(`  ${label} float32 ${show(med(one1, 'wall'))} (${show(med(one1, 'cpu'))})   int8 ${show(med(many, 'wall'))} (${show(med(many, 'cpu'))})   int8 faster by ${ratio('wall')} (CPU ${ratio('cpu')})`);
        }
        console.log(`  rounds, wall µs f1 i1 f32 i32: ${rows.map((r) => [r.f1, r.i1, r.f32, r.i32].map((t) => (1000 * t.wall).toFixed(0)).join(' ')).join(' | ')}`);
      } finally {
        backend.dispose();
      }
    }
    console.log(`  int8 in pure TypeScript (runInt8, before these kernels): ${pureTs.toFixed(2)} ms a sample at batch ${BATCH}\n`);
  }
  console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

void main();
