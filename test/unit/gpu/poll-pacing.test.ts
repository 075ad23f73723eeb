/**
 * Dawn's event polling, paced (src-engine/node/gpu/poll-pacing.ts): on the real binding, a long
 * GPU wait polls a few times per millisecond instead of spinning, its result unchanged; every
 * other `setImmediate` callback passes through as Node's own.
 */
import { promisify } from 'node:util';
import { setImmediate as immediatePromise } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gemm as referenceGemm } from '../../../src-engine/core/backend/reference';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { prepareGemm, submitDispatches } from '../../../src-engine/core/gpu/gemm';
import { dawnPollStats, isDawnPoll, pollSleepUs } from '../../../src-engine/node/gpu/poll-pacing';
import { Rng } from '../../../src-engine/base/rng';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

describe("Dawn's polling, paced", () => {
  it('a wait is answered at most an eighth late: on a hardware adapter short waits are polled at once, long ones every 0.5 ms at most', () => {
    expect(pollSleepUs(0)).toBe(0);
    expect(pollSleepUs(0.3)).toBe(0); // 37.5 µs: under the kernel's timer slack, not slept
    expect(pollSleepUs(1)).toBe(125);
    expect(pollSleepUs(2)).toBe(250);
    expect(pollSleepUs(100)).toBe(500);
  });

  it('on a software adapter (SwiftShader: its shaders run on the cores a spinning poll takes) every poll of a wait but its first sleeps, at least 50 µs', () => {
    expect(pollSleepUs(0, true)).toBe(0);
    expect(pollSleepUs(0.001, true)).toBe(50);
    expect(pollSleepUs(0.3, true)).toBe(50);
    expect(pollSleepUs(1, true)).toBe(125);
    expect(pollSleepUs(100, true)).toBe(500);
    // This process's device (SwiftShader's unless the environment names another driver) sets it.
    expect(dawnPollStats().software).toBe(ctx.adapter.isFallback);
  });

  it('a long wait on the real binding polls a few times per millisecond, not in a loop, and reads back the right product', async () => {
    // A 256³ GEMM: about 0.1 s on SwiftShader.
    const n = 256;
    const rng = new Rng(3);
    const a = Float32Array.from({ length: n * n }, () => rng.uniform() - 0.5);
    const b = Float32Array.from({ length: n * n }, () => rng.uniform() - 0.5);
    const [ta, tb, tc] = [ctx.createTensor(n * n), ctx.createTensor(n * n), ctx.createTensor(n * n)];
    ctx.write(ta, a);
    ctx.write(tb, b);
    const d = prepareGemm(ctx, { transA: false, transB: false, m: n, n, k: n, a: ta, b: tb, c: tc, accumulate: false });
    await ctx.read(tc); // the pipeline compiled and the buffers written before the wait measured
    // Count the binding's polls as it queues them (the global it looks up), whatever the pacing does.
    const paced = globalThis.setImmediate;
    let polls = 0;
    globalThis.setImmediate = Object.assign((cb: (...a: unknown[]) => void, ...args: unknown[]) => {
      if (isDawnPoll(cb)) polls++;
      return paced(cb, ...args);
    }, paced) as typeof globalThis.setImmediate;
    const before = dawnPollStats();
    const t0 = performance.now();
    let got: Float32Array;
    try {
      submitDispatches(ctx, [d]);
      got = await ctx.read(tc);
    } finally {
      globalThis.setImmediate = paced;
    }
    const waitedMs = performance.now() - t0;
    // Unpaced, the binding polls every few microseconds: hundreds of times per millisecond.
    expect(polls).toBeGreaterThan(0);
    expect(polls).toBeLessThan(200 + 4 * waitedMs);
    expect(dawnPollStats().sleeps - before.sleeps).toBeGreaterThan(0);
    const want = new Float32Array(n * n);
    referenceGemm({ transA: false, transB: false, m: n, n, k: n, a, b, c: want, accumulate: false });
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThan(1e-4);
  });

  it('every other setImmediate callback passes through: arguments, order, clearImmediate, the promise forms', async () => {
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      setImmediate((x: string, y: string) => seen.push(`${x}${y}`), 'a', 'b');
      const cancelled = setImmediate(() => seen.push('cancelled'));
      clearImmediate(cancelled);
      const bound = function (this: { tag: string }) {
        seen.push(this.tag);
      }.bind({ tag: 'bound' });
      setImmediate(bound);
      setImmediate(resolve);
    });
    expect(seen).toEqual(['ab', 'bound']);
    expect(await promisify(setImmediate)('p')).toBe('p');
    expect(await immediatePromise('t')).toBe('t');
  });
});
