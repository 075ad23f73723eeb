/**
 * What the GPU executor tests share: feeding the same batch to a CPU plan (reference backend) and
 * a GPU plan of one graph, and comparing them.
 *
 * The bound of {@link expectClose}, ‖got − want‖∞ ≤ 1e-5·‖want‖∞ + 1e-7 per tensor, and why:
 * both sides compute the same float32 products; the GPU sums them in other orders (k-slices, fma,
 * workgroup trees) and the CPU losses sum in float64, so each tensor differs by a few float32
 * roundings (2⁻²⁴ ≈ 6e-8) of its sums, amplified along the few layers of the test graphs; 1e-5
 * leaves a margin over the ~1e-6 measured. The absolute 1e-7 covers gradients that are zero in
 * exact arithmetic (a bias feeding a normalisation) and rounding noise on both sides.
 */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { expect } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { compileGraph, type CompiledGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { compileGpuGraph, type GpuGraph } from '../../../src-engine/core/gpu/executor';
import { createGpuOptimizer } from '../../../src-engine/core/gpu/optim';
import { createOptimizer } from '../../../src-engine/core/optim';

/** Write one batch into both plans' inputs. */
export function load(cpu: CompiledGraph, gpu: GpuGraph, data: Record<string, Float32Array>): void {
  for (const [name, a] of Object.entries(data)) {
    cpu.input(name).data.set(a);
    gpu.setInput(name, a);
  }
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** ‖got − want‖∞ ≤ 1e-5·‖want‖∞ + 1e-7; returns ‖got − want‖∞ / ‖want‖∞ for the record. */
export function expectClose(what: string, got: Float32Array, want: Float32Array): number {
  expect(got.length, what).toBe(want.length);
  const scale = maxAbs(want);
  const bound = 1e-5 * scale + 1e-7;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst, `${what}: max |Δ| ${worst} over bound ${bound}`).toBeLessThanOrEqual(bound);
  return scale > 0 ? worst / scale : worst;
}

/**
 * The loss (within 1e-5 relative), every activation and (after a training step) every parameter
 * and activation gradient of `gpu` against `cpu`'s; returns the worst ratio of {@link expectClose}.
 */
export async function expectStepLike(ctx: GpuContext, cpu: CompiledGraph, gpu: GpuGraph, want: number, got: number, gradients: boolean): Promise<number> {
  expect(Math.abs(got - want), `loss ${got} vs ${want}`).toBeLessThanOrEqual(1e-5 * Math.abs(want));
  let worst = 0;
  if (gradients) for (const [i, p] of gpu.params.entries()) worst = Math.max(worst, expectClose(`${p.nodeId}.${p.name} grad`, await ctx.read(p.grad), cpu.params[i].grad.data));
  for (const id of gpu.order) {
    worst = Math.max(worst, expectClose(`${id} activation`, await gpu.read(id), cpu.output(id).data));
    if (!gradients) continue;
    const g = await gpu.readGrad(id);
    const w = cpu.grad(id);
    expect(g === null, `${id} has a gradient on one side only`).toBe(w === null);
    if (g && w) worst = Math.max(worst, expectClose(`${id} gradient`, g, w.data));
  }
  return worst;
}

/** One training step of `graph` on `data` (seed 7) on both sides, compared by {@link expectStepLike}. */
export async function oneStepParity(ctx: GpuContext, graph: GraphIR, batchSize: number, data: Record<string, Float32Array>): Promise<number> {
  const cpu = compileGraph(checkedOrThrow(graph), { batchSize, backend: createReferenceBackend(), seed: 7 });
  const gpu = await compileGpuGraph(checkedOrThrow(graph), { batchSize, gpu: ctx, seed: 7 });
  load(cpu, gpu, data);
  const want = cpu.forward(true);
  cpu.backward();
  return expectStepLike(ctx, cpu, gpu, want, await gpu.trainStep(), true);
}

/**
 * `steps` Adam steps (lr `lr`) of `graph` on one batch, CPU plan and GPU plan side by side from the
 * same weights (seed 3): every step's loss within 2e-4 relative of the CPU's (the bound of
 * executor-ops.test.ts: float32 sums in other orders, amplified by Adam over a few steps). Returns
 * the CPU's losses and the worst relative difference.
 */
export async function adamStepsParity(ctx: GpuContext, graph: GraphIR, batchSize: number, data: Record<string, Float32Array>, steps: number, lr: number): Promise<{ losses: number[]; worst: number }> {
  const cfg = { kind: 'adam', lr } as const;
  const cpu = compileGraph(checkedOrThrow(graph), { batchSize, backend: createReferenceBackend(), seed: 3 });
  const gpu = await compileGpuGraph(checkedOrThrow(graph), { batchSize, gpu: ctx, seed: 3 });
  const cpuOpt = createOptimizer(cfg, cpu.params);
  const gpuOpt = createGpuOptimizer(ctx, cfg, gpu.params);
  load(cpu, gpu, data);
  let worst = 0;
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const want = cpu.forward(true);
    cpu.backward();
    cpuOpt.step(lr);
    const got = await gpu.trainStep(gpuOpt, lr);
    worst = Math.max(worst, Math.abs(got - want) / want);
    expect(Math.abs(got - want), `step ${step}: ${got} vs ${want}`).toBeLessThanOrEqual(2e-4 * want);
    losses.push(want);
  }
  return { losses, worst };
}
