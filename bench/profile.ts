/**
 * `npx tsx bench/profile.ts [model] [threads]`: where a training step's time goes, per op and
 * direction, on the CPU backend (batch 64, Adam; BATCH=N another), on real MNIST batches (a design made for another
 * set, the tiny GPT, on its own); a design with optimizer groups (a GAN) steps each group in turn,
 * as training does (an op's figure sums its calls in both). A diagnostic for #4; the
 * timings wrap each op call, so they add a little overhead of their own. Each figure is the
 * median over steps (robust to other jobs on a shared machine); STEPS=N sets the count.
 * CLOCK=cpu times with this process's CPU time (`process.cpuUsage`) instead of the wall clock: on
 * 1 thread that counts the work alone, not the time other jobs held the core (a busy machine's
 * wall times are mostly waiting); with workers it adds their CPU time, spinning included.
 * The kernels are the app engine's: relaxed-SIMD fused multiply-adds where the runtime has them
 * (`enableRelaxedSimd`); FMA=0 profiles them without.
 */
import { checkedOrThrow } from '../src-engine/core/analysis/checked';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileGraph } from '../src-engine/core/autodiff/executor';
import type { GraphIR } from '../src-engine/base/ir/types';
import { createCpuBackend, enableRelaxedSimd } from '../src-engine/node/cpu';
import { loadDataset } from '../src-engine/node/datasets';
import { listOps } from '../src-engine/core/ops/registry';
import type { OpKernelOverride } from '../src-engine/core/ops/kernel-set';
import { createOptimizer } from '../src-engine/core/optim';
import { resolveGroups } from '../src-engine/base/ir/training';
import { kernelFor } from '../src-engine/core/ops/kernel-set';
import { referenceKernel } from '../src-engine/core/ops/kernels/registry';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
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
const graph = JSON.parse(readFileSync(join(ROOT, 'examples', `${model}.json`), 'utf8')) as GraphIR;
// The kernels the app's engine runs: fused multiply-adds where the runtime has them (FMA=0: without).
const be = await createCpuBackend({ threads, relaxedSimd: process.env.FMA !== '0' && enableRelaxedSimd() });
console.log(be.description);
/** This step's time per key, then every step's (medians at the end). */
const times = new Map<string, number>();
const add = (k: string, t: number): void => void times.set(k, (times.get(k) ?? 0) + t);
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
    forward: (ctx) => { const t = now(); fwd(ctx); add(`${def.name}${tag} ${ctx.output.shape.slice(1).join("x")} fwd`, now() - t); },
    ...(bwd ? { backward: (ctx) => { const t = now(); bwd(ctx); add(`${def.name}${tag} ${ctx.output.shape.slice(1).join("x")} bwd`, now() - t); } } : {}),
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
const batch = Number(process.env.BATCH ?? 64);
const g = compileGraph(checkedOrThrow(graph), { batchSize: batch, backend: be, seed: 0 });
// A design with optimizer groups (a GAN) steps each group over its loss selection, as the training
// loop does (the discriminator's step, then the generator's); any other, one step over every loss.
const groups = graph.training?.groups?.length ? resolveGroups(graph, graph.training) : [null];
const stepsOf = groups.map((gr) => {
  const params = gr?.nodes ? g.params.filter((p) => gr.nodes!.has(p.nodeId)) : g.params;
  return { sel: gr ? g.selectLosses(gr.loss, params) : undefined, opt: createOptimizer({ kind: 'adam', lr: 1e-3 }, params, be) };
});
// A design made for another set (the tiny GPT's text) trains on its own samples; the rest on MNIST's (as bench/run.ts).
const own = graph.training?.dataset;
const ds = (own && !own.name.includes('mnist') ? loadDataset(own, graph.training!.seed) : loadDataset({ name: 'mnist' })).train;
const inputs = graph.nodes.filter((n) => n.op === 'Input');
const fid = inputs.find((n) => n.attrs.source !== 'target')!.id;
const tid = inputs.find((n) => n.attrs.source === 'target')!.id;
const x = g.input(fid).data;
const y = g.input(tid).data;
const batches = Math.min(50, Math.floor(ds.count / batch));
const steps = Number(process.env.STEPS ?? 100);
const totals: number[] = [];
/** Parallel rounds (worker wake-ups) per step: a figure the machine's load does not move. */
const launches: number[] = [];
for (let i = 0; i < steps + 10; i++) {
  if (i === 10) be.startKernelProfile();
  times.clear();
  const l0 = be.launches;
  const t0 = now();
  const b = i % batches;
  x.set(ds.features.subarray(b * x.length, (b + 1) * x.length));
  if (y.length === x.length) y.set(x); else y.set(ds.targets.subarray(b * y.length, (b + 1) * y.length));
  for (const { sel, opt } of stepsOf) {
    g.forward(true, sel);
    g.backward(sel);
    const t1 = now();
    opt.step();
    add('optimizer', now() - t1);
  }
  const total = now() - t0;
  if (i < 10) continue;
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
for (const [k, t] of rows) console.log(`${k.padEnd(28)} ${t.toFixed(3).padStart(8)} ms  ${((100 * t) / step).toFixed(1).padStart(5)} %`);
be.dispose();
