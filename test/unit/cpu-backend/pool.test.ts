/**
 * The worker pool's dynamic scheduling: every task runs exactly once per call (a duplicated or
 * dropped task would show in accumulated sums), and results do not depend on thread timing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { getOp } from '../../../src-engine/core/ops/registry';
import { Rng } from '../../../src-engine/base/rng';
import { tensor } from '../../../src-engine/base/tensor';
import { runOp } from '../engine/harness';
import { expectSameValues } from '../same-values';

let be: CpuBackend;
beforeAll(async () => {
  be = await createCpuBackend({ threads: 2 });
});
afterAll(() => be?.dispose());

describe('WorkerPool', () => {
  it('runs each task exactly once: 1500 accumulating GEMMs split into several tasks give exact sums', () => {
    const [m, n, k] = [64, 256, 128]; // 2 Mi multiply-adds: cut into 4 tasks on 2 threads
    const a = be.alloc(m * k).fill(1);
    const b = be.alloc(k * n).fill(1);
    const c = be.alloc(m * n);
    const rounds = 1500;
    for (let r = 0; r < rounds; r++) be.gemm({ transA: false, transB: false, m, n, k, a, b, c, accumulate: true });
    // Integers below 2²⁴ are exact in float32, so any lost or repeated task changes some entry.
    expect(c.every((v) => v === k * rounds)).toBe(true);
  });

  it('interleaves kernels of different kinds without mixing their arguments', () => {
    const x = be.alloc(1 << 17).map((_, i) => (i % 7) - 3);
    const y = be.alloc(1 << 17);
    const relu = be.overrides!.ReLU!;
    const [m, n, k] = [64, 128, 96];
    const a = be.alloc(m * k).fill(0.5);
    const bm = be.alloc(k * n).fill(2);
    const c = be.alloc(m * n);
    const ctx = { inputs: [tensor([1 << 17], x)], output: tensor([1 << 17], y), params: {}, buffers: {}, workspace: {}, attrs: {}, training: true, rng: new Rng(1), backend: be };
    for (let r = 0; r < 300; r++) {
      relu.forward!(ctx);
      be.gemm({ transA: false, transB: false, m, n, k, a, b: bm, c, accumulate: false });
    }
    expect(y.every((v, i) => v === Math.max(0, (i % 7) - 3))).toBe(true);
    expect(c.every((v) => v === k)).toBe(true);
  });

  it("runs the caller's own `beside` work once per round while the worker takes the round's tasks; its error comes after the round", () => {
    const [m, n, k] = [64, 256, 128]; // 4 tasks on 2 threads
    const a = be.alloc(m * k).fill(1);
    const b = be.alloc(k * n).fill(1);
    const c = be.alloc(m * n);
    const bits = new Int32Array(c.buffer, c.byteOffset, c.length);
    const gemm = { transA: false, transB: false, m, n, k, a, b, c, accumulate: true };
    // The first round: beside waits (up to 10 s) until a task's sums appear in C, which only the
    // worker can have written, the caller being in `beside` until then.
    let seen = false;
    be.gemmMany([gemm], () => {
      const until = performance.now() + 10_000;
      while (!seen && performance.now() < until) for (let i = 0; i < n && !seen; i += 16) for (let r = 0; r < m && !seen; r += 8) seen = Atomics.load(bits, r * n + i) !== 0;
    });
    expect(seen).toBe(true);
    let calls = 0;
    for (let r = 1; r < 200; r++) be.gemmMany([gemm], () => void calls++);
    expect(calls).toBe(199);
    expect(c.every((v) => v === k * 200)).toBe(true);
    const launches = be.launches;
    expect(() =>
      be.gemmMany([gemm], () => {
        throw new Error('beside failed');
      }),
    ).toThrow('beside failed');
    // the round ran (one launch) and finished every task before the error surfaced; the pool goes on
    expect(be.launches).toBe(launches + 1);
    expect(c.every((v) => v === k * 201)).toBe(true);
    be.gemm(gemm);
    expect(c.every((v) => v === k * 202)).toBe(true);
  });

  it('Conv2d gradients are bit-identical from run to run on 2 threads (per-task partial sums)', () => {
    const def = getOp('Conv2d')!;
    const rng = new Rng(3);
    const x = tensor([32, 8, 12, 12], Float32Array.from({ length: 32 * 8 * 144 }, () => rng.normal()));
    const attrs = { outChannels: 16, kernelSize: [3, 3], padding: [1, 1] };
    const first = runOp(def, { inputs: [x], attrs, seed: 1, backend: be });
    for (let r = 0; r < 5; r++) {
      const again = runOp(def, { inputs: [x], attrs, seed: 1, backend: be });
      expectSameValues(again.dParams.weight.data, first.dParams.weight.data);
      expectSameValues(again.dParams.bias.data, first.dParams.bias.data);
    }
  });

  it('works with more threads than cores (4 threads: three workers claim tasks too)', async () => {
    const four = await createCpuBackend({ threads: 4 });
    try {
      const [m, n, k] = [96, 512, 64];
      const a = four.alloc(m * k).fill(1);
      const b = four.alloc(k * n).fill(1);
      const c = four.alloc(m * n);
      for (let r = 0; r < 200; r++) four.gemm({ transA: false, transB: false, m, n, k, a, b, c, accumulate: true });
      expect(c.every((v) => v === k * 200)).toBe(true);
      const def = getOp('Conv2d')!;
      const rng = new Rng(4);
      const x = tensor([16, 4, 10, 10], Float32Array.from({ length: 16 * 400 }, () => rng.normal()));
      const attrs = { outChannels: 8, kernelSize: [3, 3], padding: [1, 1] };
      const want = runOp(def, { inputs: [x], attrs, seed: 2, backend: be });
      const got = runOp(def, { inputs: [x], attrs, seed: 2, backend: four });
      let err = 0;
      for (let i = 0; i < want.output.data.length; i++) err = Math.max(err, Math.abs(got.output.data[i] - want.output.data[i]));
      expect(err).toBeLessThan(1e-5);
    } finally {
      four.dispose();
    }
  });
});
