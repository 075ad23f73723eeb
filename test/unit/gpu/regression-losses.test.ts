/**
 * The WGSL L1Loss, HuberLoss and SmoothL1Loss (`kernels/pointwise-losses.ts`, printed from the op
 * files' declarations) against the op files' reference forward and backward (printed from the same
 * declarations, in float64; SmoothL1Loss's are held to PyTorch in
 * test/unit/engine/smooth-l1-loss.test.ts), on odd sizes: both gradients, only the prediction's (a
 * `[N, 1]` prediction against an `[N]` target) or only the target's; a loss
 * gradient other than 1; exact ties p = t (L1's gradient 0 there), differences of exactly ±δ
 * (δ = 1, 2.5) and a δ that float32 cannot hold (0.3); a NaN. The backward adds into gradients
 * that already hold values.
 *
 * Bounds, with u = 2⁻²⁴:
 * - the loss: |Δ| ≤ 16u·loss. Every term is ≥ 0, so the float32 sum's error is relative to the
 *   loss: the term's own roundings (d = p − t, then |d| or Huber's products: ≤ 3), ⌈n/256⌉ serial
 *   additions per invocation, 8 tree levels and the division (the cases have n ≤ 256, so ≤ 13u),
 *   against the op file's float64 sum.
 * - each gradient element: |Δ| ≤ 8u·(|g₀| + |s|), s = dLoss/n·slope(d) the op file's step (in
 *   float64). The GPU rounds dLoss/n, d (Huber), δ, their product and the final addition to float32
 *   (≤ 4 roundings of |s| or |g₀ + s|); the op file rounds once, at the addition. L1's slope is
 *   ±1 or 0 from the sign of d, which float32 subtraction keeps exactly (d = 0 only where p = t).
 * NaN must appear exactly where the op file has it (the loss; Huber's gradient at a NaN d; L1's
 * gradient there is 0 on both sides).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { expectWithin, runCpu, runGpu, values, type KernelCase } from './kernel-harness';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const U = 2 ** -24;

interface LossCase {
  name: string;
  op: 'L1Loss' | 'HuberLoss' | 'SmoothL1Loss';
  /** HuberLoss's δ, SmoothL1Loss's β. */
  delta?: number;
  predShape: number[];
  targetShape: number[];
  /** Which gradients exist: prediction, target. */
  grads: [boolean, boolean];
  dLoss?: number;
  nan?: boolean;
}

async function check(c: LossCase): Promise<void> {
  const n = c.predShape.reduce((a, b) => a * b, 1);
  const p = values(n, 1, 2);
  const t = values(n, 2, 2);
  for (let i = 0; i < n; i += 11) t[i] = p[i]; // ties: d = 0
  const delta = c.delta ?? 1;
  if (c.op !== 'L1Loss' && Math.fround(delta) === delta) {
    // d exactly ±δ, the boundary between the pieces (1.25 ± δ is exact in float32 for these δ).
    for (let i = 4; i < n; i += 13) {
      p[i] = 1.25;
      t[i] = 1.25 - (i % 2 ? delta : -delta);
    }
  }
  if (c.nan) p[7] = NaN;
  const kc: KernelCase = {
    op: c.op,
    attrs: c.delta !== undefined ? { [c.op === 'SmoothL1Loss' ? 'beta' : 'delta']: c.delta } : {},
    inputShapes: [c.predShape, c.targetShape],
    inputs: [p, t],
    dOutput: new Float32Array([c.dLoss ?? 1]),
    dInputs: [c.grads[0] ? values(n, 3, 0.1) : null, c.grads[1] ? values(n, 4, 0.1) : null],
  };
  const want = runCpu(kc);
  const got = await runGpu(ctx, kc);
  const loss = expectWithin(`${c.name} loss`, got.output, want.output, () => 16 * U * Math.abs(want.output[0]));
  // The op file's step s per element, in float64.
  const g = (c.dLoss ?? 1) / n;
  const step = (i: number) => {
    const d = p[i] - t[i];
    if (Number.isNaN(d)) return 0; // L1's slope there (Huber's gradient is NaN on both sides)
    if (c.op === 'SmoothL1Loss') return Math.abs(g) * Math.min(1, Math.abs(d) / delta);
    return Math.abs(g * (c.op === 'L1Loss' ? Math.sign(d) : Math.max(-delta, Math.min(delta, d))));
  };
  const worst: number[] = [];
  kc.dInputs.forEach((g0, k) => {
    if (g0) worst.push(expectWithin(`${c.name} d${k ? 'target' : 'prediction'}`, got.dInputs[k]!, want.dInputs[k]!, (i) => 8 * U * (Math.abs(g0[i]) + step(i))));
  });
  console.log(`${c.name}: worst |Δ|/bound loss ${loss.toExponential(2)}, gradients ${worst.map((w) => w.toExponential(2)).join(', ')}`);
}

describe('WGSL L1Loss, HuberLoss and SmoothL1Loss vs the op files', () => {
  const cases: LossCase[] = [
    { name: 'L1Loss [13, 7], both gradients', op: 'L1Loss', predShape: [13, 7], targetShape: [13, 7], grads: [true, true] },
    { name: 'L1Loss [37, 1] against [37], prediction only, dLoss 0.7', op: 'L1Loss', predShape: [37, 1], targetShape: [37], grads: [true, false], dLoss: 0.7 },
    { name: 'L1Loss [5, 3] with a NaN', op: 'L1Loss', predShape: [5, 3], targetShape: [5, 3], grads: [true, true], nan: true },
    { name: 'HuberLoss [13, 7], δ = 1, both gradients', op: 'HuberLoss', predShape: [13, 7], targetShape: [13, 7], grads: [true, true] },
    { name: 'HuberLoss [9, 5], δ = 0.3, target only, dLoss 1.5', op: 'HuberLoss', delta: 0.3, predShape: [9, 5], targetShape: [9, 5], grads: [false, true], dLoss: 1.5 },
    { name: 'HuberLoss [5, 3], δ = 2.5, with a NaN', op: 'HuberLoss', delta: 2.5, predShape: [5, 3], targetShape: [5, 3], grads: [true, true], nan: true },
    { name: 'SmoothL1Loss [13, 7], β = 1 (default), both gradients', op: 'SmoothL1Loss', predShape: [13, 7], targetShape: [13, 7], grads: [true, true] },
    { name: 'SmoothL1Loss [9, 5], β = 0.3, target only, dLoss 1.5, with a NaN', op: 'SmoothL1Loss', delta: 0.3, predShape: [9, 5], targetShape: [9, 5], grads: [false, true], dLoss: 1.5, nan: true },
  ];
  for (const c of cases) it(c.name, () => check(c), 60_000);
});
