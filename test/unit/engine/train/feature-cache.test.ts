/**
 * A frozen backbone is computed once (#59 deliverable 4): where the frozen layers are fed by the
 * samples alone and compute each sample from itself (no Dropout, no BatchNorm on batch
 * statistics, no random transform before them), the loop computes their outputs once per
 * training sample and trains the head on them, to the same losses bit for bit; otherwise it says why not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeNodes } from '../../../../src-engine/base/ir/freeze';
import type { GraphIR, NodeIR } from '../../../../src-engine/base/ir/types';
import { countingConv, frozenCnn as cnn } from './frozen-cnn';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { prepareData } from '../../../../src-engine/core/data';
import { TrainingLoop } from '../../../../src-engine/core/train';
import type { FeatureCacheStatus } from '../../../../src-engine/core/train/types';
import { EtaClock } from '../../../../src-engine/core/train/run-state';
import { createCpuBackend, type CpuBackend } from '../../../../src-engine/node/cpu';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { fileFeatureSpill } from '../../../../src-engine/node/feature-spill';
import { setupEngine, twoMoonsGraph } from '../../session/fixtures';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';


let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

async function train(g: GraphIR, featureCache: boolean, more: Partial<ConstructorParameters<typeof TrainingLoop>[3]> = {}) {
  const c = g.training!;
  const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
  const { backend, samples } = countingConv(cpu);
  const losses: number[] = [];
  const statuses: FeatureCacheStatus[] = [];
  const epochSeconds: number[] = [];
  const convPerEpoch: number[] = [];
  let before = 0;
  let cacheSamples = 0;
  const loop = new TrainingLoop(g, data, backend, {
    compile: compileGraph,
    featureCache,
    ...more,
    validate: false,
    test: false,
    hooks: [
      {
        afterForward: (ctx) => (losses.push(ctx.loss), 'ok'),
        onFeatureCache: (s) => {
          statuses.push(s);
          if (s.state === 'ready') before = cacheSamples = samples();
        },
        afterEpoch: (e) => {
          epochSeconds.push(e.seconds);
          convPerEpoch.push(samples() - before);
          before = samples();
        },
      },
      ...(more.hooks ?? []),
    ],
  });
  const result = await loop.run();
  const weights = loop.plan.params.map((p) => p.value.data.slice());
  return { losses, statuses, epochSeconds, convPerEpoch, cacheSamples, result, weights, train: data.train.count };
}

describe('a frozen backbone is computed once (#59)', () => {
  it('trains to the same losses and weights bit for bit, running the frozen convolutions once per sample in all, not once per epoch', async () => {
    const plain = await train(cnn(), false);
    const cached = await train(cnn(), true);
    expect(cached.losses.length).toBe(2 * Math.ceil(plain.train / 32));
    expect(cached.losses).toEqual(plain.losses);
    expect(cached.weights).toEqual(plain.weights);
    // Two convolutions a sample: every epoch without the cache, once before the first with it.
    expect(plain.convPerEpoch).toEqual([2 * plain.train, 2 * plain.train]);
    expect(plain.statuses).toEqual([]);
    expect(cached.convPerEpoch).toEqual([0, 0]);
    expect(cached.cacheSamples).toBe(2 * cached.train);
    const ready = cached.statuses.at(-1)!;
    expect(ready).toMatchObject({ state: 'ready', samples: cached.train, boundary: ['flat'], bytes: cached.train * 16 * 7 * 7 * 4 });
    expect(cached.statuses[0]).toMatchObject({ state: 'computing', done: 0, samples: cached.train });
    console.log(`epoch seconds: plain ${plain.epochSeconds.map((s) => s.toFixed(3)).join(', ')}; cached ${cached.epochSeconds.map((s) => s.toFixed(3)).join(', ')} (+${(ready as { seconds: number }).seconds.toFixed(3)} s computing the cache)`);
  }, 120_000);

  it('the ETA counts the steps and epoch ends measured, not the cache computed once before them (#82)', async () => {
    // A cache that takes 1.5 s (busy: the clock runs as for a real backbone), then ~10 quick steps an epoch.
    const cacheSeconds = 1.5;
    const progress: { eta: number; at: number; step: number }[] = [];
    const { result } = await train(cnn(), true, {
      progressEveryMs: 0,
      hooks: [
        {
          onFeatureCache: (s) => {
            if (s.state !== 'computing' || s.done !== 0) return;
            const until = performance.now() + cacheSeconds * 1000;
            while (performance.now() < until);
          },
          onProgress: (p) => void progress.push({ eta: p.etaSeconds, at: performance.now(), step: p.step }),
        },
      ],
    });
    const end = performance.now();
    expect(result.reason).toBe('completed');
    const total = progress.at(-1)!.step;
    // The old rule averaged the cache into each step: after step 1, (1.5 s + a step) × the steps left.
    expect(progress[0].step).toBe(1);
    expect(progress[0].eta).toBeLessThan(cacheSeconds);
    console.log(`ETA after step 1 of ${total}: ${progress[0].eta.toFixed(3)} s (the old rule: over ${(cacheSeconds * (total - 1)).toFixed(1)} s); run took ${((end - progress[0].at) / 1000).toFixed(3)} s more`);
    // Halfway, the time left it says is the time left it took, within a factor of 2 (and 0.2 s).
    const half = progress[Math.floor(progress.length / 2)];
    const left = (end - half.at) / 1000;
    expect(half.eta).toBeLessThan(2 * left + 0.2);
    expect(half.eta).toBeGreaterThan(left / 2 - 0.2);
  }, 120_000);

  it('EtaClock: the mean step\'s time times the steps left, the mean epoch end\'s times the ends left, pauses not counted', () => {
    const eta = new EtaClock();
    // Steps start 1 s into the run (the cache), 3 steps already applied (a resumed run's).
    eta.start(1000, 200, 3);
    // 10 steps in 1 s: 0.1 s a step, 90 left; no epoch end measured yet.
    expect(eta.seconds(2000, 200, 13, 103, 10)).toBeCloseTo(9, 10);
    // An epoch end of 0.5 s, 10 more steps in 1 s and a pause of 1 s: still 0.1 s a step, and 0.5 s an end.
    eta.epochEnded(0.5);
    expect(eta.seconds(4500, 1200, 23, 103, 9)).toBeCloseTo(80 * 0.1 + 9 * 0.5, 10);
  });

  it('a random transform before the frozen layers turns it off and says why; so does a random augmentation', async () => {
    const g = cnn();
    const noisy = await train({ ...g, training: { ...g.training!, epochs: 1, dataset: { ...g.training!.dataset, transform: { kind: 'salt-pepper', fraction: 0.1 } } } }, true);
    expect(noisy.statuses).toEqual([{ state: 'off', code: 'FEATURES_RANDOM_TRANSFORM', reason: expect.stringContaining('salt') }]);
    expect(noisy.convPerEpoch).toEqual([2 * noisy.train]);
    const flipped = await train({ ...g, training: { ...g.training!, epochs: 1, dataset: { ...g.training!.dataset, augment: { flip: true } } } }, true);
    expect(flipped.statuses).toEqual([{ state: 'off', code: 'FEATURES_RANDOM_TRANSFORM', reason: expect.stringContaining('augmentation') }]);
  }, 120_000);

  it("frozenBatchNorm 'train' turns it off (a sample's features depend on its batch), as does a Dropout before a frozen layer", async () => {
    const bnTrain = await train(cnn({ frozenBatchNorm: 'train' }), true);
    expect(bnTrain.statuses).toEqual([{ state: 'off', code: 'FEATURES_BATCH_STATISTICS', reason: expect.stringContaining('"bn1"') }]);
    expect(bnTrain.convPerEpoch).toEqual([2 * bnTrain.train, 2 * bnTrain.train]);
    const g = cnn();
    const nodes = g.nodes.map((n) => (n.id === 'conv2' ? { ...n, inputs: ['drop'] } : n));
    nodes.splice(nodes.findIndex((n) => n.id === 'conv2'), 0, { id: 'drop', op: 'Dropout', attrs: { p: 0.2 }, inputs: ['pool1'] });
    const dropped = await train({ ...g, nodes }, true);
    expect(dropped.statuses).toEqual([{ state: 'off', code: 'FEATURES_RANDOM_LAYER', reason: expect.stringContaining('"drop"') }]);
  }, 120_000);

  it('caches the validation split too: each epoch evaluates it through the head alone, to the same figures', async () => {
    const run = async (featureCache: boolean) => {
      const g = cnn();
      const c = g.training!;
      const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
      const { backend, samples } = countingConv(cpu);
      const vals: unknown[] = [];
      const convPerEpoch: number[] = [];
      let before = 0;
      const hooks = [{ onFeatureCache: (s: FeatureCacheStatus) => void (s.state === 'ready' && (before = samples())), afterEpoch: (e: { val?: unknown }) => void (vals.push(e.val), convPerEpoch.push(samples() - before), (before = samples())) }];
      await new TrainingLoop(g, data, backend, { compile: compileGraph, featureCache, test: false, hooks }).run();
      return { vals, convPerEpoch, val: data.val.count, train: data.train.count };
    };
    const plain = await run(false);
    const cached = await run(true);
    expect(plain.val).toBeGreaterThan(0);
    expect(cached.vals).toEqual(plain.vals);
    expect(cached.vals[0]).toMatchObject({ accuracy: expect.any(Number) });
    // Without the cache each epoch runs both convolutions on every training and validation sample.
    expect(plain.convPerEpoch).toEqual([2 * (plain.train + plain.val), 2 * (plain.train + plain.val)]);
    expect(cached.convPerEpoch).toEqual([0, 0]);
  }, 120_000);

  it('a Dropout after the frozen layers (the head\'s) keeps it, with the same losses: the boundary is before it', async () => {
    const drop: NodeIR[] = [{ id: 'drop', op: 'Dropout', attrs: { p: 0.3 }, inputs: ['flat'] }];
    const plain = await train(cnn({}, drop), false);
    const cached = await train(cnn({}, drop), true);
    expect(cached.statuses.at(-1)).toMatchObject({ state: 'ready', boundary: ['flat'] });
    expect(cached.losses).toEqual(plain.losses);
    expect(cached.convPerEpoch).toEqual([0, 0]);
  }, 120_000);

  it('past its memory budget, one epoch, or the cache turned off: no cache, and why', async () => {
    const g = cnn();
    const c = g.training!;
    const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
    const statuses: FeatureCacheStatus[] = [];
    await new TrainingLoop(g, data, cpu, { compile: compileGraph, featureCacheBytes: 1000, validate: false, test: false, hooks: [{ onFeatureCache: (s) => statuses.push(s) }] }).run();
    expect(statuses).toEqual([{ state: 'off', code: 'FEATURES_OVER_BUDGET', reason: expect.stringContaining('MiB') }]);
    const one = await train(cnn({ epochs: 1 }), true);
    expect(one.statuses).toEqual([{ state: 'off', code: 'FEATURES_ONE_EPOCH', reason: expect.any(String) }]);
  }, 120_000);

  it("a session says so in train.features: the Train dock's line, its progress, or why not", async () => {
    const { client, events, waitFor, service } = setupEngine();
    const g = twoMoonsGraph({ epochs: 2 });
    await client.request('train.start', { graph: { ...g, nodes: freezeNodes(g.nodes, ['fc1'], true) }, probes: false });
    await waitFor('train.done');
    const features = events['train.features']!;
    expect(features[0]).toMatchObject({ state: 'computing', done: 0, samples: expect.any(Number), message: expect.stringMatching(/^computing backbone features: 0 of \d+ samples$/) });
    expect(features.at(-1)).toMatchObject({ state: 'ready', message: expect.stringMatching(/^backbone features cached: \d+ samples \(/) });
    await client.request('train.start', { graph: { ...g, nodes: freezeNodes(g.nodes, ['fc1'], true), training: { ...g.training!, dataset: { ...g.training!.dataset, transform: { kind: 'gaussian-noise', std: 0.1 } } } }, probes: false });
    await waitFor('train.done', (d) => d.runId !== features[0].runId);
    expect(events['train.features']!.at(-1)).toMatchObject({ state: 'off', code: 'FEATURES_RANDOM_TRANSFORM', message: expect.stringMatching(/^backbone features not cached: the input transform "/) });
    service.dispose();
  });

  it('past its memory budget with a spill: in a file under the temporary folder, the same losses, the file gone at the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-spill-test-'));
    try {
      const plain = await train(cnn(), false);
      let during: string[] = [];
      const spilled = await train(cnn(), true, { featureCacheBytes: 1000, featureSpill: fileFeatureSpill(dir), hooks: [{ afterEpoch: () => void (during = readdirSync(dir)) }] });
      expect(spilled.statuses.at(-1)).toMatchObject({ state: 'ready', onDisk: true, bytes: spilled.train * 16 * 7 * 7 * 4 });
      expect(during).toHaveLength(1);
      expect(spilled.losses).toEqual(plain.losses);
      expect(spilled.weights).toEqual(plain.weights);
      expect(spilled.convPerEpoch).toEqual([0, 0]);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

