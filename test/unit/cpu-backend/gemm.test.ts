/**
 * The WebAssembly GEMM against the reference backend: every transpose variant, odd sizes that hit
 * every edge path of the 2×16 micro-kernel and the 64/256/512 blocking, accumulate on and off,
 * heap views and plain arrays, 1 and 2 threads.
 *
 * NOTE (tolerance): the blocked kernel sums each dot product in a different order than the
 * reference (KC-sized partial sums, four lanes, and a fused multiply-add when relaxed SIMD is
 * on), so results differ by float32 reassociation: |err| ≲ k·2⁻²⁴·Σ|a·b|. With inputs in
 * [-1, 1] we assert |err| ≤ 1e-6·k·max(1, |ref|)… in practice measured errors are ~10× below that.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gemm as refGemm } from '../../../src-engine/core/backend/reference';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { compileKernelModules, detectWasmFeatures, instantiateKernels } from '../../../src-engine/node/cpu/features';
import { GEMM } from '../../../src-engine/node/cpu/generated/kernel-table';
import { expectSameValues } from '../same-values';

let one: CpuBackend;
let two: CpuBackend;

beforeAll(async () => {
  one = await createCpuBackend({ threads: 1 });
  two = await createCpuBackend({ threads: 2 });
});
afterAll(() => {
  one?.dispose();
  two?.dispose();
});

function fill(x: Float32Array, seed: number): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 1.618 + seed * 0.7) * Math.cos(i * 0.37 + seed);
  return x;
}

function maxScaledError(got: Float32Array, want: Float32Array, n: number): number {
  let e = 0;
  for (let i = 0; i < n; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return e;
}

type Case = [m: number, n: number, k: number];
const SIZES: Case[] = [
  [1, 1, 1],
  [3, 17, 5],
  [17, 3, 65],
  [2, 16, 256],
  [65, 129, 3],
  [129, 65, 257],
  [64, 128, 784],
  [5, 530, 300],
  [300, 7, 520],
];

describe('CPU backend GEMM matches the reference', () => {
  for (const [m, n, k] of SIZES) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          it(`${m}×${n}×${k} transA=${transA} transB=${transB} accumulate=${accumulate}`, () => {
            for (const be of [one, two]) {
              const a = fill(be.alloc(m * k), 1);
              const b = fill(be.alloc(k * n), 2);
              const c = fill(be.alloc(m * n), 3);
              const want = Float32Array.from(c);
              refGemm({ transA, transB, m, n, k, a, b, c: want, accumulate });
              be.gemm({ transA, transB, m, n, k, a, b, c, accumulate });
              expect(maxScaledError(c, want, m * n), be.description).toBeLessThan(1e-6 * k + 1e-6);
            }
          });
        }
      }
    }
  }

  it('copies arrays that are not heap views in and out, and leaves C untouched past m×n', () => {
    const [m, n, k] = [33, 47, 71];
    for (const be of [one, two]) {
      const a = fill(new Float32Array(k * m), 4);
      const b = fill(new Float32Array(n * k), 5);
      const c = fill(new Float32Array(m * n + 3), 6);
      const want = Float32Array.from(c);
      refGemm({ transA: true, transB: true, m, n, k, a, b, c: want, accumulate: true });
      be.gemm({ transA: true, transB: true, m, n, k, a, b, c, accumulate: true });
      expect(maxScaledError(c, want, m * n)).toBeLessThan(1e-4);
      expectSameValues(c.subarray(m * n), want.subarray(m * n));
    }
  });

  it('works on subarray views at odd offsets inside the heap', () => {
    const [m, n, k] = [9, 21, 13];
    const big = fill(two.alloc(1000), 7);
    const a = big.subarray(3, 3 + m * k);
    const b = big.subarray(301, 301 + k * n);
    const c = two.alloc(m * n + 5).subarray(5);
    const want = new Float32Array(m * n);
    refGemm({ transA: false, transB: false, m, n, k, a, b, c: want, accumulate: false });
    two.gemm({ transA: false, transB: false, m, n, k, a, b, c, accumulate: false });
    expect(maxScaledError(c, want, m * n)).toBeLessThan(1e-4);
  });

  it('k = 0 gives C = 0 (or leaves C when accumulating)', () => {
    const c = fill(two.alloc(6), 8);
    const before = Array.from(c);
    two.gemm({ transA: false, transB: false, m: 2, n: 3, k: 0, a: two.alloc(0), b: two.alloc(0), c, accumulate: true });
    expect(Array.from(c)).toEqual(before);
    two.gemm({ transA: false, transB: false, m: 2, n: 3, k: 0, a: two.alloc(0), b: two.alloc(0), c, accumulate: false });
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rejects arrays shorter than the sizes say, with a stable code', () => {
    expect(() =>
      two.gemm({ transA: false, transB: false, m: 4, n: 4, k: 4, a: two.alloc(15), b: two.alloc(16), c: two.alloc(16), accumulate: false }),
    ).toThrow(/CPU006/);
  });

  it('1 and 2 threads agree exactly (each C element is summed in the same order on any thread)', () => {
    // NOTE: threads split C into column (or row) blocks aligned to whole micro-panels, and each
    // element's dot product runs over the same KC blocks in the same order, so the split changes
    // which thread computes an element, never how: results are bit-identical.
    for (const [m, n, k] of [[64, 128, 784], [200, 40, 300], [513, 1031, 97]] as Case[]) {
      const a1 = fill(one.alloc(m * k), 9), b1 = fill(one.alloc(k * n), 10), c1 = one.alloc(m * n);
      const a2 = fill(two.alloc(m * k), 9), b2 = fill(two.alloc(k * n), 10), c2 = two.alloc(m * n);
      one.gemm({ transA: false, transB: true, m, n, k, a: a1, b: b1, c: c1, accumulate: false });
      two.gemm({ transA: false, transB: true, m, n, k, a: a2, b: b2, c: c2, accumulate: false });
      expectSameValues(c2, c1);
    }
  });

  it('reports what it detected', () => {
    expect(two.description).toMatch(/^CPU · 2 threads \(WebAssembly SIMD(, relaxed FMA)?\)$/);
    expect(one.description).toMatch(/^CPU · 1 thread \(/);
  });
});

describe('gemmMany: independent GEMMs in one parallel round', () => {
  /** A Linear layer's backward at batch 64 (input gradient and weight gradient), plus a GEMM small enough to stay whole. */
  const LIST: [transA: boolean, transB: boolean, m: number, n: number, k: number, accumulate: boolean][] = [
    [false, false, 64, 128, 784, false],
    [true, false, 784, 128, 64, true],
    [false, true, 10, 20, 64, true],
    [false, false, 64, 64, 128, true],
  ];
  for (const [label, list] of [
    ['a Linear backward and more', LIST],
    ['GEMMs that each stay on the caller', LIST.filter(([, , m, n, k]) => m * n * k < 1 << 18)],
  ] as const) {
    it(`${label}: the same bits as gemm on each in turn, on 1 and 2 threads`, () => {
      for (const be of [one, two]) {
        const operands = list.map(([transA, transB, m, n, k, accumulate], i) => ({
          transA, transB, m, n, k, accumulate,
          a: fill(be.alloc(m * k), 3 * i), b: fill(be.alloc(k * n), 3 * i + 1), c: fill(be.alloc(m * n), 3 * i + 2),
        }));
        // Every array the backend handed out is recognised as its own, however the heap grew
        // meanwhile (else each kernel would stage a copy of it: SharedHeap.allocFloats' NOTE).
        expect(operands.every((g) => be.heap.owns(g.a) && be.heap.owns(g.b) && be.heap.owns(g.c))).toBe(true);
        const want = operands.map((g) => {
          const c = Float32Array.from(g.c);
          const scratch = be.alloc(c.length);
          scratch.set(c);
          be.gemm({ ...g, c: scratch });
          return Float32Array.from(scratch);
        });
        const l0 = be.launches;
        be.gemmMany(operands);
        const rounds = be.launches - l0;
        operands.forEach((g, i) => expect(Buffer.compare(Buffer.from(g.c.buffer, g.c.byteOffset, g.c.byteLength), Buffer.from(want[i].buffer)), `GEMM ${i}`).toBe(0));
        // Parallel GEMMs share one round; GEMMs that stay whole keep running on the caller alone.
        expect(rounds).toBe(be.threads > 1 && list.length === LIST.length ? 1 : 0);
      }
    });
  }

  it('operands outside the heap: the same bits, one GEMM at a time', () => {
    const [transA, transB, m, n, k] = LIST[0];
    const a = fill(new Float32Array(m * k), 1);
    const b = fill(new Float32Array(k * n), 2);
    const want = new Float32Array(m * n);
    const c1 = new Float32Array(m * n);
    const c2 = new Float32Array(m * n);
    two.gemm({ transA, transB, m, n, k, a, b, c: want, accumulate: false });
    two.gemmMany([{ transA, transB, m, n, k, a, b, c: c1, accumulate: false }, { transA, transB, m, n, k, a, b, c: c2, accumulate: false }]);
    expect(Buffer.compare(Buffer.from(c1.buffer), Buffer.from(want.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(c2.buffer), Buffer.from(want.buffer))).toBe(0);
  });
});

