import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../../src-engine/core/data';
import { groupNodes, resolveGroups } from '../../../../src-engine/base/ir/training';
import type { GraphIR, NodeIR, TrainingConfig } from '../../../../src-engine/base/ir/types';
import { analyzeGraph } from '../../../../src-engine/core/analysis/validate';
import { TrainingLoop } from '../../../../src-engine/core/train';

const x: NodeIR = { id: 'x', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] };
const y: NodeIR = { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] };
const head = (h: string): NodeIR[] => [
  { id: `fc${h}`, op: 'Linear', attrs: { outFeatures: 8 }, inputs: ['x'] },
  { id: `act${h}`, op: 'Tanh', attrs: {}, inputs: [`fc${h}`] },
  { id: `out${h}`, op: 'Linear', attrs: { outFeatures: 3 }, inputs: [`act${h}`] },
  { id: `loss${h}`, op: 'CrossEntropyLoss', attrs: {}, inputs: [`out${h}`, 'y'] },
];
const base: Omit<TrainingConfig, 'loss' | 'optimizer'> = {
  dataset: { name: 'blobs', options: { samples: 300, classes: 3, noise: 1.2 }, validationSplit: 0.2 },
  batchSize: 32,
  epochs: 3,
  seed: 5,
  metrics: ['accuracy'],
};
const sgd = { kind: 'sgd' as const, lr: 0.1, momentum: 0.9 };
const adam = { kind: 'adam' as const, lr: 0.01 };

function graph(heads: string[], training: Partial<TrainingConfig>): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [x, y, ...heads.flatMap(head)],
    outputs: { logits: `out${heads[0]}` },
    training: { ...base, loss: heads.map((h) => `loss${h}`), optimizer: sgd, ...training } as TrainingConfig,
  };
}

async function train(g: GraphIR): Promise<{ loop: TrainingLoop; weights: Map<string, Float32Array>; testLoss: number }> {
  const c = g.training!;
  const data = prepareData(loadBuiltinDataset(c.dataset, c.seed)!, c.dataset, c.seed);
  const loop = new TrainingLoop(g, data, createReferenceBackend(), { compile: compileGraph });
  const r = await loop.run();
  return { loop, weights: new Map(loop.plan.params.map((p) => [`${p.nodeId}.${p.name}`, p.value.data])), testLoss: r.test!.loss };
}

/** Two heads, one epoch, SGD (the default) for head A and Adam for head B, and their data. */
function twoGroups() {
  const g = graph(['A', 'B'], {
    epochs: 1,
    groups: [
      { name: 'a', params: { nodes: ['fcA', 'outA'] }, loss: 'lossA' },
      { name: 'b', params: { nodes: ['fcB', 'outB'] }, loss: 'lossB', optimizer: adam },
    ],
  });
  const c = g.training!;
  return { g, data: prepareData(loadBuiltinDataset(c.dataset, c.seed)!, c.dataset, c.seed) };
}

