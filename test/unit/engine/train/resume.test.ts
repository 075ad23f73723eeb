import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { prepareData } from '../../../../src-engine/core/data';
import { TrainingLoop } from '../../../../src-engine/core/train/loop';
import type { Checkpoint } from '../../../../src-engine/core/train/types';
import { checkpointToJSON } from '../../../../src-engine/core/train/checkpoint';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { RunStore } from '../../../../src-engine/node/run-store';
import { moonsGan } from '../../gan-moons';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const EPOCHS = 6;
/** The iris MLP with a schedule that depends on the epoch, so a resume that lost its place would show. */
const graph = (): GraphIR => {
  const g = JSON.parse(readFileSync(join(ROOT, 'examples', 'iris-mlp.json'), 'utf8')) as GraphIR;
  g.training = { ...g.training!, epochs: EPOCHS, schedule: { kind: 'step', stepSize: 2, gamma: 0.5 } } as GraphIR['training'];
  return g;
};
const g0 = graph();
const data = prepareData(loadDataset(g0.training!.dataset, g0.training!.seed), g0.training!.dataset, g0.training!.seed);
const backend = createReferenceBackend();

function loop(opts: { maxSteps?: number; resumeFrom?: Checkpoint; losses?: number[]; snapshotAt?: number; snapshots?: Checkpoint[]; overrides?: Partial<NonNullable<GraphIR['training']>> } = {}) {
  const l: TrainingLoop = new TrainingLoop(graph(), data, backend, {
    compile: compileGraph,
    test: false,
    ...(opts.overrides ? { overrides: opts.overrides } : {}),
    yieldToHost: () => Promise.resolve(),
    ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
    ...(opts.resumeFrom ? { resumeFrom: opts.resumeFrom } : {}),
    hooks: [
      {
        afterStep: (c) => {
          opts.losses?.push(c.loss);
          // A snapshot between two steps, as the divergence guard and a GPU run take them.
          if (l.step === opts.snapshotAt) opts.snapshots?.push(l.capture());
        },
      },
    ],
  });
  return l;
}
const weights = (l: TrainingLoop) => l.plan.params.map((p) => Array.from(p.value.data));