describe('A read in place for blocks of few columns (GEMM.DIRECT_A_MAX_N, rows at most DIRECT_A_MAX_LDA apart)', () => {
  // Edge rows (m odd: the last row packed on its own) and edge tiles (n not a multiple of NR), a
  // block of one depth step, with and without C or a bias row to add to, columns split and not.
  const CASES: Case[] = [[65, 64, 256], [33, 48, 64], [130, 20, 97], [64, 64, 1], [4096, 64, 64]];
  it('the same bits as the same op(A) stored transposed (packed), on 1 and 2 threads', () => {
    expect(GEMM.DIRECT_A_MAX_N).toBeGreaterThanOrEqual(64);
    expect(GEMM.DIRECT_A_MAX_LDA).toBeGreaterThanOrEqual(256);
    for (const be of [one, two])
      for (const [i, [m, n, k]] of CASES.entries())
        for (const transB of [false, true])
          for (const mode of ['assign', 'accumulate', 'bias'] as const) {
            const a = fill(be.alloc(m * k), i);
            const at = be.alloc(m * k);
            for (let r = 0; r < m; r++) for (let p = 0; p < k; p++) at[p * m + r] = a[r * k + p];
            const b = fill(be.alloc(k * n), i + 1);
            const bias = fill(be.alloc(n), i + 2);
            const inPlace = fill(be.alloc(m * n), i + 3);
            const packed = be.alloc(m * n);
            packed.set(inPlace);
            const args = { transB, m, n, k, b, accumulate: mode === 'accumulate' };
            if (mode === 'bias') {
              be.gemmBias({ ...args, transA: false, a, c: inPlace }, bias);
              be.gemmBias({ ...args, transA: true, a: at, c: packed }, bias);
            } else {
              be.gemm({ ...args, transA: false, a, c: inPlace });
              be.gemm({ ...args, transA: true, a: at, c: packed });
            }
            expectSameValues(inPlace, packed, `${be.threads} threads: ${m}×${n}×${k} transB=${transB} ${mode}`);
          }
  });
});

