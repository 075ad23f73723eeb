/**
 * The CPU backend's plane kernels (kernels/broadcast.wat, printed by broadcast-gen.ts): Multiply
 * from its op file's expression with a gate repeated along each plane (either input) or two inputs
 * of one shape, and GlobalAvgPool, forward and backward, on 1 and 2 threads. Each is the same bits
 * as the op file's kernel: the output, and each input gradient both assigned (fresh: the reference
 * adds into zeros) and added onto values already there (the repeated input's gradient a sum over
 * its plane in order, one float32 rounding a step, as the reference's `ds[row] += g`). Shapes with
 * plane groups of 8, leftover planes and planes whose length is not a multiple of 4.
 */
import { describe, expect, it } from 'vitest';
import { CPU_KERNEL_OPS } from '../../../src-engine/core/backend/coverage';
import { kernelFor } from '../../../src-engine/core/ops/kernel-set';
import { referenceKernel } from '../../../src-engine/core/ops/kernels/registry';
import { getOp } from '../../../src-engine/core/ops/registry';
import type { Attrs } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import type { CpuBackend } from '../../../src-engine/node/cpu';
import { planeLayout } from '../../../src-engine/node/cpu/overrides/binary';
import { cpuBackends } from './backends';
import { expectSameValues } from '../same-values';

const cpu = cpuBackends();

/** Values over 12 decades, both signs, with zeros of both signs, infinities and a NaN among them. */
function values(n: number, rng: Rng, special = true): Float32Array {
  const v = Float32Array.from({ length: n }, () => rng.normal() * 10 ** Math.floor(rng.uniform() * 12 - 6));
  if (special && n > 40) [0, -0, Infinity, -Infinity, NaN, 1e-40, -3e-39].forEach((s, i) => (v[(i * 37 + 5) % n] = s));
  return v;
}

interface Run {
  output: Float32Array;
  dInputs: (Float32Array | null)[];
}

/**
 * One forward and backward of `op` with `kernel` (the CPU backend's, or the reference's on plain
 * arrays): dInputs start at `start` (null: fresh, which the reference sees as zeros).
 */
function run(op: string, be: CpuBackend | null, xs: readonly Tensor[], outShape: readonly number[], dOut: Float32Array, start: (Float32Array | null)[], attrs: Attrs = {}): Run {
  const alloc = (n: number): Float32Array => (be ? be.alloc(n) : new Float32Array(n));
  const copy = (t: Tensor): Tensor => {
    const c = tensor(t.shape, alloc(t.data.length));
    c.data.set(t.data);
    return c;
  };
  const def = getOp(op)!;
  const kernel = be ? kernelFor(be.overrides, op)! : referenceKernel(def);
  const inputs = xs.map(copy);
  const output = tensor(outShape, alloc(dOut.length));
  const ctx = { inputs, output, params: {}, buffers: {}, workspace: {}, attrs, training: true, rng: new Rng(0), backend: be ?? undefined } as never;
  kernel.forward!(ctx);
  const dInputs = inputs.map((x, i) => {
    const d = tensor(x.shape, alloc(x.data.length));
    // a fresh gradient holds stale values the kernel must not read
    d.data.set(start[i] ?? (be ? new Float32Array(x.data.length).fill(NaN) : new Float32Array(x.data.length)));
    return d;
  });
  const dOutput = tensor(outShape, alloc(dOut.length));
  dOutput.data.set(dOut);
  kernel.backward!({ ...(ctx as object), dOutput, dInputs, dParams: {}, dInputsFresh: be ? start.map((s) => s === null) : undefined } as never);
  return { output: Float32Array.from(output.data), dInputs: dInputs.map((d) => Float32Array.from(d.data)) };
}

function expectSameRuns(ours: Run, ref: Run): void {
  expectSameValues(ours.output, ref.output, 'output');
  ours.dInputs.forEach((d, i) => expectSameValues(d!, ref.dInputs[i]!, `dInput ${i}`));
}

/** How many of `old + dy·g` rounded once (the reference) differ from float32 `old + fl32(dy·g)`: the sums a float32 kernel would get wrong. */
function float32Misses(old: Float32Array, dy: Float32Array, g: (i: number) => number): number {
  let misses = 0;
  for (let i = 0; i < old.length; i++) {
    const once = Math.fround(old[i] + dy[i] * g(i));
    const twice = Math.fround(old[i] + Math.fround(dy[i] * g(i)));
    if (Number.isFinite(once) && !Object.is(once, twice)) misses++;
  }
  return misses;
}

