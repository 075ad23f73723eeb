/**
 * A resumed run draws what the uninterrupted one would have (#58, "one run"): the graph's stream
 * (a GAN's Noise, Dropout's masks) and the input transform's are kept in the checkpoint
 * (`Checkpoint.random`) and restored, on the reference and CPU backends (the GPU's:
 * test/unit/gpu/resume-random.test.ts). Each design trains 3 epochs straight, and 1 epoch and a
 * step whose last checkpoint goes through the run store and is resumed: every step's loss after
 * the resume point and the weights bit for bit. The same stored checkpoint without a stream's
 * state (as one written before they were kept) still resumes, along another path.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { Rng } from '../../../../src-engine/base/rng';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import type { Backend } from '../../../../src-engine/core/backend/types';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { prepareData, type PreparedData, type Samples } from '../../../../src-engine/core/data';
import { TrainingLoop } from '../../../../src-engine/core/train/loop';
import type { Checkpoint } from '../../../../src-engine/core/train/types';
import { createCpuBackend } from '../../../../src-engine/node/cpu';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { RunStore } from '../../../../src-engine/node/run-store';
import { moonsGan } from '../../gan-moons';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The iris MLP with a Dropout after its hidden layer and Gaussian noise on its inputs: both streams drawn every step. */
function irisDropout(): GraphIR {
  const g = JSON.parse(readFileSync(join(ROOT, 'examples', 'iris-mlp.json'), 'utf8')) as GraphIR;
  const nodes = g.nodes.flatMap((n) => (n.id === 'relu1' ? [n, { id: 'drop', op: 'Dropout', attrs: { p: 0.3 }, inputs: ['relu1'] }] : [n]));
  g.nodes = nodes.map((n) => (n.id === 'fc2' ? { ...n, inputs: ['drop'] } : n));
  const t = g.training!;
  g.training = { ...t, epochs: 3, dataset: { ...t.dataset, transform: { kind: 'gaussian-noise', std: 0.1, clip: false } } } as GraphIR['training'];
  return g;
}

/** The moons GAN with its latent from a Noise node, 3 epochs of 5 steps. */
function ganNoise(): GraphIR {
  const g = moonsGan('noise');
  g.training = { ...g.training!, epochs: 3 };
  return g;
}

const prepared = (g: GraphIR): PreparedData<Samples> => prepareData(loadDataset(g.training!.dataset, g.training!.seed), g.training!.dataset, g.training!.seed);

interface Trained {
  loop: TrainingLoop;
  /** Every group's loss at its forward, in order. */
  losses: number[];
}

async function train(g: GraphIR, data: PreparedData<Samples>, backend: Backend, opts: { maxSteps?: number; resumeFrom?: Checkpoint; snapshotAt?: number; snapshots?: Checkpoint[] } = {}): Promise<Trained> {
  const losses: number[] = [];
  const { snapshotAt, snapshots, ...options } = opts;
  const loop: TrainingLoop = new TrainingLoop(g, data, backend, {
    compile: compileGraph,
    test: false,
    yieldToHost: () => Promise.resolve(),
    ...options,
    hooks: [
      {
        afterForward: ({ loss }) => (losses.push(loss), 'ok'),
        // A snapshot between two steps within an epoch, as the divergence guard and a GPU run take them.
        afterStep: () => void (loop.step === snapshotAt && snapshots?.push(loop.capture())),
      },
    ],
  });
  await loop.run();
  return { loop, losses };
}

/** `ck` through the run store as the app keeps it: the stored file, and the checkpoint a resume reads back. */
function stored(g: GraphIR, data: PreparedData<Samples>, ck: Checkpoint) {
  const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-resume-random-')));
  const rec = store.create({ graph: g, settings: { training: g.training!, backend: 'reference', appVersion: 'test' } });
  rec.checkpoint('last', ck, { normalization: data.normalization, classNames: [...data.train.classNames] });
  rec.finish('stopped');
  return { store, id: rec.id, file: join(store.dir, rec.id, 'checkpoint-last.json') };
}

const weights = (l: TrainingLoop) => l.plan.params.map((p) => Array.from(p.value.data));

/** Without the stream `name`'s state: what a checkpoint written before the streams were kept holds. */
function without(ck: Checkpoint, name: string): Checkpoint {
  const { [name]: _dropped, ...rest } = ck.random!;
  return { ...ck, random: rest };
}

