/**
 * The WGSL Softmax (`kernels/softmax.ts`) against the op file's forward and backward
 * (`core/ops/softmax.ts`, the CPU path), on odd sizes: the last axis, an inner axis (slices
 * strided by the dims after it), a negative axis that is not the last, scores up to ±30·σ apart,
 * and the special values (a NaN, ±∞, a slice of −∞). The backward adds into a gradient that
 * already holds values.
 *
 * Bounds, per element, with u = 2⁻²⁴ (float32's unit roundoff) and, for the element's slice,
 * R = 8 + 3·max|x − max| + 2·len:
 * - y: |Δ| ≤ 4u·y·R + 2⁻¹²⁶. The GPU's argument x − max is a float32 subtraction (relative error u,
 *   i.e. an absolute u·|x − max| in the exponent), WGSL's `exp` is only required to be within
 *   3 + 2·|arg| ulp (WGSL spec, "Floating point accuracy"), the sum of the slice's len positive
 *   terms is float32 (≤ len·u relative) and 1/Σ and the product add two roundings; the op file
 *   does all of it in float64 and rounds once. All terms are positive, so the error is relative
 *   to y itself; 4u·R is twice that sum of ulps. 2⁻¹²⁶: a device may flush subnormal results to 0.
 * - dx: |Δ| ≤ 4u·(|dx₀| + R·y·(|dy| + Σ_slice |dy·y|)): y's error above times dy − dot, plus
 *   dot's own (float32 against float64), plus the rounding of the final addition.
 * Where the op file gives NaN (a slice holding a NaN, +∞, or only −∞) the GPU must too.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { expectWithin, runCpu, runGpu, values, withDefaults, type KernelCase } from './kernel-harness';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const U = 2 ** -24;

interface SmCase {
  name: string;
  shape: number[];
  axis: number;
  /** Values to set at flat indices of x. */
  special?: Record<number, number>;
}

/** outer, len, inner of `shape` around `axis` (as the op file). */
function around(shape: number[], axis: number): [number, number, number] {
  const a = axis < 0 ? axis + shape.length : axis;
  const outer = shape.slice(0, a).reduce((p, q) => p * q, 1);
  const inner = shape.slice(a + 1).reduce((p, q) => p * q, 1);
  return [outer, shape[a], inner];
}

async function check(c: SmCase): Promise<void> {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const x = values(n, 1, 3);
  for (let i = 0; i < n; i += 23) x[i] *= 10; // scores up to ~±30 apart
  for (const [i, v] of Object.entries(c.special ?? {})) x[Number(i)] = v;
  const kc: KernelCase = { op: 'Softmax', attrs: withDefaults('Softmax', { axis: c.axis }), inputShapes: [c.shape], inputs: [x], dOutput: values(n, 2), dInputs: [values(n, 3, 0.5)] };
  const want = runCpu(kc);
  const got = await runGpu(ctx, kc);
  const [, len, inner] = around(c.shape, c.axis);
  const y = want.output;
  const dy = kc.dOutput;
  const dx0 = kc.dInputs[0]!;
  // Per element: its slice's R and Σ|dy·y|.
  const r = new Float64Array(n);
  const dots = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const base = Math.floor(i / (len * inner)) * len * inner + (i % inner);
    let max = -Infinity;
    let dot = 0;
    for (let k = 0; k < len; k++) max = Math.max(max, x[base + k * inner]);
    let spread = 0;
    for (let k = 0; k < len; k++) {
      const gap = Math.abs(x[base + k * inner] - max);
      if (Number.isFinite(gap)) spread = Math.max(spread, gap); // a −∞ score gives y = 0 exactly
      dot += Math.abs(dy[base + k * inner] * y[base + k * inner]);
    }
    r[i] = 8 + 3 * spread + 2 * len;
    dots[i] = dot;
  }
  const worstY = expectWithin(`${c.name} y`, got.output, y, (i) => 4 * U * y[i] * r[i] + 2 ** -126);
  const worstDx = expectWithin(`${c.name} dx`, got.dInputs[0]!, want.dInputs[0]!, (i) => 4 * U * (Math.abs(dx0[i]) + r[i] * y[i] * (Math.abs(dy[i]) + dots[i])));
  console.log(`Softmax ${c.name}: worst |Δ|/bound y ${worstY.toExponential(2)}, dx ${worstDx.toExponential(2)}`);
}

describe('WGSL Softmax vs the op file', () => {
  const cases: SmCase[] = [
    { name: '[9, 13], axis −1', shape: [9, 13], axis: -1 },
    { name: '[5, 7, 3, 4], axis 1 (slices 12 apart)', shape: [5, 7, 3, 4], axis: 1 },
    { name: '[4, 6, 5], axis −2', shape: [4, 6, 5], axis: -2 },
    {
      name: '[5, 8], axis 1: a NaN (row 1), +∞ (row 2), a −∞ (row 3), only −∞ (row 4)',
      shape: [5, 8],
      axis: 1,
      special: { 11: NaN, 20: Infinity, 27: -Infinity, ...Object.fromEntries(Array.from({ length: 8 }, (_, k) => [32 + k, -Infinity])) },
    },
  ];
  for (const c of cases) it(c.name, () => check(c), 60_000);
});