describe('gemmBias: C = op(A)·op(B) + a bias row (Linear\'s y = x·Wᵀ + b)', () => {
  /**
   * Whole and edge tiles, two depth blocks (k > KC), columns split across threads (n ≥ m) and rows,
   * the dot-product path (m·n ≤ DOT_MAX_OUTPUT, transB, k ≥ DOT_MIN_DEPTH), k = 0.
   */
  const CASES: [transA: boolean, transB: boolean, m: number, n: number, k: number][] = [
    [false, true, 4096, 192, 64],
    [false, true, 130, 97, 300],
    [false, false, 33, 520, 17],
    [true, true, 300, 7, 520],
    [false, true, 8, 10, 64],
    [false, true, 5, 3, 0],
  ];
  it('the same bits as C filled with the bias and gemm accumulating onto it, on 1 and 2 threads', () => {
    for (const be of [one, two])
      for (const [i, [transA, transB, m, n, k]] of CASES.entries()) {
        const a = fill(be.alloc(m * k), i);
        const b = fill(be.alloc(k * n), i + 1);
        const bias = fill(be.alloc(n), i + 2);
        const want = be.alloc(m * n);
        for (let r = 0; r < m; r++) want.set(bias, r * n);
        be.gemm({ transA, transB, m, n, k, a, b, c: want, accumulate: true });
        // C's old values must not show: NaN everywhere before.
        const got = be.alloc(m * n).fill(NaN);
        be.gemmBias({ transA, transB, m, n, k, a, b, c: got, accumulate: false }, bias);
        expectSameValues(got, want, `${be.threads} threads: ${m}×${n}×${k} transA=${transA} transB=${transB}`);
      }
  });
  it('rejects accumulating (C is written)', () => {
    const x = one.alloc(4);
    expect(() => one.gemmBias({ transA: false, transB: false, m: 2, n: 2, k: 2, a: x, b: x, c: one.alloc(4), accumulate: true }, x)).toThrow(/written/);
  });
});

