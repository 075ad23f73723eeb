/**
 * `npx tsx bench/profile.ts [model | file.onnx | project.netwright.json] [threads]`: where a
 * training step's time goes, per op and direction, on the CPU backend (batch 64, Adam; BATCH=N
 * another), on real MNIST batches (a design made for another set, the tiny GPT, on its own). The
 * model is an example design (examples/<name>.json), a real-size bench workload (resnet18,
 * resnet18-frozen, mobilenet_v3_small, mobilenet_v3_small-frozen: 224×224, batch 16, new 3-class
 * head; bench/workloads.ts), an ONNX file (imported as the app does, trained at batch 16 on random
 * samples) or a project (from its saved weights; on its dataset when it loads here, else on random
 * samples). Each op's row also gives the bytes its tensors move (inputs and output read or written
 * once; backward: the output's gradient, the inputs, and the gradients written; the least traffic
 * the op can have) and that over its time; then each kernel's time per step, calls, and where it
 * counts them its GFLOP/s and bytes (KERNEL_FLOPS, KERNEL_BYTES in src-engine/node/cpu/kernel.ts).
 * A design with optimizer groups (a GAN) steps each group in turn,
 * as training does (an op's figure sums its calls in both). A diagnostic for #4; the
 * timings wrap each op call, so they add a little overhead of their own. Each figure is the
 * median over steps (robust to other jobs on a shared machine); STEPS=N sets the count.
 * CLOCK=cpu times with this process's CPU time (`process.cpuUsage`) instead of the wall clock: on
 * 1 thread that counts the work alone, not the time other jobs held the core (a busy machine's
 * wall times are mostly waiting); with workers it adds their CPU time, spinning included.
 * The kernels are the app engine's: relaxed-SIMD fused multiply-adds where the runtime has them
 * (`enableRelaxedSimd`); FMA=0 profiles them without.
 */
import { createCpuBackend, enableRelaxedSimd } from '../src-engine/node/cpu';
import { listOps } from '../src-engine/core/ops/registry';
import type { OpKernelOverride } from '../src-engine/core/ops/kernel-set';
import { createOptimizer } from '../src-engine/core/optim';
import { resolveGroups } from '../src-engine/base/ir/training';
import { kernelFor } from '../src-engine/core/ops/kernel-set';
import { referenceKernel } from '../src-engine/core/ops/kernels/registry';
import { compileWorkload, resolveWorkload } from './workloads';

