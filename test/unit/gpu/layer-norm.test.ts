/**
 * The WGSL LayerNorm (`kernels/layer-norm.ts`) against the op file's forward and backward
 * (`core/ops/layer-norm.ts`, the CPU path), on odd sizes: rows of fewer than 256 values and of
 * more (a workgroup's strided shares uneven), normalisation over one and over three dims, with
 * and without `elementwiseAffine`, another eps, an input that needs no gradient, rows far from
 * zero, and a NaN. The backward adds into gradients that already hold values.
 *
 * Bounds, per element, with ε = 1e-5, from the CPU's float64 row statistics: K = max|x|·(1/σ)
 * for the element's row (how much a rounding relative to |x| grows once divided by σ), and
 * X = max|x̂| over the row.
 * - y: |Δ| ≤ ε·(|γ|·K + |β|) (γ = 1, β = 0 without affine). The GPU's mean and variance are
 *   float32 sums (≤ ⌈D/256⌉ serial additions and 8 tree levels, each a rounding of 2⁻²⁴ relative
 *   to the row's magnitudes) where the op file's are float64, and x − mean is a float32
 *   subtraction, so x̂ is off by ~20·2⁻²⁴·K ≈ 1.2e-6·K; ε is ~8× that.
 * - dx: |Δ| ≤ ε·(|dx₀| + (1/σ)·A·(1 + X)·(1 + K)), A = max|dy·γ| over the row: the sums of g and
 *   g·x̂ carry x̂'s error (≤ εK per term) and their own float32 roundings, multiplied by x̂ and 1/σ.
 * - dγ: |Δ| ≤ ε·(|dγ₀| + Σ_rows |dy|·(|x̂| + K)): the same x̂ error in each product.
 * - dβ: exact. It adds the same float32 dy values in the same row order into a float32
 *   accumulator, as the op file does.
 * A NaN must land exactly where the op file puts one (its whole row, and every dγ, dβ it touches).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { expectWithin, runCpu, runGpu, values, withDefaults, type KernelCase } from './kernel-harness';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const EPS = 1e-5;

interface LnCase {
  name: string;
  shape: number[];
  normalizedDims?: number;
  eps?: number;
  affine?: boolean;
  /** Mean of the inputs (rows far from zero lose digits of x̂ to x − mean). */
  mean?: number;
  scale?: number;
  /** The input needs no gradient (LayerNorm straight after an Input). */
  noDx?: boolean;
  /** Put a NaN at this flat index of x. */
  nan?: number;
}

function makeCase(c: LnCase): KernelCase {
  const k = c.normalizedDims ?? 1;
  const affine = c.affine ?? true;
  const n = c.shape.reduce((a, b) => a * b, 1);
  const d = c.shape.slice(c.shape.length - k).reduce((a, b) => a * b, 1);
  const x = values(n, 1, c.scale ?? 1, c.mean ?? 0);
  if (c.nan !== undefined) x[c.nan] = NaN;
  const kc: KernelCase = {
    op: 'LayerNorm',
    attrs: { normalizedDims: k, elementwiseAffine: affine, ...(c.eps !== undefined ? { eps: c.eps } : {}) },
    inputShapes: [c.shape],
    inputs: [x],
    dOutput: values(n, 2),
    dInputs: [c.noDx ? null : values(n, 3, 0.5)],
  };
  if (affine) {
    // γ and β away from their initial ones and zeros, so a swapped or missing one shows.
    kc.params = { weight: values(d, 4, 0.5, 1), bias: values(d, 5, 0.3) };
    kc.dParams = { weight: values(d, 6, 0.2), bias: values(d, 7, 0.2) };
  }
  return kc;
}

/** The row statistics in float64, as the op file computes them. */
function rowStats(x: Float32Array, d: number, eps: number): { inv: number[]; k: number[]; xmax: number[] } {
  const inv: number[] = [];
  const k: number[] = [];
  const xmax: number[] = [];
  for (let r = 0; r < x.length / d; r++) {
    const row = x.subarray(r * d, (r + 1) * d);
    const mean = row.reduce((a, b) => a + b, 0) / d;
    const v = row.reduce((a, b) => a + (b - mean) ** 2, 0) / d;
    const s = 1 / Math.sqrt(v + eps);
    inv.push(s);
    k.push(Math.max(...row.map(Math.abs)) * s);
    xmax.push(Math.max(...row.map((b) => Math.abs(b - mean) * s)));
  }
  return { inv, k, xmax };
}