describe('resume from a stored checkpoint', () => {
  it('continues the uninterrupted run bit for bit: same weights, same losses after the resume point', async () => {
    const fullLosses: number[] = [];
    const full = loop({ losses: fullLosses });
    await full.run();
    const spe = full.stepsPerEpoch;

    // A run cut off after epoch 2 (as a kill -9 would), its last checkpoint stored the way the app stores it.
    const cut = loop({ maxSteps: 2 * spe + 1 });
    await cut.run();
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-resume-')));
    const rec = store.create({ graph: graph(), settings: { training: graph().training!, backend: 'reference', appVersion: 'test' } });
    rec.checkpoint('last', cut.last!, { normalization: data.normalization, classNames: [...data.train.classNames] });
    rec.finish('stopped');
    const point = store.resumePoint(rec.id);
    expect(point.checkpoint.epoch).toBe(2);
    expect(point.checkpoint.step).toBe(2 * spe);

    const resumedLosses: number[] = [];
    const resumed = loop({ resumeFrom: point.checkpoint, losses: resumedLosses });
    const result = await resumed.run();
    expect(resumed.step).toBe(full.step);
    expect(result.epochs).toBe(EPOCHS);
    expect(resumed.lr).toBe(full.lr);
    expect(resumedLosses).toEqual(fullLosses.slice(2 * spe));
    expect(weights(resumed)).toEqual(weights(full));
  });

  it('from a snapshot within an epoch, or after its last batch but before its end: the uninterrupted run bit for bit', async () => {
    const fullLosses: number[] = [];
    const full = loop({ losses: fullLosses });
    await full.run();
    const spe = full.stepsPerEpoch;
    expect(spe).toBeGreaterThan(3);
    for (const at of [2 * spe + 3, 3 * spe]) {
      const snapshots: Checkpoint[] = [];
      await loop({ snapshotAt: at, snapshots }).run();
      const ck = snapshots[0]!;
      // Batch `spe` of epoch 3: every batch trained, the epoch's end (validation, the step schedule) still to come.
      expect({ epoch: ck.epoch, step: ck.step, batch: ck.batch }).toEqual(at === 3 * spe ? { epoch: 3, step: at, batch: spe } : { epoch: 3, step: at, batch: 3 });
      const resumedLosses: number[] = [];
      const resumed = loop({ resumeFrom: ck, losses: resumedLosses });
      const result = await resumed.run();
      expect(result.epochs).toBe(EPOCHS);
      expect(resumed.step).toBe(full.step);
      expect(resumed.lr).toBe(full.lr);
      expect(resumedLosses).toEqual(fullLosses.slice(at));
      expect(weights(resumed)).toEqual(weights(full));
    }
    // An epoch's end is no snapshot within it.
    expect(full.last!.batch).toBeUndefined();
  });

  it("early stopping's patience count and best value go on across a resume, through the run store's checkpoint", async () => {
    // Only the first epoch improves (by more than 1e9): the wait grows by one an epoch, and the run stops after epoch 4.
    const overrides = { earlyStopping: { metric: 'val_loss', mode: 'min' as const, patience: 3, minDelta: 1e9 } };
    const full = loop({ overrides });
    const whole = await full.run();
    expect({ reason: whole.reason, epochs: whole.epochs }).toEqual({ reason: 'early-stopping', epochs: 4 });

    // Stopped during epoch 3: the last checkpoint is epoch 2's, one epoch waited.
    const cut = loop({ overrides, maxSteps: 2 * full.stepsPerEpoch + 1 });
    await cut.run();
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-resume-')));
    const rec = store.create({ graph: graph(), settings: { training: { ...graph().training!, ...overrides }, backend: 'reference', appVersion: 'test' } });
    rec.checkpoint('last', cut.last!, { normalization: data.normalization, classNames: [...data.train.classNames] });
    rec.finish('stopped');
    const point = store.resumePoint(rec.id).checkpoint;
    expect(point.hooks?.earlyStopping).toMatchObject({ wait: 1, count: 2, bestIndex: 0 });

    // The resumed run waits two more epochs, not three afresh: it stops where the uninterrupted one did.
    const resumed = await loop({ overrides, resumeFrom: point }).run();
    expect({ reason: resumed.reason, epochs: resumed.epochs }).toEqual({ reason: 'early-stopping', epochs: 4 });
  });

  it('negative control: the same checkpoint without the replayed shuffle order or optimizer state diverges', async () => {
    const full = loop();
    await full.run();
    const cut = loop({ maxSteps: 2 * full.stepsPerEpoch });
    await cut.run();
    // Weights only, fresh optimizer: what a "load the weights and train on" resume would do.
    const naive = loop({ maxSteps: (EPOCHS - 2) * full.stepsPerEpoch });
    naive.warmStart(cut.last!.params);
    await naive.run();
    expect(weights(naive)).not.toEqual(weights(full));
  });

  it('a missing or corrupt checkpoint, or one of another network, is a coded error', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-resume-')));
    const settings = { training: graph().training!, backend: 'reference' as const, appVersion: 'test' };
    const none = store.create({ graph: graph(), settings });
    none.finish('stopped');
    expect(() => store.resumePoint(none.id)).toThrow(expect.objectContaining({ code: 'E_RUN_NO_CHECKPOINT' }));
    expect(() => store.resumePoint('run-that-is-not-there')).toThrow(expect.objectContaining({ code: 'RUN_NOT_FOUND' }));

    const cut = loop({ maxSteps: 20 });
    await cut.run();
    const torn = store.create({ graph: graph(), settings });
    torn.checkpoint('last', cut.last!, { normalization: data.normalization, classNames: [] });
    torn.finish('stopped');
    const file = join(store.dir, torn.id, 'checkpoint-last.json');
    const text = readFileSync(file, 'utf8');
    const dataName = (JSON.parse(text) as { data: string }).data;
    const dataFile = join(store.dir, torn.id, dataName);
    const bytes = readFileSync(dataFile);
    const corrupt = () => expect(() => store.resumePoint(torn.id)).toThrow(expect.objectContaining({ code: 'E_RUN_CHECKPOINT_CORRUPT' }));
    for (const broken of [
      text.slice(0, text.length >> 1),
      text.replace('netwright.checkpoint', 'something-else'),
      text.replace(/"params":\{"([^"]+)":\{"o":\d+/, '"params":{"$1":{"o":1e12'),
      text.replace(/"params":\{"([^"]+)":\{"o":\d+/, '"params":{"$1":{"o":2'),
      text.replace(dataName, '../../escape.bin'),
    ]) {
      expect(broken).not.toBe(text);
      writeFileSync(file, broken);
      corrupt();
    }
    writeFileSync(file, text);
    writeFileSync(dataFile, bytes.subarray(0, bytes.length - 4));
    corrupt();
    rmSync(dataFile);
    corrupt();
    // A checkpoint of an older Netwright (every tensor in base64 inside the JSON) still resumes.
    writeFileSync(file, JSON.stringify({ ...checkpointToJSON(cut.last!, 'base64'), normalization: data.normalization, classNames: [] }));
    expect(store.resumePoint(torn.id).checkpoint.params).toEqual(cut.last!.params);

    await expect(loop({ resumeFrom: { ...cut.last!, batch: 99 } }).run()).rejects.toMatchObject({ code: 'E_RUN_CHECKPOINT_MISMATCH', message: expect.stringMatching(/batch 99 of an epoch of/) });
    const other = structuredClone(cut.last!);
    const key = Object.keys(other.params)[0];
    other.params[key] = other.params[key].subarray(1);
    await expect(loop({ resumeFrom: other }).run()).rejects.toMatchObject({ code: 'E_RUN_CHECKPOINT_MISMATCH' });
    delete other.params[key];
    await expect(loop({ resumeFrom: other }).run()).rejects.toMatchObject({ code: 'E_RUN_CHECKPOINT_MISMATCH' });
  });
});

