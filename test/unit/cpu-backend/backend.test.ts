/** Lifecycle and memory of the CPU backend: selection, heap growth, disposal. */
import { describe, expect, it } from 'vitest';
import { gemm as refGemm } from '../../../src-engine/core/backend/reference';
import { createBestBackend, createCpuBackend, detectWasmFeatures } from '../../../src-engine/node/cpu';

describe('CPU backend lifecycle', () => {
  it('createBestBackend picks the WebAssembly backend where SIMD and shared memory validate', async () => {
    const f = detectWasmFeatures();
    expect(f.simd).toBe(true); // Node 20 has WebAssembly SIMD
    const be = await createBestBackend({ threads: 2 });
    try {
      expect(be.name).toBe(f.threads ? 'cpu-wasm' : 'reference');
      expect(be.description).toMatch(/^CPU · /);
    } finally {
      be.dispose?.();
    }
  });

  it('heap growth keeps every earlier view valid (shared memory never detaches)', async () => {
    const be = await createCpuBackend({ threads: 2, initialHeapBytes: 1 << 16 });
    try {
      const a = be.alloc(300 * 200).map((_, i) => Math.sin(i));
      const b = be.alloc(200 * 100).map((_, i) => Math.cos(i));
      const before = be.heap.memory.buffer.byteLength;
      const big = be.alloc(8 << 20); // forces the memory to grow
      expect(be.heap.memory.buffer.byteLength).toBeGreaterThan(before);
      expect(big.every((v) => v === 0)).toBe(true);
      const c = be.alloc(300 * 100);
      const want = new Float32Array(300 * 100);
      be.gemm({ transA: false, transB: false, m: 300, n: 100, k: 200, a, b, c, accumulate: false });
      refGemm({ transA: false, transB: false, m: 300, n: 100, k: 200, a, b, c: want, accumulate: false });
      let err = 0;
      for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(c[i] - want[i]) / Math.max(1, Math.abs(want[i])));
      expect(err).toBeLessThan(1e-4);
      expect(a[1]).toBeCloseTo(Math.sin(1), 6);
    } finally {
      be.dispose();
    }
  });

  it('dispose stops the workers, is idempotent, and later parallel calls fail with a stable code', async () => {
    const be = await createCpuBackend({ threads: 2 });
    be.dispose();
    be.dispose();
    const n = 256;
    const a = be.alloc(n * n);
    expect(() => be.gemm({ transA: false, transB: false, m: n, n, k: n, a, b: a, c: be.alloc(n * n), accumulate: false })).toThrow(/CPU004/);
  });

  it('zero() clears heap views (by memset) and plain arrays alike, and nothing outside them', async () => {
    const be = await createCpuBackend({ threads: 1 });
    try {
      const big = be.alloc(1000).fill(7);
      const view = big.subarray(10, 990);
      be.zero(view);
      expect(big.slice(0, 10).every((v) => v === 7)).toBe(true);
      expect(view.every((v) => v === 0)).toBe(true);
      expect(big.slice(990).every((v) => v === 7)).toBe(true);
      const plain = new Float32Array(5).fill(3);
      be.zero(plain);
      expect(Array.from(plain)).toEqual([0, 0, 0, 0, 0]);
    } finally {
      be.dispose();
    }
  });

  it('a kernel profile tallies each GEMM task\'s 2·m·n·k FLOPs (split across threads or not) and the peak loop\'s, and stops cleanly', async () => {
    const be = await createCpuBackend({ threads: 2 });
    try {
      const [m, n, k] = [96, 160, 300]; // 4.6 M multiply-adds: cut into tasks across both threads
      const a = be.alloc(m * k).fill(0.5);
      const b = be.alloc(k * n).fill(0.25);
      const c = be.alloc(m * n);
      be.startKernelProfile();
      be.gemm({ transA: false, transB: true, m, n, k, a, b, c, accumulate: false });
      be.gemmMany([
        { transA: false, transB: false, m: 4, n: 8, k: 2, a, b, c, accumulate: false },
        { transA: true, transB: false, m: 2, n: 8, k: 4, a, b: b.subarray(100), c: c.subarray(100), accumulate: false },
      ]);
      expect(be.fmaPeak(1000, 3)).toBe(3 * 1000 * 96);
      const tallies = be.stopKernelProfile();
      expect(tallies.get('gemm')).toMatchObject({ flops: 2 * m * n * k + 2 * 4 * 8 * 2 + 2 * 2 * 8 * 4 });
      expect(tallies.get('gemm')!.calls).toBeGreaterThanOrEqual(2);
      expect(tallies.get('fmaPeak')).toMatchObject({ calls: 1, flops: 3 * 1000 * 96 });
      expect(c[0]).toBeCloseTo(0.5 * 0.25 * 2, 6);
      be.gemm({ transA: false, transB: false, m, n, k, a, b, c, accumulate: false });
      expect(be.stopKernelProfile().size).toBe(0);
    } finally {
      be.dispose();
    }
  });
});