async function check(c: LnCase): Promise<void> {
  const kc = makeCase(c);
  const want = runCpu(kc);
  const got = await runGpu(ctx, kc);
  const attrs = withDefaults('LayerNorm', kc.attrs);
  const d = c.shape.slice(c.shape.length - (c.normalizedDims ?? 1)).reduce((a, b) => a * b, 1);
  const x = kc.inputs[0];
  const { inv, k, xmax } = rowStats(x, d, attrs.eps as number);
  const gamma = kc.params?.weight;
  const beta = kc.params?.bias;
  const dy = kc.dOutput;
  const rows = x.length / d;
  const ratios: Record<string, number> = {};
  ratios.y = expectWithin(`${c.name} y`, got.output, want.output, (i) => {
    const r = Math.floor(i / d);
    const j = i % d;
    return EPS * (Math.abs(gamma?.[j] ?? 1) * k[r] + Math.abs(beta?.[j] ?? 0));
  });
  const dx0 = kc.dInputs[0];
  if (dx0) {
    const a = Array.from({ length: rows }, (_, r) => Math.max(...Array.from({ length: d }, (_, j) => Math.abs(dy[r * d + j] * (gamma?.[j] ?? 1)))));
    ratios.dx = expectWithin(`${c.name} dx`, got.dInputs[0]!, want.dInputs[0]!, (i) => {
      const r = Math.floor(i / d);
      return EPS * (Math.abs(dx0[i]) + inv[r] * a[r] * (1 + xmax[r]) * (1 + k[r]));
    });
  } else expect(got.dInputs[0]).toBeNull();
  if (gamma) {
    const dg0 = kc.dParams!.weight;
    ratios.dgamma = expectWithin(`${c.name} dγ`, got.dParams.weight, want.dParams.weight, (j) => {
      let s = Math.abs(dg0[j]);
      for (let r = 0; r < rows; r++) s += Math.abs(dy[r * d + j]) * (xmax[r] + k[r]);
      return EPS * s;
    });
    // β's gradient is a plain sum of dy down the rows; the GPU splits it over workgroups
    // (column-sum.ts), so its order of additions, and its last bits, differ from the loop's:
    // the bound of any order of summation, as dγ's.
    const db0 = kc.dParams!.bias;
    ratios.dbeta = expectWithin(`${c.name} dβ`, got.dParams.bias, want.dParams.bias, (j) => {
      let s = Math.abs(db0[j]);
      for (let r = 0; r < rows; r++) s += Math.abs(dy[r * d + j]);
      return EPS * s;
    });
  }
  // The worst |Δ|/bound per tensor, for the record (docs/webgpu-backend.md quotes them).
  console.log(`LayerNorm ${c.name}: worst |Δ|/bound ${JSON.stringify(ratios)}`);
}

describe('WGSL LayerNorm vs the op file', () => {
  const cases: LnCase[] = [
    { name: '[7, 37], last dim, affine', shape: [7, 37] },
    { name: '[3, 300], last dim, affine (rows longer than a workgroup)', shape: [3, 300], scale: 2 },
    { name: '[3, 5, 4, 3], normalizedDims 3, no affine, eps 1e-3', shape: [3, 5, 4, 3], normalizedDims: 3, affine: false, eps: 1e-3 },
    { name: '[5, 3, 11], normalizedDims 1 (rows within samples), affine, rows around 100 with σ 0.5', shape: [5, 3, 11], mean: 100, scale: 0.5 },
    { name: '[4, 2, 9], normalizedDims 2, affine, input without a gradient', shape: [4, 2, 9], normalizedDims: 2, noDx: true },
    { name: '[4, 9], affine, a NaN in row 2', shape: [4, 9], nan: 2 * 9 + 4 },
    { name: '[4, 9], no affine, a NaN in row 1', shape: [4, 9], affine: false, nan: 9 + 8 },
  ];
  for (const c of cases) it(c.name, () => check(c), 60_000);
});
