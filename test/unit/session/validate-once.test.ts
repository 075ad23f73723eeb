import { describe, expect, it, vi } from 'vitest';
import { setupEngine, twoMoonsGraph } from './fixtures';
import { bytesToBase64 } from '../../../src-engine/base/base64';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { exportOnnx } from '../../../src-engine/core/export/onnx';
import { decodeModel, encodeModel } from '../../../src-engine/core/export/onnx/proto';
import type * as Validate from '../../../src-engine/core/analysis/validate';
import type * as Migrate from '../../../src-engine/base/ir/migrate';
import { importOnnxFile } from '../../../src-renderer/src/training/export';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';

// Count every validation: a spy over analyzeGraph, the one function that checks a graph.
const calls = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../../src-engine/core/analysis/validate', async (importOriginal) => (await import('../count-validations')).countingValidate(await importOriginal<typeof Validate>(), calls));
// And every migration (analyzeGraph migrates what it checks; nothing after it should again).
const migrations = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../../src-engine/base/ir/migrate', async (importOriginal) => {
  const real = await importOriginal<typeof Migrate>();
  return { ...real, migrateGraph: (...args: Parameters<typeof real.migrateGraph>) => (migrations.n++, real.migrateGraph(...args)) };
});

describe('one train.start validates its graph once', () => {
  it('checks the graph once, for a run with a validation split, a partial last batch, probes and a memory limit', async () => {
    const { client, waitFor, service } = setupEngine({ memoryLimitBytes: 1 << 30 });
    try {
      calls.n = 0;
      // 400 samples, 10% validation: 360 training samples at batch 32 end in a partial batch of 8,
      // and validation runs at other sizes: plans for three batch sizes share one check.
      await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), probes: { everySteps: 2, maxHz: 30, budget: 0.5, boundary: 8 } });
      await waitFor('train.done');
      expect(calls.n).toBe(1);
    } finally {
      service.dispose();
    }
  });

  it('checks a sweep once per variant (and its base graph once), not again when each variant starts', async () => {
    const { client, waitFor, service } = setupEngine();
    try {
      calls.n = 0;
      await client.request('sweep.start', { graph: twoMoonsGraph({ epochs: 1 }), sweep: { over: { kind: 'attr', nodeId: 'fc1', attr: 'outFeatures' }, values: [4, 8] }, overrides: { limit: 100 } });
      await waitFor('sweep.progress', (p) => p.state === 'done', 20_000);
      expect(calls.n).toBe(3);
    } finally {
      service.dispose();
    }
  });

  it("checks a sanity check's graph once: its variant without Dropout is not checked again", async () => {
    const { client, service } = setupEngine();
    try {
      const g = twoMoonsGraph({ epochs: 1 });
      g.nodes.splice(4, 0, { id: 'drop', op: 'Dropout', attrs: { p: 0.5 }, inputs: ['relu1'] });
      g.nodes.find((n) => n.id === 'fc2')!.inputs = ['drop'];
      calls.n = 0;
      const r = await client.request('train.sanityCheck', { graph: g, samples: 16, steps: 30 });
      expect(r.steps).toBeGreaterThan(0);
      expect(calls.n).toBe(1);
    } finally {
      service.dispose();
    }
  });

  it('checks an imported ONNX file once: the import checks the graph it makes, and loading it reads that check', async () => {
    const { client, service } = setupEngine();
    try {
      const graph = twoMoonsGraph({ epochs: 1 });
      const plan = compileGraph(checkedOrThrow(graph), { batchSize: 1, backend: createReferenceBackend(), seed: 1 });
      const params = Object.fromEntries(plan.params.map((p) => [`${p.nodeId}.${p.name}`, p.value.data]));
      const file = decodeModel(exportOnnx({ graph, params, buffers: {} }).bytes);
      for (const restored of [true, false]) {
        // Without the stored graph the file is rebuilt from its nodes (a classifier: its loss added before the check).
        if (!restored) file.metadata_props = [];
        calls.n = 0;
        const r = await client.request('model.import', { format: 'onnx', data: bytesToBase64(encodeModel(file)) });
        expect([r.restored, calls.n]).toEqual([restored, 1]);
      }
    } finally {
      service.dispose();
    }
  });

  it("the app's Import ONNX migrates and checks the graph once: the canvas opens the engine's checked graph, not a re-read copy", async () => {
    const { client, service } = setupEngine();
    // canvasAspect() asks the page for the canvas; there is none here.
    vi.stubGlobal('document', { querySelector: () => null });
    try {
      const graph = twoMoonsGraph({ epochs: 1 });
      const plan = compileGraph(checkedOrThrow(graph), { batchSize: 1, backend: createReferenceBackend(), seed: 1 });
      const params = Object.fromEntries(plan.params.map((p) => [`${p.nodeId}.${p.name}`, p.value.data]));
      const file = decodeModel(exportOnnx({ graph, params, buffers: {} }).bytes);
      for (const restored of [true, false]) {
        if (!restored) file.metadata_props = [];
        const bytes = new Uint8Array(encodeModel(file));
        const w = createWindowStores();
        w.engine.setState({ client, state: 'ready' });
        let read: unknown;
        let atRead: number[] = [];
        const request = client.request.bind(client);
        client.request = (async (method: string, p: unknown, o?: unknown) => {
          const r = await (request as (m: string, p: unknown, o?: unknown) => Promise<unknown>)(method, p, o);
          if (method === 'model.read') [read, atRead] = [(r as { graph: unknown }).graph, [calls.n, migrations.n]];
          return r;
        }) as typeof client.request;
        calls.n = 0;
        migrations.n = 0;
        const ok = await importOnnxFile(w, { name: 'moons.onnx', arrayBuffer: async () => bytes.slice().buffer }, async () => true);
        expect([ok, w.session.getState().notice?.message]).toEqual([true, expect.stringMatching(/^Imported "moons.onnx"/)]);
        client.request = request;
        // The engine's read: one check, which migrates; the page then adds only the live analysis
        // every design opened on the canvas gets (its diagnostics), no re-read of the file's graph.
        expect([restored, atRead, [calls.n - atRead[0], migrations.n - atRead[1]]]).toEqual([restored, [1, 1], [1, 1]]);
        // What the canvas holds is what the engine checked (an imported file's graph named after the file).
        const opened = w.editor.getState().history.present.graph;
        expect(opened).toEqual(restored ? { ...(read as object), training: { ...(read as { training: object }).training, startFrom: { kind: 'loaded' } } } : { ...(read as object), name: 'moons' });
        expect(Object.keys(w.editor.getState().history.present.layout).sort()).toEqual(opened.nodes.map((n) => n.id).sort());
      }
    } finally {
      vi.unstubAllGlobals();
      service.dispose();
    }
  });
});
