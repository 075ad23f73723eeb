/**
 * Choosing the device over the protocol (`train.start`'s `backend`), with the engine's real Node
 * acquirer on SwiftShader (a fallback adapter): forced GPU trains there, says so and sends probe
 * frames as a CPU run does; auto stays on the CPU (fallback adapters only when forced); a model
 * the GPU cannot run is refused with
 * E_GPU_NO_KERNEL naming its ops, and without WebGPU in the engine with E_GPU_UNAVAILABLE —
 * never trained partly on the CPU.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { RunStore } from '../../../src-engine/node/run-store';
import { setupEngine, twoMoonsGraph } from '../session/fixtures';
import { testGpu, testGpuAcquirer } from './device';
import { withoutGpuKernel } from './hide-kernel';

beforeAll(async () => {
  await testGpu(); // points Dawn at SwiftShader (and fails with the reason when there is no adapter)
});

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

const acquireGpu = testGpuAcquirer();

function engine(withGpu = true) {
  const e = setupEngine(withGpu ? { acquireGpu } : {});
  cleanup.push(() => e.service.dispose());
  return e;
}

describe('train.start backend: auto | cpu | gpu', () => {
  it('gpu (forced) trains two moons on the fallback adapter to the end, naming it, with probe frames as on the CPU', async () => {
    const { client, events, waitFor, clientLog } = engine();
    const started = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 3 }), backend: 'gpu', probes: { everySteps: 5, maxHz: 30, budget: 0.5, boundary: 16 } });
    expect(started.backend).toMatch(/^WebGPU · .*swiftshader.*fallback/i);
    const frame = await waitFor('probe.frame', () => true, 60_000);
    await client.request('probe.ack', { runId: started.runId, seq: frame.seq });
    const done = await waitFor('train.done', () => true, 60_000);
    expect(done.reason).toBe('completed');
    expect(done.epochs).toBe(3);
    expect(done.test?.accuracy).toBeGreaterThan(0.75);
    expect(events['train.epoch']!.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // The CPU run's frame (training-protocol.test.ts), from the GPU: every layer, the step's
    // gradients and update ratios, the decision boundary, the probe samples' predictions.
    // (Figure-by-figure agreement with a CPU run: probes.test.ts.)
    expect(frame.runId).toBe(started.runId);
    expect(frame.layers.map((l) => l.nodeId)).toEqual(['fc1', 'relu1', 'fc2', 'relu2', 'fc3']);
    expect(frame.params.map((p) => `${p.nodeId}.${p.name}`)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias']);
    for (const l of frame.layers) expect(Array.from(l.hist.counts).reduce((a, b) => a + b, 0)).toBe(l.stats.count);
    for (const l of frame.layers) expect(l.gradNorm).toBeGreaterThan(0);
    for (const p of frame.params) expect(p.gradNorm).toBeGreaterThan(0);
    for (const p of frame.params) expect(p.updateRatio).toBeGreaterThan(0);
    expect(frame.boundary!.classes.length).toBe(16 * 16);
    expect(frame.samples?.kind).toBe('classification');
    expect(frame.costMs).toBeGreaterThan(0);
    expect(events['probe.frame']!.length).toBeGreaterThanOrEqual(2);
    expect(clientLog.mock.calls.filter(([l]) => l === 'error')).toEqual([]);
    // The Playground predicts from the host mirror, synced at the end of the run.
    const p = await client.request('model.predict', { runId: started.runId, input: [0.5, 0.25] });
    expect(p.kind).toBe('probabilities');
  }, 90_000);

  it('auto and cpu train on the CPU when only a fallback adapter exists', async () => {
    for (const backend of ['auto', 'cpu'] as const) {
      const { client, waitFor } = engine();
      const started = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), backend, probes: false });
      expect(started.backend, backend).toMatch(/^CPU/);
      expect((await waitFor('train.done')).reason).toBe('completed');
    }
  });

  it('gpu on a model the GPU cannot run yet: E_GPU_NO_KERNEL naming the ops; without WebGPU: E_GPU_UNAVAILABLE', async () => {
    const g = twoMoonsGraph();
    g.nodes.push({ id: 'sp', op: 'Softplus', attrs: {}, inputs: ['relu1'] }); // its kernel hidden below
    const { client } = engine();
    await withoutGpuKernel('Softplus', async () => {
      await expect(client.request('train.start', { graph: g, backend: 'gpu' })).rejects.toMatchObject({ code: 'E_GPU_NO_KERNEL', message: expect.stringContaining('Softplus (sp)') });
      // auto on the same model: the CPU, as before.
      expect((await client.request('train.start', { graph: g, backend: 'auto', probes: false })).backend).toMatch(/^CPU/);
    });
    const bare = engine(false);
    await expect(bare.client.request('train.start', { graph: twoMoonsGraph(), backend: 'gpu' })).rejects.toMatchObject({ code: 'E_GPU_UNAVAILABLE' });
    await expect(bare.client.request('train.start', { graph: twoMoonsGraph(), backend: 'tpu' as 'gpu' })).rejects.toMatchObject({ code: expect.stringMatching(/PARAMS/) });
  });
});

describe('a GPU lost mid-run', () => {
  it('pauses the run in place, rolled back to its last snapshot on the CPU; Resume trains on there, and the store keeps one curve; the next GPU run gets a fresh device', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-gpu-lost-')), { flushMs: 5 });
    const contexts: GpuContext[] = [];
    const { client, events, waitFor, service } = setupEngine({
      runs: store,
      acquireGpu: async (fb) => {
        const ctx = await acquireGpu(fb);
        contexts.push(ctx);
        return ctx;
      },
    });
    cleanup.push(() => service.dispose());
    const first = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 200 }), overrides: { limit: 100 }, backend: 'gpu' });
    expect(first.backend).toMatch(/^WebGPU/);
    await waitFor('train.epoch', (e) => e.runId === first.runId && e.epoch >= 3, 60_000);
    // The simulated loss: what a driver reset or an unplugged GPU does to the device.
    contexts[0]!.device.destroy();
    const lost = await waitFor('train.deviceLost', (e) => e.runId === first.runId, 30_000);
    expect(lost.message).toMatch(/GPU device was lost.*paused at step \d+\. Resume continues on the CPU \(.+\) from step \d+, the last snapshot/);
    // A snapshot at least every epoch end (and about every second between): never further back than the last epoch.
    expect(lost.resumeStep).toBeGreaterThan(0);
    expect(lost.resumeStep).toBeLessThanOrEqual(lost.step);
    expect(lost.resumeEpoch).toBeGreaterThanOrEqual(lost.epoch - 1);
    expect(lost.backend).not.toMatch(/WebGPU/);
    await waitFor('train.state', (s) => s.runId === first.runId && s.state === 'paused' && s.step === lost.resumeStep, 10_000);
    expect(events['train.error'] ?? []).toEqual([]);
    expect((await client.request('train.current', {})).run?.start.backend).toBe(lost.backend);

    // Paused: nothing trains until the user says so.
    await new Promise((r) => setTimeout(r, 100));
    const before = (events['train.progress'] ?? []).length;
    expect((await client.request('train.control', { runId: first.runId, action: 'resume' })).state).toBe('running');
    const next = await waitFor('train.progress', (p) => p.runId === first.runId && p.step > lost.resumeStep + 5, 20_000);
    const after = (events['train.progress'] ?? []).slice(before);
    expect(after[0]!.stepLosses!.steps[0]).toBe(lost.resumeStep + 1); // the steps after the snapshot, trained again
    expect(next.state).toBe('running');
    await client.request('train.control', { runId: first.runId, action: 'stop' });
    await waitFor('train.done', (d) => d.runId === first.runId, 20_000);
    await new Promise((r) => setTimeout(r, 60));

    const run = store.open(first.storedRunId!);
    expect(run.meta.status).toBe('stopped');
    const steps = run.records.filter((r) => r.kind === 'step').map((r) => (r as { step: number }).step);
    expect(steps.length).toBeGreaterThan(lost.resumeStep + 5);
    expect(steps.every((st, i) => st === i + 1), 'one record per step, in order, after the rewind').toBe(true);
    const epochs = run.records.filter((r) => r.kind === 'epoch').map((r) => (r as { epoch: number }).epoch);
    expect(epochs.every((e, i) => e === i + 1)).toBe(true);
    expect(run.records.find((r) => r.kind === 'event' && r.event === 'device-lost')).toMatchObject({ data: { step: lost.step, backend: lost.backend } });

    // The engine asks for a new device after a loss rather than failing every later GPU run.
    const again = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), overrides: { limit: 100 }, backend: 'gpu' });
    expect(again.backend).toMatch(/^WebGPU/);
    expect((await waitFor('train.done', (d) => d.runId === again.runId, 60_000)).reason).toBe('completed');
    expect(contexts[1]!.device).not.toBe(contexts[0]!.device);
  }, 120_000);
});
