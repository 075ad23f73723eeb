/**
 * The Train panel's Device through the renderer's stores and the real engine (its Node acquirer
 * on SwiftShader): the choice is kept in the project's UI state and sent as `train.start`'s
 * `backend`; a refusal lands in the run view's error (the dock's error line); a GPU lost mid-run
 * leaves the run failed with E_GPU_LOST, and Continue on the CPU trains on from the stored
 * checkpoint — or, lost before any checkpoint, starts the design over on the CPU.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { RunStore } from '../../../src-engine/node/run-store';
import { useEditor } from '../../../src-renderer/src/editor/store';
import { useEngine } from '../../../src-renderer/src/state/engine-store';
import { emptyRun } from '../../../src-renderer/src/training/model';
import { bindRunEvents, useRun } from '../../../src-renderer/src/training/store';
import { setupEngine, twoMoonsGraph } from '../session/fixtures';
import { testGpu, testGpuAcquirer } from './device';
import { withoutGpuKernel } from './hide-kernel';

beforeAll(async () => {
  await testGpu();
});

const acquireGpu = testGpuAcquirer();
let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.reverse()) c();
  cleanup = [];
  useEngine.setState({ client: undefined });
  useRun.setState({ ...emptyRun });
  useEditor.getState().setDevice('auto');
});

function connect() {
  const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-device-ui-')), { flushMs: 5 });
  const contexts: GpuContext[] = [];
  const e = setupEngine({
    runs: store,
    acquireGpu: async (fb) => {
      const ctx = await acquireGpu(fb);
      contexts.push(ctx);
      return ctx;
    },
  });
  const off = bindRunEvents(e.client, (a) => useRun.getState().dispatch(a));
  useEngine.setState({ client: e.client });
  cleanup.push(() => e.service.dispose(), off);
  return { ...e, store, contexts };
}

const until = async (what: string, ok: () => boolean, ms = 60_000) => {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what} (run view: ${useRun.getState().phase} ${JSON.stringify(useRun.getState().error)})`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** What the Start button does: the design, and the project's Device. */
const start = (graph = twoMoonsGraph({ epochs: 200 })) => useRun.getState().start(graph, { limit: 100 }, { probes: false, backend: useEditor.getState().ui.device ?? 'auto' });

describe("the Train panel's Device", () => {
  it('is kept in the project UI state (Auto left out) and sent as backend; a forced GPU refusal is the run view error', async () => {
    connect();
    useEditor.getState().setDevice('gpu');
    expect(useEditor.getState().ui.device).toBe('gpu');
    const g = twoMoonsGraph();
    g.nodes.push({ id: 'sp', op: 'Softplus', attrs: {}, inputs: ['relu1'] }); // its kernel hidden here
    await withoutGpuKernel('Softplus', () => start(g));
    expect(useRun.getState().phase).toBe('failed');
    expect(useRun.getState().error).toMatchObject({ code: 'E_GPU_NO_KERNEL', message: expect.stringMatching(/Softplus \(sp\).*Device to CPU or Auto/) });
    useEditor.getState().setDevice('auto');
    expect(useEditor.getState().ui).not.toHaveProperty('device');
    await start(g);
    expect(useRun.getState().info?.backend).toMatch(/^CPU|^test/); // auto with only a fallback adapter: the CPU
    await useRun.getState().control('stop');
  }, 60_000);

  it('a GPU lost mid-run: failed with E_GPU_LOST; Continue on the CPU resumes from the checkpoint, or starts over without one', async () => {
    const { contexts, store } = connect();
    useEditor.getState().setDevice('gpu');
    await start();
    const first = useRun.getState().info!;
    expect(first.backend).toMatch(/^WebGPU/);
    await until('epoch 1', () => (useRun.getState().lastEpoch?.epoch ?? 0) >= 1);
    contexts.at(-1)!.device.destroy();
    await until('the loss', () => useRun.getState().phase === 'failed');
    expect(useRun.getState().error?.code).toBe('E_GPU_LOST');
    await new Promise((r) => setTimeout(r, 60));
    await useRun.getState().continueOnCpu();
    const resumed = useRun.getState().info!;
    expect(useRun.getState().error).toBeUndefined();
    expect(resumed.backend).not.toMatch(/WebGPU/);
    expect(store.open(resumed.storedRunId!).meta.resumedFrom?.runId).toBe(first.storedRunId);
    await useRun.getState().control('stop');
    await until('stopped', () => useRun.getState().phase === 'done');

    // Lost before the first epoch ended: no checkpoint, so the same design starts over on the CPU.
    // At 5 steps a second the first epoch (a few steps of 100 samples) cannot end before the loss below.
    await useRun.getState().start(twoMoonsGraph({ epochs: 200 }), { limit: 100 }, { probes: false, pace: 5, backend: 'gpu' });
    expect(useRun.getState().info!.backend).toMatch(/^WebGPU/);
    contexts.at(-1)!.device.destroy();
    await until('the second loss', () => useRun.getState().phase === 'failed');
    expect(useRun.getState().error?.code).toBe('E_GPU_LOST');
    await useRun.getState().continueOnCpu();
    const fresh = useRun.getState().info!;
    expect(fresh.backend).not.toMatch(/WebGPU/);
    expect(store.open(fresh.storedRunId!).meta.resumedFrom).toBeUndefined();
    await useRun.getState().control('stop');
  }, 120_000);
});