describe('optimizer groups (training.groups)', () => {
  it('two independent heads, SGD and Adam, train exactly as each head trained alone', async () => {
    const both = await train(
      graph(['A', 'B'], {
        groups: [
          { name: 'a', params: { nodes: ['fcA', 'outA'] }, loss: 'lossA', optimizer: sgd },
          { name: 'b', params: { between: { from: ['fcB'], to: 'outB' } }, loss: 'lossB', optimizer: adam },
        ],
      }),
    );
    const a = await train(graph(['A'], { optimizer: sgd }));
    const b = await train(graph(['B'], { optimizer: adam }));
    expect(both.loop.groups.map((g) => [g.spec.name, g.params.length])).toEqual([['a', 4], ['b', 4]]);
    for (const [k, v] of a.weights) expect(both.weights.get(k), k).toEqual(v);
    for (const [k, v] of b.weights) expect(both.weights.get(k), k).toEqual(v);
    // The reported loss is the sum of the groups' losses.
    expect(both.testLoss).toBeCloseTo(a.testLoss + b.testLoss, 5);
    // And training moved them: the heads are not at their initial weights.
    const init = compileGraph(checkedOrThrow(graph(['A', 'B'], {})), { batchSize: 32, backend: createReferenceBackend(), seed: 5 });
    for (const p of init.params) expect(both.weights.get(`${p.nodeId}.${p.name}`)).not.toEqual(p.value.data);
  });

  it('reports each group\'s loss, and checkpoints every group\'s optimizer state', async () => {
    const { g, data } = twoGroups();
    const seen: Record<string, number>[] = [];
    const loop = new TrainingLoop(g, data, createReferenceBackend(), {
      compile: compileGraph,
      progressEveryMs: 0,
      hooks: [{ onProgress: (p) => seen.push(p.groupLosses!) }],
    });
    await loop.run();
    expect(Object.keys(seen[0])).toEqual(['a', 'b']);
    expect(seen.every((l) => l.a > 0 && l.b > 0)).toBe(true);
    const ck = loop.last!;
    expect(ck.groups!.map((q) => [q.name, q.optimizer.kind])).toEqual([['a', 'sgd'], ['b', 'adam']]);
    expect(ck.groups![1].optimizer.step).toBe(loop.step);
    // Restoring puts back weights and both optimizers' state.
    const before = loop.plan.params[0].value.data.slice();
    loop.plan.params[0].value.data.fill(0);
    loop.groups[1].optimizer.loadState({ ...ck.groups![1].optimizer, step: 0 });
    loop.restore(ck);
    expect(loop.plan.params[0].value.data).toEqual(before);
    expect(loop.groups[1].optimizer.state().step).toBe(loop.step);
  });

  it('a group step computes only the gradients its optimizer reads: no backward outside its path, no input gradient out of it, no parameter gradient of another group', () => {
    // "Generator" g1 → "discriminator" d1 → dn → loss: the discriminator's step must not reach
    // g1, nor compute d1's input gradient (g1's); the generator's step runs back through d1 and
    // dn, which compute no parameter gradient for it (Linear skips them; LayerNorm, which does
    // not, writes them aside). Another group's gradients keep their values.
    const gan: GraphIR = {
      format: 'netwright.graph',
      version: 2,
      nodes: [
        x,
        y,
        { id: 'g1', op: 'Linear', attrs: { outFeatures: 4 }, inputs: ['x'] },
        { id: 'd1', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['g1'] },
        { id: 'dn', op: 'LayerNorm', attrs: {}, inputs: ['d1'] },
        { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['dn', 'y'] },
      ],
      outputs: {},
      training: { ...base, loss: 'loss', optimizer: sgd },
    };
    const plan = compileGraph(checkedOrThrow(gan), { batchSize: 4, backend: createReferenceBackend(), seed: 1 });
    plan.input('x').data.set([1, 2, -1, 0.5, 0.3, -2, 1, 1]);
    plan.input('y').data.set([0, 1, 2, 1]);
    plan.forward(true);
    plan.backward();
    const full = new Map(plan.params.map((p) => [`${p.nodeId}.${p.name}`, p.grad.data.slice()]));
    const fullG1 = plan.grad('g1')!.data.slice();
    const isD = (id: string) => id !== 'g1';
    const step = (mine: (id: string) => boolean) => {
      // What the step must leave alone holds 7s.
      for (const p of plan.params) if (!mine(p.nodeId)) p.grad.data.fill(7);
      const sel = plan.selectLosses(['loss'], plan.params.filter((p) => mine(p.nodeId)));
      plan.forward(true, sel);
      plan.backward(sel);
      for (const p of plan.params) {
        const k = `${p.nodeId}.${p.name}`;
        if (mine(p.nodeId)) expect(p.grad.data, k).toEqual(full.get(k));
        else expect(p.grad.data.every((v) => v === 7), `${k} is another group's`).toBe(true);
      }
      return sel;
    };
    plan.grad('g1')!.data.fill(7);
    const sel = step(isD);
    expect(plan.grad('g1')!.data.every((v) => v === 7), "d1's input gradient in the discriminator's step").toBe(true);
    step((id) => !isD(id));
    expect(plan.grad('g1')!.data).toEqual(fullG1);
    expect(() => compileGraph(checkedOrThrow(gan), { batchSize: 2, backend: createReferenceBackend(), seed: 1 }).forward(true, sel)).toThrow(/E_FOREIGN_SELECTION/);
    expect(() => plan.selectLosses(['g1'])).toThrow(/E_NOT_A_TRAINING_LOSS/);
  });

  it('groups resolve by node list and by sub-graph; without groups there is one implicit group', () => {
    const g = graph(['A', 'B'], {});
    expect([...groupNodes(g, { between: { from: ['fcA'], to: 'outA' } })].sort()).toEqual(['actA', 'fcA', 'outA']);
    expect([...groupNodes(g, { nodes: ['fcB'], between: { from: ['x'], to: 'actA' } })].sort()).toEqual(['actA', 'fcA', 'fcB', 'x']);
    expect(resolveGroups(g, g.training!)).toEqual([{ name: 'model', nodes: null, loss: ['lossA', 'lossB'], optimizer: sgd, schedule: undefined, gradClip: undefined }]);
  });

  it('the validator names what is wrong with a group', () => {
    const codes = (groups: unknown) => analyzeGraph({ ...graph(['A', 'B'], {}), training: { ...graph(['A', 'B'], {}).training!, groups } as TrainingConfig }).diagnostics.map((d) => [d.code, d.message]);
    expect(codes([])).toEqual([['E_GROUPS', expect.stringContaining('non-empty list')]]);
    expect(codes([{ name: 'a', params: { nodes: ['fcA'] }, loss: 'lossA' }, { name: 'a', params: { nodes: ['fcB'] }, loss: 'lossB' }])).toEqual([['E_GROUPS', expect.stringContaining('named "a"')]]);
    expect(codes([{ name: 'a', params: { nodes: ['fcA'] }, loss: 'lossA' }, { name: 'b', params: { between: { from: ['x'], to: 'outA' } }, loss: 'lossA' }])).toEqual([
      ['E_GROUP_OVERLAP', expect.stringContaining('"fcA" are in groups "a" and "b"')],
    ]);
    expect(codes([{ name: 'a', params: { nodes: ['actA'] }, loss: 'lossA' }])).toEqual([['E_GROUPS', expect.stringContaining('trains no parameters')]]);
    expect(codes([{ name: 'a', params: { nodes: ['nope'] }, loss: 'lossA' }])).toEqual([['E_GROUPS', expect.stringContaining('params.nodes')]]);
    expect(codes([{ name: 'a', params: { nodes: ['fcA'] }, loss: 'outA' }])).toEqual([['E_NOT_A_LOSS', expect.stringContaining('"outA"')]]);
    expect(codes([{ name: 'a', params: {}, loss: 'lossA' }])).toEqual([['E_GROUPS', expect.stringContaining('which parameters')]]);
  });

  it('a loss listed twice in one group is refused like the top-level case (it would count twice in the loss, once in the gradient)', () => {
    const g = graph(['A', 'B'], {});
    const a = analyzeGraph({ ...g, training: { ...g.training!, groups: [{ name: 'a', params: { nodes: ['fcA', 'outA'] }, loss: ['lossA', 'lossA'] }] } as TrainingConfig });
    expect(a.diagnostics).toEqual([expect.objectContaining({ code: 'E_DUPLICATE_LOSS', severity: 'error', nodeId: 'lossA', message: expect.stringContaining('"training.groups[0]" ("a") lists "lossA" twice') })]);
    expect(a.graph).toBeUndefined();
    // The same loss in two groups (each minimising it over its own parameters) stays allowed.
    const b = analyzeGraph({ ...g, training: { ...g.training!, groups: [{ name: 'a', params: { nodes: ['fcA'] }, loss: 'lossA' }, { name: 'b', params: { nodes: ['outA'] }, loss: 'lossA' }] } as TrainingConfig });
    expect(b.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});

describe('optimizer groups in the app', () => {
  it('a session reports each group\'s loss in train.progress, and the events pass the protocol schema', async () => {
    const { TrainingSession } = await import('../../../../src-engine/app/session');
    const { EngineEvents } = await import('../../../../src-engine/protocol');
    const { g, data } = twoGroups();
    const progress: unknown[] = [];
    const s = new TrainingSession('grouped', g, data, createReferenceBackend(), {
      compile: compileGraph,
      probes: false,
      progressEveryMs: 0,
      emit: (event, d) => {
        if (event === 'train.progress') progress.push(EngineEvents['train.progress'].parse(d));
        if (event === 'train.error') throw new Error(JSON.stringify(d));
      },
    });
    await s.run();
    expect(s.status).toBe('done');
    expect(progress.length).toBe(s.stepsPerEpoch);
    const last = progress.at(-1) as { groupLosses: Record<string, number>; batchLoss: number };
    expect(Object.keys(last.groupLosses)).toEqual(['a', 'b']);
    expect(last.batchLoss).toBeCloseTo(last.groupLosses.a + last.groupLosses.b, 4);
  });
});