const model = process.argv[2] ?? 'mnist-cnn';
const threads = Number(process.argv[3] ?? 2);
const cpuClock = process.env.CLOCK === 'cpu';
/** Milliseconds on the chosen clock. */
const now = cpuClock
  ? (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
  : (): number => performance.now();
const workload = resolveWorkload(model, process.env.BATCH ? Number(process.env.BATCH) : undefined);
if (typeof workload === 'string') throw new Error(workload);
const graph = workload.graph;
// The kernels the app's engine runs: fused multiply-adds where the runtime has them (FMA=0: without).
const be = await createCpuBackend({ threads, relaxedSimd: process.env.FMA !== '0' && enableRelaxedSimd() });
console.log(be.description);
/** This step's time per key, then every step's (medians at the end). */
const times = new Map<string, number>();
const add = (k: string, t: number): void => void times.set(k, (times.get(k) ?? 0) + t);
/** Bytes an op's tensors move per step, by key (the same every step). */
const moved = new Map<string, number>();
const bytesOf = (ts: readonly ({ data: { length: number } } | null | undefined)[]): number => ts.reduce((s, t) => s + 4 * (t?.data.length ?? 0), 0);
let counting = true;
const addBytes = (k: string, b: number): void => {
  if (counting) moved.set(k, (moved.get(k) ?? 0) + b);
};
const perStep = new Map<string, number[]>();
const base = be.overrides ?? {};
const wrapped: Record<string, OpKernelOverride> = {};
for (const def of listOps()) {
  const o = kernelFor(base, def.name);
  const reference = referenceKernel(def);
  const fwd = o?.forward ?? reference.forward;
  const bwd = o?.backward ?? reference.backward;
  const tag = o ? '*' : '';
  wrapped[def.name] = {
    assignsFreshGradients: o?.backward ? o.assignsFreshGradients : reference.assignsFreshGradients,
    skipsUnwantedParamGradients: o?.backward ? o.skipsUnwantedParamGradients : reference.skipsUnwantedParamGradients,
    forward: (ctx) => {
      const key = `${def.name}${tag} ${ctx.output.shape.slice(1).join('x')} fwd`;
      const t = now();
      fwd(ctx);
      add(key, now() - t);
      addBytes(key, bytesOf([...ctx.inputs, ctx.output, ...Object.values(ctx.params ?? {})]));
    },
    ...(bwd
      ? {
          backward: (ctx) => {
            const key = `${def.name}${tag} ${ctx.output.shape.slice(1).join('x')} bwd`;
            const t = now();
            bwd(ctx);
            add(key, now() - t);
            addBytes(key, bytesOf([ctx.dOutput, ...ctx.inputs, ...(ctx.dInputs ?? []), ...Object.values(ctx.params ?? {}), ...Object.values(ctx.dParams ?? {})]));
          },
        }
      : {}),
  } as OpKernelOverride;
}
(be as { overrides?: unknown }).overrides = wrapped;
// Fused chains (Backend.fusions) are timed as one entry, named by their ops.
(be as { fusions?: unknown }).fusions = be.fusions?.map((rule) => ({
  ops: rule.ops,
  build(steps: Parameters<typeof rule.build>[0]) {
    const k = rule.build(steps);
    if (!k) return null;
    const key = `${rule.ops.join('+')}* ${steps[0].output.shape.slice(1).join('x')}`;
    return {
      ...k,
      forward: () => { const t = now(); k.forward(); add(`${key} fwd`, now() - t); },
      backward: () => { const t = now(); k.backward(); add(`${key} bwd`, now() - t); },
    };
  },
}));
const memset = be.zero;
be.zero = (a) => {
  const t = now();
  memset(a);
  add('zeroing gradients', now() - t);
};
const batch = Number(process.env.BATCH ?? workload.batch);
const { g, params: trained } = compileWorkload({ ...workload, batch }, be);
// A design with optimizer groups (a GAN) steps each group over its loss selection, as the training
// loop does (the discriminator's step, then the generator's); any other, one step over every loss.
const groups = graph.training?.groups?.length ? resolveGroups(graph, graph.training) : [null];
const stepsOf = groups.map((gr) => {
  const params = gr?.nodes ? trained.filter((p) => gr.nodes!.has(p.nodeId)) : trained;
  return { sel: gr ? g.selectLosses(gr.loss, params) : undefined, opt: createOptimizer({ kind: 'adam', lr: 1e-3 }, params, be) };
});
// The bench's samples (bench/workloads.ts): MNIST's, a design's own set, or fixed random ones.
const x = g.input(workload.featureInput).data;
const y = g.input(workload.targetInput).data;
const batches = Math.floor(workload.samples / batch);
if (batches < 1) throw new Error(`BATCH=${batch}: the workload has ${workload.samples} samples`);
// A real-size step takes seconds: 2 warm-up steps and 10 timed unless STEPS says.
const warmup = workload.torchvision || workload.batch !== 64 ? 2 : 10;
const steps = Number(process.env.STEPS ?? (warmup === 2 ? 10 : 100));
const totals: number[] = [];
/** Parallel rounds (worker wake-ups) per step: a figure the machine's load does not move. */
const launches: number[] = [];
for (let i = 0; i < steps + warmup; i++) {
  if (i === warmup) be.startKernelProfile();
  counting = i === warmup;
  times.clear();
  const l0 = be.launches;
  const t0 = now();
  const b = i % batches;
  x.set(workload.features.subarray(b * x.length, (b + 1) * x.length));
  y.set(workload.targets.subarray(b * y.length, (b + 1) * y.length));
  for (const { sel, opt } of stepsOf) {
    g.forward(true, sel);
    g.backward(sel);
    const t1 = now();
    opt.step();
    add('optimizer', now() - t1);
  }
  const total = now() - t0;
  if (i < warmup) continue;
  let timed = 0;
  for (const [k, t] of times) {
    timed += t;
    perStep.set(k, [...(perStep.get(k) ?? []), t]);
  }
  perStep.set('(untimed: executor, batch copy)', [...(perStep.get('(untimed: executor, batch copy)') ?? []), total - timed]);
  totals.push(total);
  launches.push(be.launches - l0);
}
const tallies = be.stopKernelProfile();
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1];
const step = median(totals);
const rows = [...perStep].map(([k, v]) => [k, median(v)] as const).sort((a, b) => b[1] - a[1]);
console.log(`${model}, ${threads} threads: ${((batch * 1000) / step).toFixed(0)} samples/s (median step ${step.toFixed(3)} ms${cpuClock ? ' of CPU time' : ''})`);
console.log(`parallel rounds per step: ${median(launches)}`);
// The step's GEMMs (bench/kernel-share.ts): mean time per step in the shared GEMM kernels, and their GFLOP/s there.
const gemmTallies = [...tallies].filter(([name]) => name === 'gemm' || name === 'gemmBatched').map(([, t]) => t);
const gemmMs = gemmTallies.reduce((s, t) => s + t.ms, 0);
const gemmFlops = gemmTallies.reduce((s, t) => s + t.flops, 0);
const meanStep = totals.reduce((s, t) => s + t, 0) / totals.length;
if (!cpuClock && gemmMs > 0) console.log(`GEMM kernels: ${(gemmMs / steps).toFixed(3)} ms per step (${((100 * gemmMs) / steps / meanStep).toFixed(1)} % of the mean step), ${(gemmFlops / gemmMs / 1e6).toFixed(1)} GFLOP/s`);
const mb = (b: number): string => (b / 1e6).toFixed(1);
console.log(`${'op, output shape, direction'.padEnd(36)} ${'ms'.padStart(9)} ${'%'.padStart(6)} ${'MB moved'.padStart(9)} ${'GB/s'.padStart(6)}`);
for (const [k, t] of rows) {
  const b = moved.get(k);
  console.log(`${k.padEnd(36)} ${t.toFixed(3).padStart(9)} ${((100 * t) / step).toFixed(1).padStart(6)} ${b === undefined ? '' : mb(b).padStart(9)} ${b === undefined || t <= 0 ? '' : (b / t / 1e6).toFixed(1).padStart(6)}`);
}
// Each kernel: time inside it per step (wall, the fork/join included; the sum overlaps the ops' rows above), calls, GFLOP/s and bytes where it counts them.
console.log(`\nkernels (per step, wall time inside each; ${cpuClock ? 'not CPU time' : 'the fork/join included'}):`);
console.log(`${'kernel'.padEnd(28)} ${'ms'.padStart(9)} ${'calls'.padStart(7)} ${'GFLOP/s'.padStart(8)} ${'MB moved'.padStart(9)} ${'GB/s'.padStart(6)}`);
for (const [name, t] of [...tallies].sort((a, b) => b[1].ms - a[1].ms)) {
  const ms = t.ms / steps;
  if (ms < 0.0005) continue;
  console.log(`${name.padEnd(28)} ${ms.toFixed(3).padStart(9)} ${(t.calls / steps).toFixed(0).padStart(7)} ${t.flops ? (t.flops / t.ms / 1e6).toFixed(1).padStart(8) : ''.padStart(8)} ${t.bytes ? mb(t.bytes / steps).padStart(9) : ''.padStart(9)} ${t.bytes ? (t.bytes / t.ms / 1e6).toFixed(1).padStart(6) : ''}`);
}
be.dispose();