describe('a two-group design (a GAN) resumes every group', () => {
  /**
   * The moons GAN fed its real points (it draws nothing; with its Noise latent: resume-random.test.ts),
   * 4 epochs of 5 steps (80 training samples); the groups differ in optimizer and schedule (the generator Adam
   * with β1 0.5 at 0.005, the discriminator's rate halved every epoch), so swapped or lost states show.
   */
  const gan = (): GraphIR => {
    const g = moonsGan('points');
    const t = g.training!;
    const [d, gen] = t.groups!;
    g.training = { ...t, epochs: 4, groups: [{ ...d, schedule: { kind: 'step', stepSize: 1, gamma: 0.5 } }, { ...gen, optimizer: { kind: 'adam', lr: 0.005, beta1: 0.5 } }] };
    return g;
  };
  const ganData = prepareData(loadDataset(gan().training!.dataset, 1), gan().training!.dataset, 1);
  const ganLoop = (opts: { maxSteps?: number; resumeFrom?: Checkpoint; losses?: [number, number][] } = {}) =>
    new TrainingLoop(gan(), ganData, backend, {
      compile: compileGraph,
      test: false,
      yieldToHost: () => Promise.resolve(),
      ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
      ...(opts.resumeFrom ? { resumeFrom: opts.resumeFrom } : {}),
      hooks: [{ afterForward: ({ group, loss }) => (opts.losses?.push([group, loss]), 'ok') }],
    });
  const stored = (ck: Checkpoint) => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-resume-')));
    const rec = store.create({ graph: gan(), settings: { training: gan().training!, backend: 'reference', appVersion: 'test' } });
    rec.checkpoint('last', ck, { normalization: ganData.normalization, classNames: [...ganData.train.classNames] });
    rec.finish('stopped');
    return { store, id: rec.id, file: join(store.dir, rec.id, 'checkpoint-last.json') };
  };
  const states = (l: TrainingLoop) => l.groups.map((q) => ({ optimizer: q.optimizer.state(), schedule: q.schedule.state() }));

  it("k steps, the run store's checkpoint, then N − k: the uninterrupted run bit for bit, each group's moments, step count and rate included", async () => {
    const fullLosses: [number, number][] = [];
    const full = ganLoop({ losses: fullLosses });
    await full.run();
    const spe = full.stepsPerEpoch;
    expect(spe).toBe(5);
    const cut = ganLoop({ maxSteps: 2 * spe + 1 });
    await cut.run();
    const { store, id, file } = stored(cut.last!);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { version: number }).version).toBe(2);
    const point = store.resumePoint(id).checkpoint;
    expect(point.groups?.map((g) => [g.name, g.optimizer.step])).toEqual([['discriminator', 2 * spe], ['generator', 2 * spe]]);

    const resumedLosses: [number, number][] = [];
    const resumed = ganLoop({ resumeFrom: point, losses: resumedLosses });
    await resumed.run();
    expect(resumed.step).toBe(full.step);
    expect(resumedLosses).toEqual(fullLosses.slice(2 * 2 * spe));
    expect(weights(resumed)).toEqual(weights(full));
    const [got, want] = [states(resumed), states(full)];
    expect(got.map((s) => s.optimizer.lr)).toEqual([0.01 / 8, 0.005]);
    expect(got).toEqual(want);
  });

  it('a version-1 checkpoint (one group\'s state) still resumes a one-group design and is refused for this one, naming why; so are other groups\' names and a newer version', async () => {
    // The iris MLP's checkpoint as version 1 wrote it (the same fields): group 0 takes its state.
    const iris = loop({ maxSteps: 20 });
    await iris.run();
    const one = new RunStore(mkdtempSync(join(tmpdir(), 'nw-resume-')));
    const rec = one.create({ graph: graph(), settings: { training: graph().training!, backend: 'reference', appVersion: 'test' } });
    rec.checkpoint('last', iris.last!, { normalization: data.normalization, classNames: [] });
    rec.finish('stopped');
    const irisFile = join(one.dir, rec.id, 'checkpoint-last.json');
    writeFileSync(irisFile, JSON.stringify({ ...JSON.parse(readFileSync(irisFile, 'utf8')), version: 1 }));
    const irisPoint = one.resumePoint(rec.id).checkpoint;
    const irisResumed = loop({ resumeFrom: irisPoint, maxSteps: irisPoint.step });
    await irisResumed.run();
    expect(irisResumed.groups[0].optimizer.state()).toEqual(iris.last!.optimizer);
    writeFileSync(irisFile, JSON.stringify({ ...JSON.parse(readFileSync(irisFile, 'utf8')), version: 3 }));
    expect(() => one.resumePoint(rec.id)).toThrow(expect.objectContaining({ code: 'E_RUN_CHECKPOINT_CORRUPT', message: expect.stringMatching(/version 3/) }));

    const cut = ganLoop({ maxSteps: 8 });
    await cut.run();
    const { store, id, file } = stored(cut.last!);
    const v2 = JSON.parse(readFileSync(file, 'utf8')) as { groups: { optimizer: unknown; schedule: unknown; name: string }[] };
    const { groups, ...rest } = v2;
    writeFileSync(file, JSON.stringify({ ...rest, version: 1, optimizer: groups[0].optimizer, schedule: groups[0].schedule }));
    const old = store.resumePoint(id).checkpoint;
    expect(old.groups).toBeUndefined();
    expect(old.optimizer).toEqual(cut.last!.groups![0].optimizer);
    await expect(ganLoop({ resumeFrom: old }).run()).rejects.toMatchObject({ code: 'E_RUN_CHECKPOINT_MISMATCH', message: expect.stringMatching(/one optimizer group's state.*trains 2/) });
    const renamed = structuredClone(cut.last!);
    renamed.groups![1].name = 'critic';
    await expect(ganLoop({ resumeFrom: renamed }).run()).rejects.toMatchObject({ code: 'E_RUN_CHECKPOINT_MISMATCH', message: expect.stringMatching(/discriminator, critic; the design's discriminator, generator/) });
  });
});
