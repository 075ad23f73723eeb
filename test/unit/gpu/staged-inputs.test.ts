/**
 * Inputs uploaded through mapped staging buffers (core/gpu/staged-inputs.ts) on Dawn: the path a
 * large input takes there, and that it trains bit for bit as `queue.writeBuffer` does — the same
 * batches, so the same losses and weights, not merely close ones. The GPU wire's path
 * (writeBuffer, no MAP_WRITE) is wire.test.ts's; a device lost with a staging buffer in flight is
 * device-lost.test.ts's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src-engine/base/rng';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { compileGpuGraph, type GpuGraph } from '../../../src-engine/core/gpu/executor';
import { createGpuOptimizer } from '../../../src-engine/core/gpu/optim';
import { STAGED_MIN_BYTES } from '../../../src-engine/core/gpu/staged-inputs';
import { OVER_WIRE, testGpu } from './device';
import { wideLinear } from './graphs';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const BATCH = 16;
/** One sample's features: a batch of them is exactly the staging threshold (labels stay far below it). */
const FEATURES = STAGED_MIN_BYTES / 4 / BATCH;

const graph = wideLinear(FEATURES);

/** Six steps over three distinct batches, twice: a stale batch anywhere changes the losses. */
function batches(): { x: Float32Array; label: Float32Array }[] {
  const rng = new Rng(7);
  const three = Array.from({ length: 3 }, () => ({
    x: Float32Array.from({ length: BATCH * FEATURES }, () => rng.normal()),
    label: Float32Array.from({ length: BATCH }, () => rng.int(10)),
  }));
  return [...three, ...three];
}

/** Train `data` one step each (Adam), awaiting each step or, with `overlap`, launching two at a time; the losses and the final weights. */
async function train(gpu: GpuGraph, data: { x: Float32Array; label: Float32Array }[], overlap = false): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const opt = createGpuOptimizer(ctx, { kind: 'adam', lr: 1e-2 }, gpu.params);
  const losses: number[] = [];
  for (let i = 0; i < data.length; i += overlap ? 2 : 1) {
    const steps = data.slice(i, overlap ? i + 2 : i + 1).map((b) => {
      gpu.setInput('x', b.x);
      gpu.setInput('label', b.label);
      return gpu.trainStep(opt, 1e-2);
    });
    losses.push(...(await Promise.all(steps)));
  }
  await gpu.syncToHost();
  return { losses, weights: gpu.params.map((p) => p.host.value.data.slice()) };
}

describe('inputs through mapped staging buffers', () => {
  const data = batches();
  /** The default path (staged on Dawn), each step awaited. */
  let got: { losses: number[]; weights: Float32Array[] };
  let staged: GpuGraph;
  beforeAll(async () => {
    staged = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 5 });
    got = await train(staged, data);
  }, 60_000);

  it('on Dawn a large input goes through one reused staging buffer and trains bit for bit as writeBuffer does', async () => {
    expect(ctx.mappedWrites, 'Dawn maps buffers for writing; the wire does not').toBe(!OVER_WIRE);
    // x (256 KiB a batch) staged every step, labels (64 B) written; one buffer, mapped again in time for each next step.
    expect(staged.inputWrites).toEqual(OVER_WIRE ? { staged: 0, written: 12, buffers: 0 } : { staged: 6, written: 6, buffers: 1 });
    const was = ctx.mappedWrites;
    ctx.mappedWrites = false;
    try {
      const written = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 5 });
      const want = await train(written, data);
      expect(written.inputWrites).toEqual({ staged: 0, written: 12, buffers: 0 });
      expect(got.losses).toEqual(want.losses);
      got.weights.forEach((w, i) => expect(w, `parameter ${i}`).toEqual(want.weights[i]));
      expect(want.losses[3]).toBeLessThan(want.losses[0]); // it trained: the same batch, three steps on
    } finally {
      ctx.mappedWrites = was;
    }
  }, 120_000);

  it('steps launched before the last one is done take a second buffer and train the same; the last write before a read or a step wins', async () => {
    const other = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 5 });
    const overlapped = await train(other, data, true);
    expect(overlapped.losses).toEqual(got.losses);
    overlapped.weights.forEach((w, i) => expect(w, `parameter ${i}`).toEqual(got.weights[i]));
    if (!OVER_WIRE) expect(other.inputWrites.buffers).toBe(2);
    // Two writes, then a read: the second batch, copied by the read itself (no step in between).
    other.setInput('x', data[0].x);
    other.setInput('x', data[1].x);
    expect(await other.read('x')).toEqual(data[1].x);
    // A write, then an eval forward: the forward reads it.
    other.setInput('x', data[2].x);
    other.setInput('label', data[2].label);
    const loss = await other.forward();
    expect(await other.read('x')).toEqual(data[2].x);
    other.setInput('x', data[2].x);
    expect(await other.forward()).toBe(loss);
  }, 120_000);
});
