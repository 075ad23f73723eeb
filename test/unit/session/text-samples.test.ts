/**
 * Issue #48: a text classifier's run shows its samples as text. `train.start` on a labelled-text
 * set answers probe samples with their texts (ids decoded, padding left out), which Samples and
 * the confusion matrix's tooltips show.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { DEBIAN_FORTUNES_DIR, loadDataset } from '../../../src-engine/node/datasets';
import { setupEngine } from './fixtures';

let dispose: (() => void) | undefined;
afterEach(() => dispose?.());

const graph: GraphIR = {
  format: 'netwright.graph',
  version: 2,
  nodes: [
    { id: 'chars', op: 'Input', attrs: { shape: [48], source: 'features' }, inputs: [] },
    { id: 'topic', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
    { id: 'embed', op: 'Embedding', attrs: { numEmbeddings: 128, embeddingDim: 8 }, inputs: ['chars'] },
    { id: 'pool', op: 'SequencePool', attrs: { mode: 'mean' }, inputs: ['embed'] },
    { id: 'head', op: 'Linear', attrs: { outFeatures: 4 }, inputs: ['pool'] },
    { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['head', 'topic'] },
  ],
  outputs: { logits: 'head', loss: 'loss' },
  training: { dataset: { name: 'fortunes-topics', options: { maxLength: 48 }, limit: 64 }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 16, epochs: 1, seed: 1, metrics: ['accuracy', 'confusion'] },
};

describe.skipIf(!existsSync(DEBIAN_FORTUNES_DIR))('a text classifier over the protocol', () => {
  it('answers its probe samples with their texts', async () => {
    // The Node host's loaders (the fixture's engine knows the sets made in code only).
    const e = setupEngine({ loadDataset: (config, seed) => loadDataset(config, seed) });
    dispose = () => e.service.dispose();
    const started = await e.client.request('train.start', { graph });
    const { inputs, texts } = started.probeSamples;
    expect(inputs.length).toBeGreaterThan(0);
    expect(texts?.length).toBe(inputs.length);
    for (const [i, t] of texts!.entries()) {
      // Every character one id; padding (id 0) is not shown.
      expect(t.length).toBe(inputs[i].filter((id) => id !== 0).length);
      expect(t).not.toContain('<pad>');
    }
    expect((await e.waitFor('train.done')).reason).toBe('completed');
  });
});
