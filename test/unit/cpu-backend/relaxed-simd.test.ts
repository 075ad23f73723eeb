/**
 * The relaxed-SIMD (fused multiply-add) kernels. Node 20 ships relaxed SIMD behind a V8 flag, so
 * this file (its own Vitest worker process) turns it on with `enableRelaxedSimd` before the backend
 * detects features, as the engine's and the CLIs' entries do; Node 22+ and Electron 45's V8 have it
 * on by default. (vitest.config.ts's `cpu-fma` project runs the rest of the CPU backend's files with
 * these kernels too.)
 *
 * Tolerance as gemm.test.ts: the fused multiply-add rounds once instead of twice, which stays well
 * inside the float32 reassociation bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gemm as refGemm } from '../../../src-engine/core/backend/reference';
import { enableRelaxedSimd } from '../../../src-engine/node/cpu/features';
import type { CpuBackend } from '../../../src-engine/node/cpu';

const enabled = enableRelaxedSimd();

let be: CpuBackend;
beforeAll(async () => {
  // Imported after the flag is set, so feature detection sees it.
  const { createCpuBackend } = await import('../../../src-engine/node/cpu');
  be = await createCpuBackend({ threads: 2 });
});
afterAll(() => be?.dispose());

describe('relaxed-SIMD kernels', () => {
  it('are detected and used when the runtime validates them', () => {
    expect(enabled).toBe(true);
    expect(be.features.relaxedSimd).toBe(true);
    expect(be.features.fma).toBe(true);
    expect(be.description).toBe('CPU · 2 threads (WebAssembly SIMD, relaxed FMA)');
  });

  for (const [m, n, k] of [[1, 1, 1], [17, 65, 3], [129, 33, 257], [64, 128, 784]]) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      it(`GEMM ${m}×${n}×${k} transA=${transA} transB=${transB} matches the reference`, () => {
        const fill = (x: Float32Array, s: number): Float32Array => x.map((_, i) => Math.sin(i * 1.618 + s));
        const a = fill(be.alloc(m * k), 1);
        const b = fill(be.alloc(k * n), 2);
        const c = fill(be.alloc(m * n), 3);
        const want = Float32Array.from(c);
        refGemm({ transA, transB, m, n, k, a, b, c: want, accumulate: true });
        be.gemm({ transA, transB, m, n, k, a, b, c, accumulate: true });
        let err = 0;
        for (let i = 0; i < m * n; i++) err = Math.max(err, Math.abs(c[i] - want[i]) / Math.max(1, Math.abs(want[i])));
        expect(err).toBeLessThan(1e-6 * k + 1e-6);
      });
    }
  }
});
