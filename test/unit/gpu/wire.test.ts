/**
 * The GPU wire itself (protocol/gpu-wire.ts): a remote device's handshake, what a training step
 * costs in messages, error scopes and uncaptured errors carried across, and every way the far side
 * can fail — no WebGPU there, no answer, a malformed message either way, an unknown object, the
 * channel closing mid-readback — each ending as a coded GpuError the engine already handles
 * (E_GPU_UNAVAILABLE, E_GPU_DEVICE, E_GPU_LOST), never a hang.
 *
 * The server runs on Dawn (SwiftShader) in this process over a structured-cloning in-memory
 * channel; the GPU executor, probe, loop and service tests run over the same wire in vitest's
 * `gpu-wire` project, and test/unit/gpu/wire-chromium.test.ts serves it from Chromium's WebGPU.
 */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuContext, GpuError } from '../../../src-engine/core/gpu/context';
import { compileGpuGraph } from '../../../src-engine/core/gpu/executor';
import { createGpuOptimizer } from '../../../src-engine/core/gpu/optim';
import { holdSamples } from '../../../src-engine/core/gpu/resident';
import { acquireNodeGpu, dawnGpu } from '../../../src-engine/node/gpu/device';
import { remoteGpuAcquirer } from '../../../src-engine/node/gpu/remote';
import { createMemoryChannelPair, type Channel } from '../../../src-engine/protocol/channel';
import { GpuWireUnavailable, openRemoteGpu } from '../../../src-engine/protocol/gpu-client';
import { serveGpu } from '../../../src-engine/protocol/gpu-server';
import type { GpuWireOp } from '../../../src-engine/protocol/gpu-wire';
import { twoMoonsGraph } from '../session/fixtures';
import { testGpu } from './device';

/** A client channel that records what it sends, to a server on Dawn (or on `gpu`). */
async function tapped(gpu?: Parameters<typeof serveGpu>[0]): Promise<{ channel: Channel; sent: unknown[]; server: Channel }> {
  const [client, server] = createMemoryChannelPair();
  serveGpu(arguments.length ? gpu : await dawnGpu(), server);
  const sent: unknown[] = [];
  return { channel: { ...client, send: (m) => (sent.push(m), client.send(m)) }, sent, server };
}

const opsOf = (sent: unknown[]): GpuWireOp[] => sent.flatMap((m) => ((m as { t: string }).t === 'ops' ? (m as { ops: GpuWireOp[] }).ops : []));

async function remoteContext(channel: Channel): Promise<GpuContext> {
  const r = await openRemoteGpu(channel);
  return new GpuContext(r.device, r.adapter);
}

beforeAll(async () => {
  await testGpu(); // points Dawn at SwiftShader, or fails with the reason
});

const open: GpuContext[] = [];
afterAll(() => open.forEach((c) => c.dispose()));

let trainingDevice: Promise<{ ctx: GpuContext; sent: unknown[] }> | undefined;
/**
 * The remote device the two training-step cases share, with what its channel sent: both compile the
 * two-moons MLP at batch 16, so the second finds the first's pipelines on it (a fresh device compiles
 * them again on SwiftShader: ~3.5 s of CPU here). What they count is each compiled step's messages,
 * which the pipelines already there do not change.
 */
function trainingContext(): Promise<{ ctx: GpuContext; sent: unknown[] }> {
  trainingDevice ??= tapped().then(async ({ channel, sent }) => {
    const ctx = await remoteContext(channel);
    open.push(ctx);
    return { ctx, sent };
  });
  return trainingDevice;
}

