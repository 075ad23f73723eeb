/**
 * The engine's resident part of a run's memory estimate (#82 deliverable 6): one sum for
 * `netwright train`, the app's Start and the status bar's figure (`residentForRun`), and what the
 * engine keeps of the data (`heldDataBytes`: the splits, and the set as loaded when a cache keeps it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { heldDataBytes, residentForRun } from '../../../src-engine/core/analysis/memory';
import { loadBuiltinDataset, prepareData, type LoadedDataset, type Samples } from '../../../src-engine/core/data';
import { analyzeDesign, datasetPreviewKey, designRun } from '../../../src-renderer/src/editor/analysis';
import { setupEngine, twoMoonsGraph } from '../session/fixtures';

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

describe("the engine's resident part of the memory estimate", () => {
  it('sums the base, the data kept and 4 bytes a weight; a base below zero counts as none', () => {
    expect(residentForRun({ baseBytes: 150 * 2 ** 20, dataBytes: 40 * 2 ** 20 }, 11_178_117)).toBe(150 * 2 ** 20 + 40 * 2 ** 20 + 44_712_468);
    expect(residentForRun({ baseBytes: -5, dataBytes: 1000 }, 10)).toBe(1040);
  });

  it("counts the prepared splits' samples and targets, and the loaded set beside them when it is kept", () => {
    const config = { name: 'two-moons', options: { samples: 200 } };
    const loaded = loadBuiltinDataset(config, 0)!;
    const data = prepareData(loaded, config, 0);
    const bytes = (s: { features: Float32Array; targets: Float32Array }) => s.features.byteLength + s.targets.byteLength;
    const splits = [data.train, data.val, data.test].reduce((a, s) => a + bytes(s as { features: Float32Array; targets: Float32Array }), 0);
    // 200 points of 2 features and 1 target, 4 bytes each, in three splits.
    expect(splits).toBe(200 * 3 * 4);
    expect(heldDataBytes(data)).toBe(splits);
    expect(heldDataBytes(data, loaded)).toBe(splits + bytes(loaded.train as { features: Float32Array; targets: Float32Array }));
  });

  it("the status bar's figure is Start's estimate: both count the engine's base, the data it keeps and the weights (the preview answers them)", async () => {
    const usage = { rss: 300 * 2 ** 20, arrayBuffers: 20 * 2 ** 20 };
    // As the app's image-folder cache does: the set as loaded is kept, and handed out again.
    const cache = new Map<string, LoadedDataset<Samples>>();
    const e = setupEngine({
      memoryUsage: () => usage,
      loadDataset: (config, seed) => {
        const key = JSON.stringify([config, seed]);
        if (!cache.has(key)) cache.set(key, loadBuiltinDataset(config, seed)!);
        return cache.get(key)!;
      },
    });
    cleanup.push(() => e.service.dispose());
    const g = twoMoonsGraph({ epochs: 1 });
    const preview = await e.client.request('dataset.preview', { dataset: g.training!.dataset, seed: g.training!.seed });
    const loaded = [...cache.values()][0];
    const data = prepareData(loaded, g.training!.dataset, g.training!.seed ?? 0);
    expect(preview.engine).toEqual({ baseBytes: usage.rss - usage.arrayBuffers, dataBytes: heldDataBytes(data, loaded) });

    const run = designRun(g, { probes: true, preview, previewKey: datasetPreviewKey(g) });
    const before = analyzeDesign(g, {}, { ...run, residence: undefined });
    const shown = analyzeDesign(g, {}, run);
    expect(shown.memoryWithEngine).toBe(true);
    expect(shown.memoryBytes - before.memoryBytes).toBe(residentForRun(preview.engine!, shown.params));

    const started = await e.client.request('train.start', { graph: g });
    expect(started.memory!.bytes).toBe(shown.memoryBytes);
    await e.client.request('train.control', { runId: started.runId, action: 'stop' });
  });
});
