/// <reference types="@webgpu/types" />
/**
 * Linear on the GPU, as `core/ops/linear.ts`: `y = x·Wᵀ + b` with the tiled GEMM, then a bias
 * broadcast; backward `dx += dy·W`, `dW += dyᵀ·x` (two GEMMs, accumulating) and `db += Σ_rows dy`.
 */
import type { GpuContext, GpuTensor } from '../context';
import { prepareGemm, prepareWeightGradient, type GpuDispatch } from '../gemm';
import { columnSum, rowsOf } from './column-sum';
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

const BIAS_ADD = `struct Params { n: u32, cols: u32, yOff: u32, bOff: u32, rowStride: u32, _a: u32, _b: u32, _c: u32, }
@group(0) @binding(0) var<storage, read> B: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  Y[P.yOff + i] = Y[P.yOff + i] + B[P.bOff + i % P.cols];
}
`;

/** `y[r, j] += b[j]` over `rows` rows of `cols` (a layer's bias, broadcast). */
export function biasAdd(ctx: GpuContext, b: GpuTensor, y: GpuTensor, rows: number, cols: number): GpuDispatch {
  const n = rows * cols;
  const { workgroups, rowStride } = grid1d(ctx, n);
  return bindDispatch(ctx, 'linear:bias', () => BIAS_ADD, [b.buffer, y.buffer], words([n, cols, y.offset, b.offset, rowStride]), workgroups);
}

/** `db[j] += Σ_r dy[r, j]`, split over workgroups (column-sum.ts). */
export function biasGrad(ctx: GpuContext, dy: GpuTensor, db: GpuTensor, rows: number, cols: number): GpuDispatch[] {
  return columnSum(ctx, 'linear:bias-grad', rowsOf(rows, cols), 'a', 'add', dy, db);
}

export const linearKernel: GpuOpKernel = {
  prepare({ ctx, inputShapes, outputShape, inputs, output, params, dParams, dOutput, dInputs }) {
    const xShape = inputShapes[0];
    const inF = xShape[xShape.length - 1];
    const outF = outputShape[outputShape.length - 1];
    const rows = inputs[0].length / inF;
    const x = inputs[0];
    const w = params.weight;
    const b = params.bias;
    const forward = [prepareGemm(ctx, { transA: false, transB: true, m: rows, n: outF, k: inF, a: x, b: w, c: output, accumulate: false })];
    if (b) forward.push(biasAdd(ctx, b, output, rows, outF));
    const backward = [];
    if (dOutput) {
      const dx = dInputs[0];
      if (dx) backward.push(prepareGemm(ctx, { transA: false, transB: false, m: rows, n: inF, k: outF, a: dOutput, b: w, c: dx, accumulate: true }));
      backward.push(...prepareWeightGradient(ctx, { m: outF, n: inF, k: rows, a: dOutput, b: x, c: dParams.weight }));
      const db = dParams.bias;
      if (db) backward.push(...biasGrad(ctx, dOutput, db, rows, outF));
    }
    return { forward, backward };
  },
};
