/** Kernel: named arguments into the pool's argument rows, ranges cut into tasks, per-thread kinds. */
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../../src-engine/node/cpu/generated/kernel-table';
import { Kernel } from '../../../src-engine/node/cpu/kernel';
import { ARGS_STRIDE, MAX_TASKS, type WorkerPool } from '../../../src-engine/node/cpu/pool';

/** A pool stand-in that records what `run` was asked to do. */
function fakePool() {
  const rows = new Float64Array(ARGS_STRIDE * (MAX_TASKS + 1));
  const runs: { fn: number; n: number; mask: number; tasks: number[][] }[] = [];
  const pool = {
    rows,
    callerValue: (kind: number) => 1000 + kind,
    run(fn: number, n: number, mask: number) {
      const tasks = Array.from({ length: n }, (_, t) => Array.from(rows.subarray(t * ARGS_STRIDE, t * ARGS_STRIDE + 6)));
      runs.push({ fn, n, mask, tasks });
    },
  };
  return { pool: pool as unknown as WorkerPool, runs };
}

describe('Kernel', () => {
  it('cuts the range into aligned contiguous shares (the last one ends the range) and writes arguments by name', () => {
    const { pool, runs } = fakePool();
    const relu = new Kernel('reluBackward', () => undefined, pool, { range: ['i0', 'i1'], align: 4 });
    relu.run({ x: 64, dy: 128, dx: 192, i0: 0, i1: 103, assign: 1 }, 3);
    expect(runs).toHaveLength(1);
    expect(runs[0].fn).toBe(KERNELS.reluBackward.id);
    expect(runs[0].mask).toBe(0);
    // ⌊(t + 1)·103 / 3 / 4⌋·4 = 32, 68; then 103.
    expect(runs[0].tasks).toEqual([
      [64, 128, 192, 0, 32, 1],
      [64, 128, 192, 32, 68, 1],
      [64, 128, 192, 68, 103, 1],
    ]);
  });

  it('marks per-thread parameters in the mask, steps parameters per task, and resolves them for a call', () => {
    const { pool, runs } = fakePool();
    let got: number[] = [];
    const bn = new Kernel('bnBackward', (...a: number[]) => void (got = a), pool, { range: ['c0', 'c1'], perThread: { tmp: 2 } });
    const args = { dy: 1, xhat: 2, invStd: 3, gamma: 4, dGamma: 5, dBeta: 6, dx: 7, n: 8, c: 10, inner: 9, c0: 0, c1: 10, training: 1, assign: 0, mode: 0, y: 11, H: 12, W: 13, arg: 14 };
    bn.run(args, 2, { dy: 100 });
    expect(runs[0].mask).toBe(1 << KERNELS.bnBackward.params.findIndex((p) => p.name === 'tmp'));
    expect(runs[0].tasks.map((t) => t[0])).toEqual([1, 101]);
    bn.call(args);
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10, 9, 0, 10, 1, 1002, 0, 0, 11, 12, 13, 14]);
  });
});
