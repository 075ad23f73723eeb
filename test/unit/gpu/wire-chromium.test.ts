/**
 * The engine training on **Chromium's WebGPU** across the GPU wire — Electron's path (the engine
 * in a utility process, the device in the hidden GPU window's worker) with everything but Electron
 * itself: the GPU page as built for the app (`src-renderer/gpu.html` and its worker), in a real
 * headless Chromium whose WebGPU runs on SwiftShader here, driven by the engine's remote acquirer.
 *
 * - The handshake names Chromium's adapter (a fallback one here).
 * - One training step of an MLP and of a CNN with BatchNorm matches the CPU executor within the
 *   bounds of parity.ts (the kernels run in Chromium's Dawn, not npm `webgpu`'s).
 * - A whole run over the protocol: `train.start` with the GPU forced trains two moons to the end
 *   on the GPU window's device, names it, and sends probe frames.
 * - What a compiled training step costs on the wire, counted (#61): one message out and one reply,
 *   its bytes the batch's inputs and the loss read back, plus the ops' JSON.
 * - Losses: `device.destroy()` in Chromium, a second connection (an engine restarted) replacing
 *   the first, and the page going away, each a lost device with a reason.
 *
 * Needs Chromium (`.ci/run` installs it); without it the test fails and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { GpuContext } from '../../../src-engine/core/gpu/context';
import { compileGpuGraph } from '../../../src-engine/core/gpu/executor';
import { createGpuOptimizer } from '../../../src-engine/core/gpu/optim';
import type { Channel } from '../../../src-engine/protocol/channel';
import { remoteGpuAcquirer } from '../../../src-engine/node/gpu/remote';
import { openRemoteGpu } from '../../../src-engine/protocol/gpu-client';
import { setupEngine, twoMoonsGraph } from '../session/fixtures';
import { openChromiumGpu, type ChromiumGpu } from './chromium-gpu';
import { bnCnn } from './graphs';
import { oneStepParity } from './parity';

let chrome: ChromiumGpu;
beforeAll(async () => {
  chrome = await openChromiumGpu();
}, 120_000);
afterAll(async () => chrome?.close());

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

/** A message's size on the wire: its typed-array payload, and the JSON of the rest. */
function sizeOf(m: unknown): { payload: number; json: number } {
  let payload = 0;
  const json = JSON.stringify(m, (_k, v: unknown) => (v instanceof Uint8Array ? ((payload += v.byteLength), v.byteLength) : v)).length;
  return { payload, json };
}

/** A channel that records every message it sends and receives (in order, with their direction). */
function tapped(channel: Channel): { channel: Channel; log: { out: boolean; m: unknown }[] } {
  const log: { out: boolean; m: unknown }[] = [];
  return {
    log,
    channel: {
      ...channel,
      send: (m) => (log.push({ out: true, m }), channel.send(m)),
      onMessage: (h) => channel.onMessage((m) => (log.push({ out: false, m }), h(m))),
    },
  };
}

/** Whether a message is only releases of garbage-collected objects (sent whenever a collection ran). */
const onlyReleases = (m: unknown): boolean => {
  const ops = (m as { t?: string; ops?: { op: string }[] }).t === 'ops' ? (m as { ops: { op: string }[] }).ops : [];
  return ops.length > 0 && ops.every((o) => o.op === 'release');
};