describe('gemmPackedB: op(B) packed once for many products (a recurrent layer\'s W_hh at every time step)', () => {
  it('the same bits as gemm (transA false) for every transB, edge and block, accumulate on and off', () => {
    // The modules on a memory of their own, called by address: packOperandB and gemmPackedB are
    // recurrent.wat's imports, no backend kernel. Sizes: odd m (a one-row edge), m past MC, n past NC and not a
    // multiple of NR, k past KC, and the LSTM's shapes (64 × 512 × 128 forward, 64 × 128 × 512 back).
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 256, shared: true });
    const gemm = instantiateKernels(compileKernelModules(detectWasmFeatures()), memory).gemm as Record<string, (...args: number[]) => void>;
    const f32 = new Float32Array(memory.buffer);
    const scratch = 0;
    const A = GEMM.SCRATCH_BYTES;
    const sizes: Case[] = [[64, 512, 128], [64, 128, 512], [5, 530, 300], [1, 17, 3], [33, 16, 257], [131, 40, 20]];
    for (const [m, n, k] of sizes) {
      const padded = Math.ceil(n / GEMM.NR) * GEMM.NR;
      const B = A + 4 * m * k, packed = B + 4 * k * n, C1 = packed + 4 * k * padded, C2 = C1 + 4 * m * n;
      fill(f32.subarray(A / 4, A / 4 + m * k), m);
      fill(f32.subarray(B / 4, B / 4 + k * n), n);
      for (const transB of [0, 1]) {
        gemm.packOperandB(transB, k, n, B, transB ? k : n, packed);
        for (const accumulate of [0, 1]) {
          fill(f32.subarray(C1 / 4, C1 / 4 + m * n), k);
          f32.copyWithin(C2 / 4, C1 / 4, C1 / 4 + m * n);
          gemm.gemm(0, transB, m, n, k, A, k, B, transB ? k : n, C1, n, accumulate, 0, scratch);
          gemm.gemmPackedB(m, n, k, A, k, packed, C2, n, accumulate, scratch);
          expectSameValues(f32.subarray(C2 / 4, C2 / 4 + m * n), f32.subarray(C1 / 4, C1 / 4 + m * n), `${m}×${n}×${k} transB=${transB} accumulate=${accumulate}`);
        }
      }
    }
  });
});

describe("gemm's transA 2: A prepacked in MR-row panels over its whole depth (winograd4Weights writes U so)", () => {
  it('the same bits as transA 0 for every transB, edge and block, accumulate on and off', () => {
    // Odd m (the last panel's partner row garbage: NaN, which must not reach C), m past MC, n past NC
    // and not a multiple of NR, k past KC, and few columns (where transA 0 reads A's rows in place).
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 256, shared: true });
    const gemm = instantiateKernels(compileKernelModules(detectWasmFeatures()), memory).gemm as Record<string, (...args: number[]) => void>;
    const f32 = new Float32Array(memory.buffer);
    const A = GEMM.SCRATCH_BYTES;
    const sizes: Case[] = [[64, 512, 128], [5, 530, 300], [1, 17, 3], [33, 16, 257], [131, 40, 20], [130, 64, 256]];
    for (const [m, n, k] of sizes) {
      const rows = m + (m % GEMM.MR ? GEMM.MR - (m % GEMM.MR) : 0);
      const P = A + 4 * m * k, B = P + 4 * rows * k, C1 = B + 4 * k * n, C2 = C1 + 4 * m * n;
      fill(f32.subarray(A / 4, A / 4 + m * k), m);
      fill(f32.subarray(B / 4, B / 4 + k * n), n);
      // panel i: rows MR·i … MR·i + MR − 1, element (r, p) at (MR·i·k + MR·p + r)
      for (let r = 0; r < rows; r++)
        for (let p = 0; p < k; p++) {
          const at = P / 4 + (r - (r % GEMM.MR)) * k + GEMM.MR * p + (r % GEMM.MR);
          f32[at] = r < m ? f32[A / 4 + r * k + p] : NaN;
        }
      for (const transB of [0, 1])
        for (const accumulate of [0, 1]) {
          fill(f32.subarray(C1 / 4, C1 / 4 + m * n), k);
          f32.copyWithin(C2 / 4, C1 / 4, C1 / 4 + m * n);
          gemm.gemmNoBias(0, transB, m, n, k, A, k, B, transB ? k : n, C1, n, accumulate, 0);
          gemm.gemmNoBias(2, transB, m, n, k, P, 0, B, transB ? k : n, C2, n, accumulate, 0);
          expectSameValues(f32.subarray(C2 / 4, C2 / 4 + m * n), f32.subarray(C1 / 4, C1 / 4 + m * n), `${m}×${n}×${k} transB=${transB} accumulate=${accumulate}`);
        }
    }
  });
});
