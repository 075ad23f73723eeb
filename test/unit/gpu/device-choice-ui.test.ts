/**
 * The Train panel's Device through the renderer's stores and the real engine (its Node acquirer
 * on SwiftShader): the choice is kept in the project's UI state and sent as `train.start`'s
 * `backend`; a refusal lands in the run view's error (the dock's error line); a GPU lost mid-run
 * pauses the run view with the loss (the dock's banner), its curves cut back to the snapshot the
 * run goes on from on the CPU, and Resume trains on there.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, beforeEach } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { RunStore } from '../../../src-engine/node/run-store';

import { setupEngine, twoMoonsGraph } from '../session/fixtures';
import { testGpu, testGpuAcquirer } from './device';
import { withoutGpuKernel } from './hide-kernel';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

beforeAll(async () => {
  await testGpu();
});

const acquireGpu = testGpuAcquirer();
let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.reverse()) c();
  cleanup = [];
  w.editor.getState().setDevice('auto');
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
  const off = w.runs.bind(e.client, (a) => w.run.getState().dispatch(a));
  w.engine.setState({ client: e.client });
  cleanup.push(() => e.service.dispose(), off);
  return { ...e, store, contexts };
}

const until = async (what: string, ok: () => boolean, ms = 60_000) => {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what} (run view: ${w.run.getState().phase} ${JSON.stringify(w.run.getState().error)})`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** What the Start button does: the design, and the project's Device. */
const start = (graph = twoMoonsGraph({ epochs: 200 })) => w.runs.start(graph, { limit: 100 }, { probes: false, backend: w.editor.getState().ui.device ?? 'auto' });

describe("the Train panel's Device", () => {
  it('is kept in the project UI state (Auto left out) and sent as backend; a forced GPU refusal is the run view error', async () => {
    connect();
    w.editor.getState().setDevice('gpu');
    expect(w.editor.getState().ui.device).toBe('gpu');
    const g = twoMoonsGraph();
    g.nodes.push({ id: 'sp', op: 'Softplus', attrs: {}, inputs: ['relu1'] }); // its kernel hidden here
    await withoutGpuKernel('Softplus', () => start(g));
    expect(w.run.getState().phase).toBe('failed');
    expect(w.run.getState().error).toMatchObject({ code: 'E_GPU_NO_KERNEL', message: expect.stringMatching(/Softplus \(sp\).*Device to CPU or Auto/) });
    w.editor.getState().setDevice('auto');
    expect(w.editor.getState().ui).not.toHaveProperty('device');
    await start(g);
    expect(w.run.getState().info?.backend).toMatch(/^CPU|^test/); // auto with only a fallback adapter: the CPU
    await w.runs.control('stop');
  }, 60_000);

  it('a GPU lost mid-run: the run view pauses with the loss, drops the curve after the snapshot, names the CPU; Resume trains on there', async () => {
    const { store, contexts } = connect();
    w.editor.getState().setDevice('gpu');
    await start();
    const first = w.run.getState().info!;
    expect(first.backend).toMatch(/^WebGPU/);
    await until('epoch 2', () => (w.run.getState().lastEpoch?.epoch ?? 0) >= 2);
    contexts.at(-1)!.device.destroy();
    await until('the loss', () => w.run.getState().phase === 'paused' && w.run.getState().deviceLost !== undefined);
    const s = w.run.getState();
    const lost = s.deviceLost!;
    console.info(`lost at step ${lost.step}, resumes from ${lost.resumeStep}: ${lost.message}`);
    expect(s.error).toBeUndefined();
    expect(s.info!.backend).toBe(lost.backend);
    expect(s.info!.backend).not.toMatch(/WebGPU/);
    // The curves end at the snapshot: the steps after it are trained again.
    expect(s.batchLoss.at(-1)![0]).toBeLessThanOrEqual(lost.resumeStep);
    expect(s.valLoss.every(([e]) => e <= lost.resumeEpoch)).toBe(true);
    await w.runs.control('resume');
    await until('training on the CPU', () => (w.run.getState().progress?.step ?? 0) > lost.resumeStep + 3);
    expect(w.run.getState().deviceLost).toBeUndefined();
    const xs = w.run.getState().batchLoss.map(([x]) => x);
    expect(xs.every((x, i) => i === 0 || x > xs[i - 1]), 'one point per step').toBe(true);
    await w.runs.control('stop');
    await until('stopped', () => w.run.getState().phase === 'done');
    expect(store.open(first.storedRunId!).meta.status).toBe('stopped');
  }, 120_000);
});