describe('a device across the GPU wire', () => {
  it('names the same adapter and limits as Dawn in this process, and round-trips a tensor', async () => {
    const native = await acquireNodeGpu({ allowFallback: true });
    const { channel } = await tapped();
    const r = await openRemoteGpu(channel);
    expect(r.adapter).toEqual(native.adapter);
    expect(r.device.limits.maxStorageBufferBindingSize).toBe(native.limits.maxStorageBufferBindingSize);
    expect(r.device.limits.maxComputeWorkgroupsPerDimension).toBe(native.limits.maxComputeWorkgroupsPerDimension);
    expect([...r.device.features].sort()).toEqual([...native.features].sort());
    const ctx = new GpuContext(r.device, r.adapter);
    open.push(ctx, native.ctx);
    const t = ctx.createTensor(1000);
    const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e3);
    ctx.write(t, data);
    expect(await ctx.read(t)).toEqual(data);
  });

  it('sends one message per training step once compiled: its input writes, one submit, one readback', async () => {
    const { ctx, sent } = await trainingContext();
    const graph = twoMoonsGraph();
    const plan = await compileGpuGraph(checkedOrThrow(graph), { batchSize: 16, gpu: ctx, seed: 3 });
    const opt = createGpuOptimizer(ctx, { kind: 'adam', lr: 0.01 }, plan.params);
    const x = Float32Array.from({ length: 32 }, (_, i) => Math.cos(i));
    const y = Float32Array.from({ length: 16 }, (_, i) => i % 2);
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      plan.setInput('xy', x);
      plan.setInput('label', y);
      const before = sent.length;
      losses.push(await plan.trainStep(opt, 0.01));
      const ops = opsOf(sent.slice(before));
      if (step === 0) continue; // the first step makes the readback buffer and the optimizer's uniforms
      // (A garbage collection may add a message of releases of its own: not the step's.)
      const stepMessages = sent.slice(before).filter((m) => opsOf([m]).some((o) => o.op !== 'release'));
      expect(stepMessages, `step ${step}: messages`).toHaveLength(1);
      expect(ops.filter((o) => o.op === 'submit')).toHaveLength(1);
      expect(ops.filter((o) => o.op === 'mapRead')).toHaveLength(1);
      // The two inputs, then every parameter's update uniforms in one buffer (kernels/dispatch.ts bindUniformBlock).
      expect(ops.filter((o) => o.op === 'writeBuffer'), `step ${step}: writes (${plan.params.length} parameters)`).toHaveLength(3);
      expect(ops.filter((o) => o.op.startsWith('create')), 'nothing is created in a compiled step').toEqual([]);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]).toBeLessThan(losses[0]);
  });

  it('a step fed from training data held on the device (core/gpu/resident.ts) is one message too, writing only its sample indices, and trains as the uploaded batches do', async () => {
    const { ctx, sent } = await trainingContext();
    const checked = checkedOrThrow(twoMoonsGraph());
    const x = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i));
    const y = Float32Array.from({ length: 32 }, (_, i) => i % 2);
    const order = Int32Array.from({ length: 32 }, (_, i) => (i * 7) % 32);
    // The features in two writes of 128 bytes (a split over 64 MiB is written in pieces of that, each waited for).
    const held = await holdSamples(ctx, [{ input: 'xy', values: x, size: 2 }, { input: 'label', values: y, size: 1 }], 1 << 20, 128);
    if ('state' in held) throw new Error(held.reason);
    const run = async (resident: boolean): Promise<number[]> => {
      const plan = await compileGpuGraph(checked, { batchSize: 16, gpu: ctx, seed: 3 });
      const opt = createGpuOptimizer(ctx, { kind: 'adam', lr: 0.01 }, plan.params);
      const losses: number[] = [];
      for (let step = 0; step < 4; step++) {
        const start = (step % 2) * 16;
        if (resident) held.feed(plan, order, start, 16);
        else {
          plan.setInput('xy', Float32Array.from({ length: 32 }, (_, j) => x[order[start + (j >> 1)] * 2 + (j & 1)]));
          plan.setInput('label', Float32Array.from({ length: 16 }, (_, j) => y[order[start + j]]));
        }
        const before = sent.length;
        losses.push(await plan.trainStep(opt, 0.01));
        if (!resident || step === 0) continue; // the first step makes the index buffer, the gathers, the readback buffer
        const stepMessages = sent.slice(before).filter((m) => opsOf([m]).some((o) => o.op !== 'release'));
        expect(stepMessages, `step ${step}: messages`).toHaveLength(1);
        const written = opsOf(stepMessages).flatMap((o) => (o.op === 'writeBuffer' ? [Buffer.from(o.data).toString('hex')] : []));
        const hex = (a: ArrayLike<number>, T: Float32ArrayConstructor | Uint32ArrayConstructor) => Buffer.from(T.from(a).buffer).toString('hex');
        // The 16 indices and the optimizer's uniforms; not the batch nor its labels.
        expect(written.filter((w) => w === hex(order.subarray(start, start + 16), Uint32Array))).toHaveLength(1);
        expect(written.filter((w) => w === hex(Array.from({ length: 16 }, (_, j) => y[order[start + j]]), Float32Array) || w === hex(Array.from({ length: 32 }, (_, j) => x[order[start + (j >> 1)] * 2 + (j & 1)]), Float32Array))).toEqual([]);
      }
      return losses;
    };
    const resident = await run(true);
    expect(resident).toEqual(await run(false));
    held.dispose();
  });

  it('carries error scopes (E_GPU_DEVICE with the device’s message) and errors outside them', async () => {
    const ctx = await remoteContext((await tapped()).channel);
    open.push(ctx);
    const a = ctx.createTensor(4);
    const b = ctx.createTensor(4);
    const err = await ctx
      .checked('An oversized copy', () => {
        const enc = ctx.device.createCommandEncoder();
        enc.copyBufferToBuffer(a.buffer, 0, b.buffer, 0, 1 << 20);
        ctx.device.queue.submit([enc.finish()]);
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuError);
    expect((err as GpuError).code).toBe('E_GPU_DEVICE');
    expect((err as GpuError).message).toMatch(/^An oversized copy: .+/);
    // The same mistake outside a scope reaches the context's uncaptured-error check.
    const enc = ctx.device.createCommandEncoder();
    enc.copyBufferToBuffer(a.buffer, 0, b.buffer, 0, 1 << 20);
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => ctx.throwIfFailed('The step')).toThrow(/^The step: .+/);
  });

  it('a closed channel mid-readback is a lost device: the read fails with E_GPU_LOST, the device says why', async () => {
    const { channel, server } = await tapped();
    const ctx = await remoteContext(channel);
    const t = ctx.createTensor(1 << 16);
    const reading = ctx.read(t).catch((e: unknown) => e);
    server.close(); // the GPU window crashed
    const err = await reading;
    expect(err).toBeInstanceOf(GpuError);
    expect((err as GpuError).code).toBe('E_GPU_LOST');
    expect((err as GpuError).message).toMatch(/GPU process went away/);
    expect(ctx.lost?.message).toMatch(/window closed or crashed/);
    expect(() => ctx.throwIfFailed('The next step')).toThrow(/lost/);
    // Later calls are dropped, not thrown: the engine learns of the loss at its next readback.
    expect(() => ctx.createTensor(4)).not.toThrow();
  });

  it('device.destroy() across the wire loses the device with the server’s reason', async () => {
    const ctx = await remoteContext((await tapped()).channel);
    ctx.device.destroy();
    const info = await ctx.device.lost;
    expect(info.reason).toBe('destroyed');
    await expect(ctx.read(ctx.createTensor(4))).rejects.toMatchObject({ code: 'E_GPU_LOST' });
  });

  it('an op naming an object the client never made ends the device with a message (no hang, no crash)', async () => {
    const { channel } = await tapped();
    const ctx = await remoteContext(channel);
    channel.send({ t: 'ops', ops: [{ op: 'destroyBuffer', id: 999_999 }] });
    const info = await ctx.device.lost;
    expect(info.message).toMatch(/GPU connection was closed: no buffer 999999/);
  });

  it('a malformed request ends the device; a malformed reply does too', async () => {
    const { channel } = await tapped();
    const ctx = await remoteContext(channel);
    channel.send({ t: 'ops', ops: [{ op: 'createBuffer', id: -1, size: 'big', usage: 0 }] });
    expect((await ctx.device.lost).message).toMatch(/malformed request \(ops\.0\.id/);

    const [client, server] = createMemoryChannelPair();
    serveGpu(await dawnGpu(), server);
    const ctx2 = await remoteContext(client);
    server.send({ t: 'mapped', req: 'x' });
    expect((await ctx2.device.lost).message).toMatch(/malformed reply \(req/);
  });

  it('no WebGPU on the far side, a refused version, or silence: E_GPU_UNAVAILABLE with the reason', async () => {
    await expect(openRemoteGpu((await tapped(undefined)).channel)).rejects.toThrow(GpuWireUnavailable);
    await expect(openRemoteGpu((await tapped(undefined)).channel)).rejects.toThrow(/no WebGPU \(navigator\.gpu is missing\)/);

    const [client, server] = createMemoryChannelPair();
    serveGpu(await dawnGpu(), server);
    const replies: unknown[] = [];
    client.onMessage((m) => replies.push(m));
    client.send({ t: 'acquire', version: 99 });
    await new Promise((r) => setTimeout(r, 50));
    expect(replies).toEqual([{ t: 'unavailable', message: expect.stringMatching(/refused a malformed request \(version/) }]);

    const [silent] = createMemoryChannelPair();
    await expect(openRemoteGpu(silent, { timeoutMs: 50 })).rejects.toThrow(/did not answer within 0 s/);

    const acquire = remoteGpuAcquirer(() => Promise.reject(new Error('the GPU window did not load')));
    await expect(acquire(true)).rejects.toMatchObject({ code: 'E_GPU_UNAVAILABLE', message: 'No GPU window: the GPU window did not load' });
  });

  it('the acquirer opens a new device after a loss, as the Node acquirer does', async () => {
    const servers: Channel[] = [];
    const acquire = remoteGpuAcquirer(async () => {
      const t = await tapped();
      servers.push(t.server);
      return t.channel;
    });
    const first = await acquire(true);
    expect(await acquire(true)).not.toBe(first);
    expect(servers).toHaveLength(1); // one device for the engine's lifetime
    servers[0].close();
    await first.device.lost;
    const next = await acquire(true);
    expect(servers).toHaveLength(2);
    expect(next.device).not.toBe(first.device);
    open.push(next);
  });
});
