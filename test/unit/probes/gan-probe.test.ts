/** The GAN probe: the fixed-noise sample grid, D(x) / D(G(z)), diversity and the two hints. */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import { GAN_HINT_AFTER_STEPS, ProbeSuite, ganHints, meanPairwiseDistance } from '../../../src-engine/app/probes';
import { discriminatorOutputs } from '../../../src-engine/core/ops/gan-loss';
import { ProbeFrame } from '../../../src-engine/protocol';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { bindGraph, checkBinding } from '../../../src-engine/app/session';
import { moonsGan } from '../gan-moons';

/** The moons GAN (test/unit/gan-moons.ts) on 200 samples, split as the dataset does by default. */
const gan: GraphIR = moonsGan();
gan.training = { ...gan.training!, dataset: { name: 'two-moons', options: { samples: 200 } } };

describe('GAN probe', () => {
  const data = prepareData(loadBuiltinDataset(gan.training!.dataset, 1)!, gan.training!.dataset, 1);

  it('a GAN frame carries the fixed-noise grid, D(x), D(G(z)) and diversities of an eval forward on the probe batch', () => {
    const plan = compileGraph(checkedOrThrow(gan), { batchSize: 16, backend: createReferenceBackend(), seed: 1 });
    const binding = checkBinding(bindGraph(checkedOrThrow(gan)), data);
    const suite = new ProbeSuite(gan, plan, data, binding, { batch: 40, samples: 4, bins: 8, boundary: 0 }, 1);
    const frame = suite.capture(null, { step: 1, epoch: 1, loss: 1.3 });
    expect(ProbeFrame.safeParse({ runId: 'r', seq: 0, ...frame }).success).toBe(true);
    const g = frame.gan!;
    expect(g.count).toBe(40);
    expect(g.shape).toEqual([2]);
    // Same figures as an eval forward of our own: the Noise node's fixed noise, not the run's.
    const probe = plan.withBatchSize(40);
    probe.input('real').data.set(suite.probeInputs);
    probe.forward(false);
    expect(Array.from(g.samples)).toEqual(Array.from(probe.output('fake').data));
    const { dReal, dFake } = discriminatorOutputs(probe.output('d_out').data);
    expect(g.dReal).toBeCloseTo(dReal, 5);
    expect(g.dFake).toBeCloseTo(dFake, 5);
    expect(g.diversity).toBeCloseTo(meanPairwiseDistance(probe.output('fake').data, 40, 2), 4);
    expect(g.realDiversity).toBeCloseTo(meanPairwiseDistance(suite.probeInputs, 40, 2), 4);
    // A second frame draws the same noise: the grid only changes when the weights do.
    expect(Array.from(suite.capture(null, { step: 2, epoch: 1, loss: 1.3 }).gan!.samples)).toEqual(Array.from(g.samples));
  });

  it('a conditional GAN is fed the labels; its grid asks for the classes in turn and says which, and the label changes the samples', () => {
    // The moons GAN conditioned on the moon: the label one-hot beside z, and beside D's points.
    const cgan: GraphIR = structuredClone(gan);
    cgan.nodes.splice(1, 0, { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] }, { id: 'onehot', op: 'OneHot', attrs: { numClasses: 2 }, inputs: ['label'] });
    cgan.nodes.splice(
      cgan.nodes.findIndex((n) => n.id === 'g1'),
      1,
      { id: 'g_in', op: 'Concat', attrs: { axis: 1 }, inputs: ['z', 'onehot'] },
      { id: 'g1', op: 'Linear', attrs: { outFeatures: 8 }, inputs: ['g_in'] },
    );
    cgan.nodes.splice(
      cgan.nodes.findIndex((n) => n.id === 'd1'),
      1,
      { id: 'pair_labels', op: 'RealFakeBatch', attrs: {}, inputs: ['onehot', 'onehot'] },
      { id: 'd_in', op: 'Concat', attrs: { axis: 1 }, inputs: ['pair', 'pair_labels'] },
      { id: 'd1', op: 'Linear', attrs: { outFeatures: 8 }, inputs: ['d_in'] },
    );
    const plan = compileGraph(checkedOrThrow(cgan), { batchSize: 16, backend: createReferenceBackend(), seed: 1 });
    const binding = checkBinding(bindGraph(checkedOrThrow(cgan)), data);
    expect(binding.targetInput).toBe('label');
    expect(binding.task).toBe('reconstruction');
    const suite = new ProbeSuite(cgan, plan, data, binding, { batch: 40, samples: 4, bins: 8, boundary: 0 }, 1);
    const g = suite.capture(null, { step: 1, epoch: 1, loss: 1.3 }).gan!;
    expect(ProbeFrame.shape.gan.safeParse(g).success).toBe(true);
    expect(g.labels).toEqual(Array.from({ length: 40 }, (_, i) => i % 2));
    // The samples are the generator's for those labels: swapping them changes every sample.
    const probe = plan.withBatchSize(40);
    probe.input('real').data.set(suite.probeInputs);
    probe.input('label').data.set(g.labels!);
    probe.forward(false);
    expect(Array.from(g.samples)).toEqual(Array.from(probe.output('fake').data));
    probe.input('label').data.set(g.labels!.map((l) => 1 - l));
    probe.forward(false);
    const swapped = probe.output('fake').data;
    expect(Array.from(g.samples).every((v, i) => v !== swapped[i])).toBe(true);
    // The unconditional GAN's frame has no labels.
    const plain = compileGraph(checkedOrThrow(gan), { batchSize: 16, backend: createReferenceBackend(), seed: 1 });
    const plainSuite = new ProbeSuite(gan, plain, data, checkBinding(bindGraph(checkedOrThrow(gan)), data), { batch: 40, samples: 4, bins: 8, boundary: 0 }, 1);
    expect(plainSuite.capture(null, { step: 1, epoch: 1, loss: 1.3 }).gan!.labels).toBeUndefined();
  });

  it('flags mode collapse when the grid becomes alike: a generator whose samples lose their spread after step 200', () => {
    const plan = compileGraph(checkedOrThrow(gan), { batchSize: 16, backend: createReferenceBackend(), seed: 1 });
    const binding = checkBinding(bindGraph(checkedOrThrow(gan)), data);
    const suite = new ProbeSuite(gan, plan, data, binding, { batch: 40, samples: 4, bins: 8, boundary: 0 }, 1);
    const fc = plan.params.filter((p) => p.nodeId === 'fake');
    const spread = suite.capture(null, { step: GAN_HINT_AFTER_STEPS, epoch: 1, loss: 1 }).gan!;
    expect(spread.hints).toEqual([]);
    // Collapse: the generator ignores z (weights 0), every sample is its bias.
    for (const p of fc) if (p.value.shape.length === 2) p.value.data.fill(0);
    const collapsed = suite.capture(null, { step: GAN_HINT_AFTER_STEPS + 1, epoch: 1, loss: 1 }).gan!;
    expect(collapsed.diversity).toBe(0);
    expect(collapsed.hints.map((h) => h.code)).toContain('GAN_MODE_COLLAPSE');
  });

  it('mean pairwise distance: of two points their distance; of identical rows 0', () => {
    expect(meanPairwiseDistance([0, 0, 3, 4], 2, 2)).toBe(5);
    expect(meanPairwiseDistance([0, 0, 3, 4, 0, 0], 3, 2)).toBeCloseTo((5 + 0 + 5) / 3, 10);
    expect(meanPairwiseDistance([1, 1, 1, 1], 2, 2)).toBe(0);
  });

  it('hints: the discriminator winning, mode collapse, neither while healthy or warming up', () => {
    const healthy = { step: 1000, dReal: 0.7, dFake: 0.3, diversity: 8, realDiversity: 10, peakDiversity: 8 };
    expect(ganHints(healthy)).toEqual([]);
    expect(ganHints({ ...healthy, dReal: 0.99, dFake: 0.01 }).map((h) => h.code)).toEqual(['GAN_D_WINS']);
    expect(ganHints({ ...healthy, dReal: 0.99, dFake: 0.2 })).toEqual([]); // fooled often enough
    expect(ganHints({ ...healthy, diversity: 2 }).map((h) => h.code)).toEqual(['GAN_MODE_COLLAPSE']);
    expect(ganHints({ ...healthy, diversity: 2, step: GAN_HINT_AFTER_STEPS - 1 })).toEqual([]); // untrained G: grey, alike
    // Still alike, but never more diverse in this run: a generator learning from grey blobs.
    expect(ganHints({ ...healthy, diversity: 3, peakDiversity: 3.5 })).toEqual([]);
    const [h] = ganHints({ ...healthy, diversity: 2 });
    expect(h.message).toContain('2.0 from 8.0');
    expect(h.fix.length).toBeGreaterThan(0);
  });
});
