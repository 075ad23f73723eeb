/**
 * Dawn's step (core/gpu/staged-inputs.ts, `GpuContext.splitSubmits`): a large input uploaded
 * through a mapped staging buffer, and the forward submitted before the backward is encoded; and
 * that it trains bit for bit as the GPU wire's step does (`queue.writeBuffer`, one submission) —
 * the same batches and dispatches, so the same losses and weights, not merely close ones. The
 * wire's own traffic is wire.test.ts's; a device lost with a staging buffer in flight is
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

/** Many short rows rather than a few long ones: a Linear summing 16,384 inputs is slow on SwiftShader (a barrier per k-slice). */
const BATCH = 1024;
/** One sample's features: a batch of them is exactly the staging threshold (the labels, 4 KiB, stay far below it). */
const FEATURES = STAGED_MIN_BYTES / 4 / BATCH;

const graph = wideLinear(FEATURES);

/** The first element at which `a` and `b` differ in bits, or -1 (vitest's deep equality takes seconds on a million floats). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

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
  /** Submissions per training step (without the optimizer: one update-free step). */
  let submits = 0;
  beforeAll(async () => {
    staged = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 5 });
    got = await train(staged, data);
    const queue = ctx.device.queue;
    const submit = queue.submit;
    queue.submit = (b) => {
      submits++;
      submit.call(queue, b);
    };
    try {
      staged.setInput('x', data[0].x);
      await staged.trainStep();
    } finally {
      queue.submit = submit;
    }
  }, 60_000);

  it('on Dawn a large input goes through one reused staging buffer, the forward is submitted alone, and it trains bit for bit as the wire\'s step', async () => {
    expect(ctx.mappedWrites, 'Dawn maps buffers for writing; the wire does not').toBe(!OVER_WIRE);
    expect(submits, 'forward, then backward and readback copies').toBe(OVER_WIRE ? 1 : 2);
    // x (1 MiB a batch) staged every step (and once more in beforeAll), labels (4 KiB) written; one buffer, mapped again in time for each next step.
    expect(staged.inputWrites).toEqual(OVER_WIRE ? { staged: 0, written: 13, buffers: 0 } : { staged: 7, written: 6, buffers: 1 });
    const was = [ctx.mappedWrites, ctx.splitSubmits] as const;
    ctx.mappedWrites = false;
    ctx.splitSubmits = false;
    try {
      const written = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 5 });
      const want = await train(written, data);
      expect(written.inputWrites).toEqual({ staged: 0, written: 12, buffers: 0 });
      expect(got.losses).toEqual(want.losses);
      got.weights.forEach((w, i) => expect(firstDifference(w, want.weights[i]), `parameter ${i}`).toBe(-1));
      expect(want.losses[3]).toBeLessThan(want.losses[0]); // it trained: the same batch, three steps on
    } finally {
      [ctx.mappedWrites, ctx.splitSubmits] = was;
    }
  }, 120_000);

  it('steps launched before the last one is done take a second buffer and train the same; the last write before a read or a step wins', async () => {
    const other = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 5 });
    const overlapped = await train(other, data, true);
    expect(overlapped.losses).toEqual(got.losses);
    overlapped.weights.forEach((w, i) => expect(firstDifference(w, got.weights[i]), `parameter ${i}`).toBe(-1));
    if (!OVER_WIRE) expect(other.inputWrites.buffers).toBe(2);
    // Two writes, then a read: the second batch, copied by the read itself (no step in between).
    other.setInput('x', data[0].x);
    other.setInput('x', data[1].x);
    expect(firstDifference(await other.read('x'), data[1].x)).toBe(-1);
    // A write, then an eval forward: the forward reads it.
    other.setInput('x', data[2].x);
    other.setInput('label', data[2].label);
    const loss = await other.forward();
    expect(firstDifference(await other.read('x'), data[2].x)).toBe(-1);
    other.setInput('x', data[2].x);
    expect(await other.forward()).toBe(loss);
  }, 120_000);
});
