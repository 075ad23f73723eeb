/**
 * elementwise.wat's LayerNorm kernels take rows in pairs (each row's float64 sums and quotients its
 * own, in the same order, so that two rows' dependency chains overlap). Here a range of rows at once
 * must give the bits of one row per call (which takes the single-row path), at odd row counts and
 * odd lengths, with and without the affine, backward assigned and added, and rows holding NaN, ±Inf
 * and −0; the last row of an odd range must be added to once. Against the op file: overrides.test.ts.
 */
import { describe, it } from 'vitest';
import { Rng } from '../../../src-engine/base/rng';
import { KERNEL_BINARIES } from '../../../src-engine/node/cpu/generated/kernels';
import { expectSameValues } from '../same-values';

type Fn = (...args: number[]) => void;

describe('LayerNorm kernels: rows in pairs, the bits of one row at a time', () => {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 32768, shared: true });
  const { layerNormForward, layerNormBackward } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KERNEL_BINARIES.elementwise.simd, 'base64')), {
    env: { memory },
  }).exports as Record<string, Fn>;
  const f = new Float32Array(memory.buffer);
  const F = 1 << 16;
  const at = { x: 0, gamma: F, beta: 2 * F, dy: 3 * F, y: [4 * F, 5 * F], xhat: [6 * F, 7 * F], inv: [8 * F, 9 * F], dx: [10 * F, 11 * F] };

  for (const [rows, d] of [[37, 13], [5, 64], [9, 101], [1, 7], [2, 4]] as const) {
    for (const affine of [true, false]) {
      it(`${rows} rows of ${d}${affine ? '' : ', no affine'}: forward, backward assigned and added`, () => {
        const rng = new Rng(rows * d);
        for (let i = 0; i < rows * d; i++) {
          f[at.x + i] = 3 * rng.normal() + (i % 5 === 0 ? 100 : 0);
          f[at.dy + i] = rng.normal();
        }
        for (let i = 0; i < d; i++) {
          f[at.gamma + i] = 1 + rng.normal() / 4;
          f[at.beta + i] = rng.normal();
        }
        if (rows > 2) {
          f[at.x + d + 1] = NaN;
          f[at.x + 2 * d] = Infinity;
          for (let i = 0; i < d; i++) f[at.x + (rows - 1) * d + i] = -0;
        }
        const gamma = affine ? 4 * at.gamma : 0;
        const fwd = (k: 0 | 1, r0: number, r1: number) => layerNormForward(4 * at.x, 4 * at.y[k], 4 * at.xhat[k], 4 * at.inv[k], gamma, 4 * at.beta, d, r0, r1, 1e-5);
        fwd(0, 0, rows);
        for (let r = 0; r < rows; r++) fwd(1, r, r + 1);
        const view = (base: number, n: number) => f.subarray(base, base + n);
        expectSameValues(view(at.y[0], rows * d), view(at.y[1], rows * d), 'y');
        expectSameValues(view(at.xhat[0], rows * d), view(at.xhat[1], rows * d), 'x̂');
        expectSameValues(view(at.inv[0], rows), view(at.inv[1], rows), '1/σ');
        for (const assign of [1, 0]) {
          for (const k of [0, 1]) for (let i = 0; i < rows * d; i++) f[at.dx[k] + i] = i % 3;
          const bwd = (k: 0 | 1, r0: number, r1: number) => layerNormBackward(4 * at.dy, 4 * at.xhat[0], 4 * at.inv[0], gamma, 4 * at.dx[k], d, r0, r1, assign);
          bwd(0, 0, rows);
          for (let r = 0; r < rows; r++) bwd(1, r, r + 1);
          expectSameValues(view(at.dx[0], rows * d), view(at.dx[1], rows * d), `dx (assign ${assign})`);
        }
      });
    }
  }
});