/**
 * 3 epochs straight against 1 epoch and a step, stored and resumed: the resumed losses and weights
 * bit for bit. Answers the stored checkpoint and the straight run, for the cases' controls.
 */
async function expectResumedAsStraight(g: GraphIR, data: PreparedData<Samples>, backend: Backend) {
  const full = await train(g, data, backend);
  const spe = full.loop.stepsPerEpoch;
  const perStep = full.losses.length / full.loop.step;
  const cut = await train(g, data, backend, { maxSteps: spe + 1 });
  const { store, id, file } = stored(g, data, cut.loop.last!);
  const point = store.resumePoint(id).checkpoint;
  expect({ epoch: point.epoch, step: point.step, streams: Object.keys(point.random ?? {}) }).toEqual({ epoch: 1, step: spe, streams: ['graph', 'transform'] });
  const resumed = await train(g, data, backend, { resumeFrom: point });
  expect(resumed.loop.step).toBe(full.loop.step);
  expect(resumed.losses).toEqual(full.losses.slice(spe * perStep));
  expect(weights(resumed.loop)).toEqual(weights(full.loop));
  return { full, point, store, id, file, after: spe * perStep };
}

let cpu: (Backend & { dispose(): void }) | null = null;
afterAll(() => cpu?.dispose());

describe('a resumed run draws on where the checkpoint was taken', () => {
  it("a stream's state goes on draw for draw, a Box–Muller pair's second value included", () => {
    const a = new Rng(7);
    a.normal();
    a.nextU32();
    const b = new Rng(0);
    b.load(JSON.parse(JSON.stringify(a.state())) as ReturnType<Rng['state']>);
    expect(Array.from({ length: 5 }, () => b.normal())).toEqual(Array.from({ length: 5 }, () => a.normal()));
    expect(b.nextU32()).toBe(a.nextU32());
  });

  it("the two-group GAN with a Noise latent: 3 epochs straight, or 1 and a step stored and resumed, bit for bit", async () => {
    const g = ganNoise();
    const data = prepared(g);
    const { full, point, after } = await expectResumedAsStraight(g, data, createReferenceBackend());
    expect(full.loop.stepsPerEpoch).toBe(5);
    // Resumed from the seed's noise instead (a checkpoint before #58): it trains, along another path.
    const old = await train(g, data, createReferenceBackend(), { resumeFrom: without(point, 'graph') });
    expect(old.loop.step).toBe(full.loop.step);
    expect(old.losses).not.toEqual(full.losses.slice(after));
  });

  it.each(['reference', 'cpu'] as const)('an MLP with Dropout and a noise transform on the %s backend: bit for bit, from a snapshot within an epoch too; each stream kept is needed; a bad state is a corrupt checkpoint', async (kind) => {
    const backend = kind === 'reference' ? createReferenceBackend() : (cpu ??= await createCpuBackend({ threads: 2 }));
    const g = irisDropout();
    const data = prepared(g);
    const { full, point, store, id, file } = await expectResumedAsStraight(g, data, backend);
    const straight = weights(full.loop);
    for (const name of ['graph', 'transform']) {
      const old = await train(g, data, backend, { resumeFrom: without(point, name) });
      expect(weights(old.loop), `resumed without the ${name} stream`).not.toEqual(straight);
    }
    const { random: _r, ...before } = point;
    const older = await train(g, data, backend, { resumeFrom: before });
    expect(older.loop.step).toBe(full.loop.step);
    if (kind === 'cpu') return;
    // From a snapshot within epoch 2 (the transform's stream mid-epoch): bit for bit too.
    const at = full.loop.stepsPerEpoch + 3;
    const snapshots: Checkpoint[] = [];
    await train(g, data, backend, { snapshotAt: at, snapshots });
    expect({ epoch: snapshots[0].epoch, batch: snapshots[0].batch }).toEqual({ epoch: 2, batch: 3 });
    const within = await train(g, data, backend, { resumeFrom: snapshots[0] });
    expect(within.losses).toEqual(full.losses.slice(at));
    expect(weights(within.loop)).toEqual(straight);
    const json = JSON.parse(readFileSync(file, 'utf8')) as { random: Record<string, { s: number[] }> };
    json.random.graph.s = [0, 0, 0, 0];
    writeFileSync(file, JSON.stringify(json));
    expect(() => store.resumePoint(id)).toThrow(expect.objectContaining({ code: 'E_RUN_CHECKPOINT_CORRUPT', message: expect.stringMatching(/random stream/) }));
  });
});