describe('the GPU window’s page in Chromium, across the GPU wire', () => {
  let ctx: GpuContext;
  let wire: ReturnType<typeof tapped>;
  it('opens a device on Chromium’s adapter', async () => {
    wire = tapped(await chrome.connect());
    const r = await openRemoteGpu(wire.channel);
    expect(r.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader', isFallback: true });
    expect(r.device.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
    ctx = new GpuContext(r.device, r.adapter);
  }, 60_000);

  it('one training step of an MLP and of a BatchNorm CNN gives the CPU executor’s loss, activations and gradients', async () => {
    const mlp = twoMoonsGraph();
    const xy = values(16 * 2, 1);
    const label = Float32Array.from({ length: 16 }, (_, i) => i % 2);
    await oneStepParity(ctx, mlp, 16, { xy, label });
    await oneStepParity(ctx, bnCnn(), 5, { x: values(5 * 2 * 7 * 5, 2), label: Float32Array.from([0, 4, 1, 3, 2]) });
  }, 120_000);

  it('a compiled training step of the BatchNorm CNN costs one round trip: one message out (its inputs, one submit, one readback), one reply (the loss)', async () => {
    const n = 5;
    const plan = await compileGpuGraph(checkedOrThrow(bnCnn()), { batchSize: n, gpu: ctx, seed: 3 });
    const opt = createGpuOptimizer(ctx, { kind: 'adam', lr: 0.01 }, plan.params);
    const x = values(n * 2 * 7 * 5, 3);
    const label = Float32Array.from([0, 4, 1, 3, 2]);
    const inputBytes = 4 * (x.length + label.length);
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      plan.setInput('x', x);
      plan.setInput('label', label);
      const before = wire.log.length;
      losses.push(await plan.trainStep(opt, 0.01));
      if (step === 0) continue; // the first step makes the readback buffer and the optimizer's uniforms
      const step_ = wire.log.slice(before).filter((e) => !onlyReleases(e.m));
      const out = step_.filter((e) => e.out).map((e) => sizeOf(e.m));
      const back = step_.filter((e) => !e.out).map((e) => sizeOf(e.m));
      const writes = step_.filter((e) => e.out).flatMap((e) => (e.m as { ops: { op: string; data?: Uint8Array }[] }).ops.filter((o) => o.op === 'writeBuffer').map((o) => o.data!.byteLength));
      console.log(`GPU wire in Chromium, BatchNorm CNN step ${step}: ${out.length} message out (${out[0]?.payload} B written in ${writes.length} writes + ${out[0]?.json} B of ops), ${back.length} back (${back[0]?.payload} B read + ${back[0]?.json} B)`);
      expect(out, `step ${step}: messages out`).toHaveLength(1);
      expect(back, `step ${step}: replies`).toHaveLength(1);
      // What the step writes is its batch (the two inputs, as written) and the optimizer's per-step
      // uniforms (Adam's step count: 64 bytes per parameter, each at an offset aligned to
      // minUniformBufferOffsetAlignment, all in one write: kernels/dispatch.ts bindUniformBlock),
      // and what comes back is the loss and the status pair (12 B, read as 16): nothing else
      // crosses (no weights, no activations, no per-op readbacks).
      const align = ctx.device.limits.minUniformBufferOffsetAlignment;
      const uniformBytes = plan.params.length * Math.ceil(64 / align) * align;
      expect(writes).toEqual([4 * x.length, 4 * label.length, uniformBytes]);
      expect(out[0].payload).toBe(inputBytes + uniformBytes);
      expect(back[0].payload).toBeLessThanOrEqual(16);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
  }, 120_000);

  it('device.destroy() in Chromium is a lost device with its reason', async () => {
    ctx.device.destroy();
    expect((await ctx.device.lost).reason).toBe('destroyed');
    await expect(ctx.read(ctx.createTensor(4))).rejects.toMatchObject({ code: 'E_GPU_LOST' });
  }, 30_000);

  it('train.start with the GPU forced trains two moons to the end on the GPU window’s device, with probe frames', async () => {
    const { client, waitFor, events, service } = setupEngine({ acquireGpu: remoteGpuAcquirer(() => chrome.connect()) });
    try {
      const started = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 2 }), overrides: { limit: 64 }, backend: 'gpu' });
      expect(started.backend).toMatch(/^WebGPU · google swiftshader.* · fallback$/);
      const done = await waitFor('train.done', (d) => d.runId === started.runId, 120_000);
      expect(done.reason).toBe('completed');
      expect(done.epochs).toBe(2);
      expect(Number.isFinite(done.test?.loss)).toBe(true);
      expect((events['probe.frame'] ?? []).filter((f) => f.runId === started.runId).length).toBeGreaterThan(0);
    } finally {
      service.dispose();
    }
  }, 180_000);

  it('a second connection (an engine restarted) ends the first one’s device; the page going away ends the rest', async () => {
    const first = await openRemoteGpu(await chrome.connect());
    const second = await openRemoteGpu(await chrome.connect());
    expect((await first.device.lost).message).toMatch(/GPU connection was closed/);
    const ctx2 = new GpuContext(second.device, second.adapter);
    const t = ctx2.createTensor(8);
    ctx2.write(t, Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect([...(await ctx2.read(t))]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await chrome.page.close();
    expect((await second.device.lost).message).toMatch(/GPU process went away/);
  }, 60_000);
});
