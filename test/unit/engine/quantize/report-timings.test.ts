/**
 * `model.quantize` (Export ▸ Quantize…) answers the latency at batch 1 and the throughput at batch 32
 * of both sides, timed by the engine on its own backend and named by what ran them, beside the
 * metric and size, and both confusion matrices (#85 deliverable 2); it reports its phases as `quantize.progress` events carrying
 * the request's id, and a cancel stops it during the long sensitivity pass with `E_CANCELLED`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { modelToJSON } from '../../../../src-engine/core/export/json';
import type { EventData } from '../../../../src-engine/protocol';
import { createCpuBackend } from '../../../../src-engine/node/cpu';
import { loadSamples } from '../../../../src-engine/node/datasets';
import { setupEngine } from '../../session/fixtures';
import { trainedModel } from '../export/onnx/harness';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');
const DIGITS = Array.from({ length: 10 }, (_, i) => String(i));

describe('model.quantize: timings, progress and cancel', () => {
  it('answers latency at batch 1 and throughput at batch 32 for float32 and int8, each named by what ran it, and both confusion matrices, with its phases as events', async () => {
    const { client } = setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed), createBackend: () => createCpuBackend({ threads: 1 }) });
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-mlp.json'), 'utf8')) as GraphIR;
    await client.request('model.load', { model: modelToJSON({ ...trainedModel(graph, 3), classNames: DIGITS }) });
    const events: EventData<'quantize.progress'>[] = [];
    const off = client.on('quantize.progress', (p) => events.push(p));
    const r = await client.request('model.quantize', { source: { kind: 'current' }, method: 'minmax', samples: 64, progressId: 'q-1' });
    // Another measurement's id is not this one's, and one without an id has no events.
    await client.request('model.quantize', { source: { kind: 'current' }, method: 'minmax', samples: 64 });
    off();
    for (const side of [r.float, r.int8]) {
      expect(side.latencyMs).toBeGreaterThan(0);
      expect(side.perSecond).toBeGreaterThan(0);
      expect(Number.isFinite(side.latencyMs) && Number.isFinite(side.perSecond)).toBe(true);
    }
    // 32 samples a batch cannot take less than one sample's time, however fast each one runs.
    expect(r.float.perSecond!).toBeLessThan((32 * 1000) / r.float.latencyMs!);
    expect(r.int8.perSecond!).toBeLessThan((32 * 1000) / r.int8.latencyMs!);
    // The float side's backend as it describes itself (where V8 runs relaxed SIMD: '… (WebAssembly SIMD, relaxed FMA)').
    expect(r).toMatchObject({ timedBatch: 32, floatRuntime: expect.stringMatching(/^CPU · 1 thread \(WebAssembly SIMD/), int8Runtime: 'WebAssembly SIMD' });
    // The confusion matrices, named: every test sample once in each, their diagonals the accuracies.
    const c = r.confusion!;
    expect(c.classes).toEqual(DIGITS);
    for (const [m, accuracy] of [[c.float, r.float.metric], [c.int8, r.int8.metric]] as const) {
      expect(m.flat().reduce((a, v) => a + v, 0)).toBe(r.testSamples);
      expect(m.reduce((a, row, i) => a + row[i], 0)).toBe(Math.round(accuracy * r.testSamples));
    }
    expect(events.every((e) => e.progressId === 'q-1')).toBe(true);
    expect([...new Set(events.map((e) => e.phase))]).toEqual(['calibrating', 'measuring', 'timing', 'sensitivity']);
    const last = events.at(-1)!;
    expect(last).toEqual({ progressId: 'q-1', phase: 'sensitivity', done: 200, total: 200 });
  }, 60_000);

  it('stops with E_CANCELLED when cancelled during the sensitivity pass, and answers the next request', async () => {
    const { client } = setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed), createBackend: () => createCpuBackend({ threads: 1 }) });
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-cnn.json'), 'utf8')) as GraphIR;
    await client.request('model.load', { model: modelToJSON({ ...trainedModel(graph, 1), classNames: DIGITS }) });
    const stop = new AbortController();
    const seen: { p: EventData<'quantize.progress'>; at: number }[] = [];
    let abortedAt = Infinity;
    const off = client.on('quantize.progress', (p) => {
      seen.push({ p, at: performance.now() });
      // Cancelled within the pass, once a sample of it is done.
      if (p.phase === 'sensitivity' && p.done > 0 && !stop.signal.aborted) {
        abortedAt = performance.now();
        stop.abort();
      }
    });
    await expect(client.request('model.quantize', { source: { kind: 'current' }, method: 'minmax', samples: 64, progressId: 'q-2' }, { signal: stop.signal })).rejects.toMatchObject({ code: 'E_CANCELLED' });
    // The engine stopped the pass (whose 200 samples take seconds): in the second and a half after
    // the cancel, no further sample is reported done (a report at most every 0.1 s while it runs).
    await new Promise((r) => setTimeout(r, 1500));
    off();
    const pass = seen.filter(({ p }) => p.phase === 'sensitivity' && p.done > 0);
    expect(pass.length).toBeGreaterThan(0);
    expect(pass.filter(({ at }) => at > abortedAt + 250)).toEqual([]);
    expect(Math.max(...pass.map(({ p }) => p.done))).toBeLessThan(200);
    const info = await client.request('model.formats', {});
    expect(info.formats.length).toBeGreaterThan(0);
  }, 90_000);
});
