/**
 * Where a run starts (`training.startFrom`, base/ir/start-from.ts) over the protocol: a design
 * that fine-tunes from imported weights starts every run from them — the second run too, after
 * the first replaced the loaded model (issue #44 item 1: the second run's frozen backbone was
 * random) — and each run's record says where it started. A stored run's checkpoint is a start too.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../../../src-engine/base/base64';
import { modelFromJSON } from '../../../src-engine/core/export/json';
import { freezeNodes, upstreamNodeIds } from '../../../src-engine/base/ir/freeze';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { RunStore } from '../../../src-engine/node/run-store';
import { setupEngine, twoMoonsGraph } from './fixtures';

describe('training.startFrom', () => {
  it('starts every run of a fine-tuned design from the imported weights, records where each started, and starts from a stored run’s checkpoint', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-start-')));
    const { client, waitFor } = setupEngine({ runs: store });
    // A trained model, exported to ONNX and imported back: the weights to fine-tune from.
    await client.request('train.start', { graph: twoMoonsGraph({ epochs: 2 }), probes: false });
    await waitFor('train.done');
    const onnx = await client.request('model.export', { source: { kind: 'current' }, format: 'onnx' });
    const imported = await client.request('model.import', { format: 'onnx', data: bytesToBase64(onnx.files[0].data) });
    const weights = modelFromJSON(JSON.stringify(imported.model)).params;

    // Select the head, freeze the layers before it, start from the loaded weights.
    const g = structuredClone((imported.model as { graph: GraphIR }).graph);
    const head = g.outputs.logits;
    g.nodes = freezeNodes(g.nodes, upstreamNodeIds(g, [head]), true);
    g.training = { ...g.training!, epochs: 1, startFrom: { kind: 'loaded' } };
    const frozen = Object.keys(weights).filter((k) => !k.startsWith(`${head}.`));
    expect(frozen.sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);

    const runs: string[] = [];
    for (const lr of [0.01, 0.003]) {
      // The second Start, with another learning rate: the same design, the same start.
      const graph = { ...g, training: { ...g.training, optimizer: { ...g.training.optimizer, lr } } };
      const run = await client.request('train.start', { graph, probes: false });
      expect(run.warmStart).toEqual({ taken: 6, fresh: [] });
      await waitFor('train.done', (d) => d.runId === run.runId);
      runs.push(run.storedRunId!);
    }
    for (const id of runs) {
      const last = store.model(id, 'last').params;
      for (const k of frozen) expect(last[k], `${id} ${k}`).toEqual(weights[k]);
      // The head trained from the imported head, so it moved away from it.
      expect(last[`${head}.weight`]).not.toEqual(weights[`${head}.weight`]);
      const meta = JSON.parse(readFileSync(join(store.dir, id, 'run.json'), 'utf8')) as { settings: { training: { startFrom?: unknown } } };
      expect(meta.settings.training.startFrom).toEqual({ kind: 'loaded' });
    }

    // From the first run's last checkpoint: every tensor taken, and recorded so.
    const fromRun = { ...g, training: { ...g.training, startFrom: { kind: 'run' as const, run: runs[0], checkpoint: 'last' as const } } };
    const third = await client.request('train.start', { graph: fromRun, probes: false });
    expect(third.warmStart).toEqual({ taken: 6, fresh: [] });
    await waitFor('train.done', (d) => d.runId === third.runId);
    const listed = (await client.request('runs.list', {})).runs.find((r) => r.id === third.storedRunId)!;
    expect((listed.settings.training as { startFrom?: unknown }).startFrom).toEqual({ kind: 'run', run: runs[0], checkpoint: 'last' });
    const thirdLast = store.model(third.storedRunId!, 'last').params;
    for (const k of frozen) expect(thirdLast[k]).toEqual(weights[k]);

    // A resumed run starts from its parent's last checkpoint, whatever the design said, and is recorded so.
    const resumed = await client.request('train.resume', { storedRunId: runs[1], moreEpochs: 1, probes: false });
    await waitFor('train.done', (d) => d.runId === resumed.runId);
    expect(resumed.warmStart).toBeUndefined();
    const resumedMeta = store.list().find((r) => r.id === resumed.storedRunId)!;
    expect(resumedMeta.settings.training).toMatchObject({ startFrom: { kind: 'run', run: runs[1], checkpoint: 'last' } });
    expect(resumedMeta.resumedFrom).toMatchObject({ runId: runs[1] });

    // A start that is not there is refused, coded, before anything is replaced.
    await expect(client.request('train.start', { graph: { ...g, training: { ...g.training, startFrom: { kind: 'run', run: '20990101-000000-zzzz', checkpoint: 'best' } } }, probes: false })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    await expect(client.request('train.start', { graph: { ...g, training: { ...g.training, startFrom: { kind: 'run', run: runs[0], checkpoint: 'first' } } } as unknown as GraphIR, probes: false })).rejects.toMatchObject({
      code: 'E_GRAPH_INVALID',
      message: expect.stringMatching(/training\.startFrom\.checkpoint/),
    });
  }, 30_000);

  it('refuses a start from the loaded weights when the engine holds none, naming the way out', async () => {
    const { client } = setupEngine();
    await expect(client.request('train.start', { graph: twoMoonsGraph({ epochs: 1, startFrom: { kind: 'loaded' } }), probes: false })).rejects.toMatchObject({
      code: 'E_TRAIN_NO_LOADED_MODEL',
      message: expect.stringMatching(/fresh initialisation/),
    });
  });

  it('gives an imported model’s Playground samples from the dataset its design adds (model.samples)', async () => {
    const { client, waitFor } = setupEngine();
    await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), probes: false });
    await waitFor('train.done');
    const json = await client.request('model.export', { source: { kind: 'current' }, format: 'json' });
    // As a file from another tool comes in: the graph names no dataset, so there is nothing to pick.
    const model = JSON.parse(new TextDecoder().decode(json.files[0].data)) as { graph: GraphIR };
    delete model.graph.training;
    const loaded = await client.request('model.load', { model });
    expect(loaded.probeSamples.inputs).toEqual([]);
    // The design gets data: the loaded model's samples come from it.
    const { probeSamples } = await client.request('model.samples', { runId: loaded.runId, dataset: { name: 'two-moons', options: { samples: 200 } }, seed: 1 });
    expect(probeSamples.shape).toEqual([2]);
    expect(probeSamples.inputs).toHaveLength(8);
    expect(probeSamples.targets).toHaveLength(8);
    await expect(client.request('model.samples', { runId: 'run-99', dataset: { name: 'two-moons' } })).rejects.toMatchObject({ code: 'E_TRAIN_NO_RUN' });
  });
});