describe('Multiply on the CPU backend', () => {
  it('has a kernel of its own, printed from its expression', () => expect(CPU_KERNEL_OPS).toContain('Multiply'));

  it('sees a gate repeated along the trailing dims, or equal shapes, as planes; anything else is left to the op file', () => {
    expect(planeLayout([2, 3, 1, 1], [2, 3, 4, 5], [2, 3, 4, 5])).toEqual({ mode: 1, rows: 6, len: 20 });
    expect(planeLayout([2, 3, 4, 5], [2, 3, 1, 1], [2, 3, 4, 5])).toEqual({ mode: 2, rows: 6, len: 20 });
    expect(planeLayout([2, 3, 4, 5], [2, 3, 4, 1], [2, 3, 4, 5])).toEqual({ mode: 2, rows: 24, len: 5 });
    expect(planeLayout([2, 3, 4], [2, 3, 4], [2, 3, 4])?.mode).toBe(0);
    expect(planeLayout([2, 1, 4, 5], [2, 3, 4, 5], [2, 3, 4, 5])).toBeUndefined();
    expect(planeLayout([2, 3, 1, 5], [2, 3, 4, 5], [2, 3, 4, 5])).toBeUndefined();
  });

  // [2, 12, 7, 7]: three groups of 8 planes of 49 (a 1-element tail); [3, 5, 3, 3]: a group and 7 planes left over
  const cases: { name: string; a: number[]; b: number[]; out: number[] }[] = [
    { name: 'gate × features [2, 12, 7, 7]', a: [2, 12, 1, 1], b: [2, 12, 7, 7], out: [2, 12, 7, 7] },
    { name: 'features × gate [3, 5, 3, 3]', a: [3, 5, 3, 3], b: [3, 5, 1, 1], out: [3, 5, 3, 3] },
    { name: 'gate × features [4, 16, 6, 6]', a: [4, 16, 1, 1], b: [4, 16, 6, 6], out: [4, 16, 6, 6] },
    { name: 'equal shapes [2, 3, 5, 7]', a: [2, 3, 5, 7], b: [2, 3, 5, 7], out: [2, 3, 5, 7] },
    { name: 'equal shapes [3, 4500] (rows of 4096, a short last one)', a: [3, 4500], b: [3, 4500], out: [3, 4500] },
    { name: 'a dim of 1 inside (the op file runs it)', a: [2, 1, 4, 5], b: [2, 3, 4, 5], out: [2, 3, 4, 5] },
  ];
  for (const c of cases) {
    it(`${c.name}: the same bits as the op file, fresh and accumulating, 1 and 2 threads`, () => {
      const rng = new Rng(c.out.length * 7 + c.a[1]);
      const size = (s: number[]): number => s.reduce((p, d) => p * d, 1);
      const xs = [tensor(c.a, values(size(c.a), rng)), tensor(c.b, values(size(c.b), rng))];
      const dOut = values(size(c.out), rng);
      const old = [values(size(c.a), rng, false), values(size(c.b), rng, false)];
      const fresh = run('Multiply', null, xs, c.out, dOut, [null, null]);
      const added = run('Multiply', null, xs, c.out, dOut, old);
      for (const be of [cpu.one, cpu.two]) {
        expectSameRuns(run('Multiply', be, xs, c.out, dOut, [null, null]), fresh);
        expectSameRuns(run('Multiply', be, xs, c.out, dOut, old), added);
        // one fresh, one added (a gate read by nothing else, features that also feed a pool)
        const mixed = run('Multiply', be, xs, c.out, dOut, [null, old[1]]);
        expectSameValues(mixed.dInputs[0]!, fresh.dInputs[0]!, 'fresh dInput 0');
        expectSameValues(mixed.dInputs[1]!, added.dInputs[1]!, 'added dInput 1');
      }
    });
  }

  it('the added gradients are ones a float32 sum would round differently (the check has teeth)', () => {
    const rng = new Rng(5);
    const [a, b] = [values(2 * 3 * 4 * 4, rng, false), values(2 * 3 * 4 * 4, rng, false)];
    const [dy, old] = [values(a.length, rng, false), values(a.length, rng, false)];
    expect(float32Misses(old, dy, (i) => b[i])).toBeGreaterThan(0);
  });
});

describe('GlobalAvgPool on the CPU backend', () => {
  it('has a kernel of its own', () => expect(CPU_KERNEL_OPS).toContain('GlobalAvgPool'));
  const cases: { x: number[]; keepDims: boolean }[] = [
    { x: [2, 12, 7, 7], keepDims: true },
    { x: [3, 5, 3, 3], keepDims: false },
    { x: [2, 9, 10], keepDims: false },
    { x: [2, 16, 14, 14], keepDims: true },
  ];
  for (const c of cases) {
    it(`[${c.x.join(', ')}]${c.keepDims ? ' keeping dims' : ''}: the same bits as the op file, fresh and accumulating, 1 and 2 threads`, () => {
      const rng = new Rng(c.x[1]);
      const size = c.x.reduce((p, d) => p * d, 1);
      const out = c.keepDims ? [c.x[0], c.x[1], ...c.x.slice(2).map(() => 1)] : [c.x[0], c.x[1]];
      const xs = [tensor(c.x, values(size, rng))];
      const dOut = values(c.x[0] * c.x[1], rng);
      dOut[1] = -0;
      const old = [values(size, rng, false)];
      const attrs = { keepDims: c.keepDims };
      const fresh = run('GlobalAvgPool', null, xs, out, dOut, [null], attrs);
      const added = run('GlobalAvgPool', null, xs, out, dOut, old, attrs);
      for (const be of [cpu.one, cpu.two]) {
        expectSameRuns(run('GlobalAvgPool', be, xs, out, dOut, [null], attrs), fresh);
        expectSameRuns(run('GlobalAvgPool', be, xs, out, dOut, old, attrs), added);
      }
    });
  }
});
