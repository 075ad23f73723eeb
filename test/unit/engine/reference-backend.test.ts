import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { Conv2dGeometry } from '../../../src-engine/core/backend/types';
import { Rng } from '../../../src-engine/base/rng';

const backend = createReferenceBackend();
const rng = new Rng(42);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

/** The definition, with explicit indices: C[i,j] = Σp A[i,p]·B[p,j]. */
function naive(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  return c;
}

describe('reference backend', () => {
  for (const transA of [false, true])
    for (const transB of [false, true])
      it(`gemm transA=${transA} transB=${transB}, with and without accumulate`, () => {
        const [m, n, k] = [5, 7, 3];
        const a = rand(m * k);
        const b = rand(k * n);
        const want = naive(transA, transB, m, n, k, a, b);
        const c = rand(m * n); // garbage that accumulate=false must overwrite
        backend.gemm({ transA, transB, m, n, k, a, b, c, accumulate: false });
        for (let i = 0; i < m * n; i++) expect(c[i]).toBeCloseTo(want[i], 5);
        backend.gemm({ transA, transB, m, n, k, a, b, c, accumulate: true });
        for (let i = 0; i < m * n; i++) expect(c[i]).toBeCloseTo(2 * want[i], 5);
      });

  it('gemm gives each entry the bits of its definition, term by term, on blocks and remainders alike', () => {
    // Untransposed B: every product added into C and rounded to float32; transposed B: a float64
    // dot product added once. The loops handle four rows (or columns) at a time: 9×11 leaves remainders.
    const [m, n, k] = [9, 11, 6];
    const wide = (x: number) => x * (rng.uniform() < 0.2 ? 1e5 : 1); // terms of mixed magnitude round differently in another order
    const a = rand(m * k).map(wide);
    const b = rand(k * n).map(wide);
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        const start = rand(m * n);
        const want = start.slice();
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            const term = (p: number) => (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
            if (transB) {
              let s = 0;
              for (let p = 0; p < k; p++) s += term(p);
              want[i * n + j] += s;
            } else for (let p = 0; p < k; p++) want[i * n + j] += term(p);
          }
        const c = start.slice();
        backend.gemm({ transA, transB, m, n, k, a, b, c, accumulate: true });
        expect(new Uint32Array(c.buffer), `transA=${transA} transB=${transB}`).toEqual(new Uint32Array(want.buffer));
      }
  });

  it('col2im is the adjoint of im2col: <im2col(x), y> = <x, col2im(y)>', () => {
    const g: Conv2dGeometry = {
      channels: 2, height: 5, width: 6, kernelH: 3, kernelW: 2, strideH: 2, strideW: 1,
      padH: 1, padW: 1, dilationH: 1, dilationW: 2, outH: 0, outW: 0,
    };
    g.outH = Math.floor((g.height + 2 * g.padH - g.dilationH * (g.kernelH - 1) - 1) / g.strideH) + 1;
    g.outW = Math.floor((g.width + 2 * g.padW - g.dilationW * (g.kernelW - 1) - 1) / g.strideW) + 1;
    const x = rand(g.channels * g.height * g.width);
    const colsLen = g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
    const y = rand(colsLen);
    const cols = new Float32Array(colsLen).fill(NaN);
    backend.im2col(x, g, cols);
    expect(cols.some(Number.isNaN)).toBe(false);
    const folded = new Float32Array(x.length);
    backend.col2im(y, g, folded);
    let lhs = 0;
    let rhs = 0;
    for (let i = 0; i < colsLen; i++) lhs += cols[i] * y[i];
    for (let i = 0; i < x.length; i++) rhs += x[i] * folded[i];
    expect(lhs).toBeCloseTo(rhs, 3);
    // Spot-check one column entry against the definition: row (c=1, ki=2, kj=1), output (oy=1, ox=2).
    const row = (1 * g.kernelH + 2) * g.kernelW + 1;
    const yy = 1 * g.strideH - g.padH + 2 * g.dilationH;
    const xx = 2 * g.strideW - g.padW + 1 * g.dilationW;
    expect(cols[row * g.outH * g.outW + 1 * g.outW + 2]).toBe(x[(1 * g.height + yy) * g.width + xx]);
    // col2im accumulates.
    backend.col2im(y, g, folded);
    let rhs2 = 0;
    for (let i = 0; i < x.length; i++) rhs2 += x[i] * folded[i];
    expect(rhs2).toBeCloseTo(2 * rhs, 3);
  });
});
