/**
 * Fine-tuning (issue #29 item 3): frozen nodes (`NodeIR.frozen`, IR v3). A frozen layer's
 * parameters and BatchNorm statistics stay bit for bit what they were after training on the
 * reference and CPU backends (AdamW with weight decay: no decay either), the others move; the
 * PyTorch project freezes the same parameters and keeps the same BatchNorm in eval mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeNodes, frozenNodeIds, upstreamNodeIds } from '../../../../src-engine/base/ir/freeze';
import { resolveGroups } from '../../../../src-engine/base/ir/training';
import type { GraphIR, NodeIR } from '../../../../src-engine/base/ir/types';
import { analyzeGraph } from '../../../../src-engine/core/analysis/validate';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import type { Backend } from '../../../../src-engine/core/backend/types';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../../src-engine/core/data';
import { modelFromCheckpoint } from '../../../../src-engine/core/export/model';
import { modelFromJSON, modelToJSONText } from '../../../../src-engine/core/export/json';
import { TrainingLoop } from '../../../../src-engine/core/train';
import { createCpuBackend, type CpuBackend } from '../../../../src-engine/node/cpu';
import { getOp } from '../../../../src-engine/core/ops/registry';
import { referenceKernel } from '../../../../src-engine/core/ops/kernels/registry';
import { HAS_TORCH, exportTo, torchProcess } from '../export/torch-harness';

const nodes: NodeIR[] = [
  { id: 'x', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] },
  { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
  { id: 'fc1', op: 'Linear', attrs: { outFeatures: 16 }, inputs: ['x'] },
  { id: 'bn', op: 'BatchNorm', attrs: {}, inputs: ['fc1'] },
  { id: 'act', op: 'ReLU', attrs: {}, inputs: ['bn'] },
  { id: 'fc2', op: 'Linear', attrs: { outFeatures: 16 }, inputs: ['act'] },
  { id: 'act2', op: 'ReLU', attrs: {}, inputs: ['fc2'] },
  { id: 'out', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['act2'] },
  { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['out', 'y'] },
];

function graph(frozen: string[]): GraphIR {
  return {
    format: 'netwright.graph',
    version: 3,
    nodes: freezeNodes(nodes, frozen, true),
    outputs: { logits: 'out', loss: 'loss' },
    training: {
      dataset: { name: 'blobs', options: { samples: 240, classes: 3, noise: 1.2 }, validationSplit: 0.2 },
      loss: 'loss',
      optimizer: { kind: 'adamw', lr: 0.01, weightDecay: 0.1 },
      batchSize: 32,
      epochs: 2,
      seed: 3,
      metrics: ['accuracy'],
    },
  };
}

/** Trains `g`; every parameter and buffer before and after, by `node.name`. */
async function train(g: GraphIR, backend: Backend) {
  const c = g.training!;
  const data = prepareData(loadBuiltinDataset(c.dataset, c.seed)!, c.dataset, c.seed);
  const loop = new TrainingLoop(checkedOrThrow(g).ir, data, backend, { compile: compileGraph });
  const snap = () => new Map([...loop.plan.params, ...loop.plan.buffers].map((t) => [`${t.nodeId}.${t.name}`, t.value.data.slice()]));
  const before = snap();
  const result = await loop.run();
  return { loop, before, after: snap(), result, data };
}

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

describe('frozen nodes', () => {
  it('freezeNodes is one operation on a set of ids; the IR keeps `frozen`, validation refuses a non-boolean', () => {
    const g = graph(['fc1', 'bn']);
    expect([...frozenNodeIds(g)]).toEqual(['fc1', 'bn']);
    const thawed = freezeNodes(g.nodes, ['bn', 'nope'], false);
    expect(thawed.find((n) => n.id === 'bn')).not.toHaveProperty('frozen');
    expect(thawed[0]).toBe(g.nodes[0]);
    // What a replaced head fine-tunes on: everything upstream of it.
    expect([...upstreamNodeIds(g, ['out'])].sort()).toEqual(['act', 'act2', 'bn', 'fc1', 'fc2', 'x']);
    const a = analyzeGraph(JSON.parse(JSON.stringify(g)));
    expect(a.diagnostics).toEqual([]);
    expect(a.graph!.nodes.filter((n) => n.frozen).map((n) => n.id)).toEqual(['fc1', 'bn']);
    const bad = analyzeGraph({ ...g, nodes: g.nodes.map((n) => (n.id === 'fc1' ? { ...n, frozen: 'yes' } : n)) });
    expect(bad.diagnostics.map((d) => [d.code, d.nodeId])).toContainEqual(['E_NODE_INVALID', 'fc1']);
    // The optimizer gets the other layers' parameters only.
    expect([...resolveGroups(g, g.training!)[0].nodes!].filter((id) => ['fc1', 'bn', 'fc2', 'out'].includes(id))).toEqual(['fc2', 'out']);
  });

  for (const which of ['reference', 'cpu'] as const) {
    it(`${which} backend: frozen Linear and BatchNorm (weights and running statistics) bit-identical after 2 epochs of AdamW with decay; the others move`, async () => {
      const backend = which === 'cpu' ? cpu : createReferenceBackend();
      const { before, after, result, loop } = await train(graph(['fc1', 'bn']), backend);
      for (const key of ['fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias', 'bn.runningMean', 'bn.runningVar']) expect(after.get(key), key).toEqual(before.get(key));
      for (const key of ['fc2.weight', 'fc2.bias', 'out.weight', 'out.bias']) expect(after.get(key), key).not.toEqual(before.get(key));
      expect(loop.groups[0].params.map((p) => `${p.nodeId}.${p.name}`)).toEqual(['fc2.weight', 'fc2.bias', 'out.weight', 'out.bias']);
      expect(result.test!.loss).toBeLessThan(1.1);
      // Nothing frozen: the same run moves them (the check above is not vacuous).
      const free = await train(graph([]), backend);
      for (const key of ['fc1.weight', 'bn.weight', 'bn.runningMean']) expect(free.after.get(key), key).not.toEqual(free.before.get(key));
    });
  }

  it('a frozen BatchNorm normalises with its running statistics in training forwards, and no backward runs into a frozen backbone', () => {
    const plan = compileGraph(checkedOrThrow(graph(['fc1', 'bn'])), { batchSize: 8, backend: createReferenceBackend(), seed: 1 });
    plan.input('x').data.set(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)));
    plan.input('y').data.set([0, 1, 2, 0, 1, 2, 0, 1]);
    plan.forward(false);
    const evalOut = plan.output('bn').data.slice();
    plan.forward(true);
    expect(plan.output('bn').data).toEqual(evalOut);
    plan.backward();
    expect(plan.grad('bn')).toBeNull();
    expect(plan.grad('fc1')).toBeNull();
    expect(plan.params.filter((p) => p.frozen).map((p) => `${p.nodeId}.${p.name}`)).toEqual(['fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias']);
  });

  it('a frozen prefix runs no backward and holds no gradient: none for its activations, none for its parameters (#59)', () => {
    // A backend that counts what it allocates and which ops' backwards run.
    const ref = createReferenceBackend();
    let allocated = 0;
    const backwards: string[] = [];
    const counted = Object.fromEntries(
      ['Linear', 'BatchNorm', 'ReLU', 'CrossEntropyLoss'].map((op) => {
        const k = referenceKernel(getOp(op)!);
        return [op, { ...k, backward: (ctx: Parameters<NonNullable<typeof k.backward>>[0]) => (backwards.push(op), k.backward!(ctx)) }];
      }),
    );
    const backend: Backend = { ...ref, alloc: (n) => ((allocated += n), ref.alloc(n)), overrides: counted };
    const g = graph(['fc1', 'bn']);
    const plan = compileGraph(checkedOrThrow(g), { batchSize: 8, backend, seed: 1 });
    plan.input('x').data.set(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)));
    plan.input('y').data.set([0, 1, 2, 0, 1, 2, 0, 1]);
    plan.forward(true);
    const beforeBackward = allocated;
    const step = { params: plan.params.filter((p) => !p.frozen) };
    plan.backward();
    plan.backward();
    // The trained layers' gradients only: fc1's and bn's are never allocated nor zeroed.
    expect(allocated - beforeBackward).toBe(step.params.reduce((a, p) => a + p.value.data.length, 0));
    // loss, out, act2, fc2 twice; nothing in fc1 → bn → act.
    expect(backwards).toEqual(['CrossEntropyLoss', 'Linear', 'ReLU', 'Linear', 'CrossEntropyLoss', 'Linear', 'ReLU', 'Linear']);
    for (const id of ['fc1', 'bn', 'act']) expect([id, plan.needsGradient(id), plan.grad(id)]).toEqual([id, false, null]);
    // Nothing read them: a frozen parameter's gradient is allocated (as zeros) only when asked for.
    expect(allocated - beforeBackward).toBe(step.params.reduce((a, p) => a + p.value.data.length, 0));
  });

  it("a frozen BatchNorm's running statistics are unchanged by a training step and its output is the eval-mode one; frozenBatchNorm: 'train' keeps it in training mode (#59)", async () => {
    const x = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i) * 3 + 1);
    const stepOnce = (g: GraphIR) => {
      const plan = compileGraph(checkedOrThrow(g), { batchSize: 8, backend: createReferenceBackend(), seed: 1 });
      plan.input('x').data.set(x);
      plan.input('y').data.set([0, 1, 2, 0, 1, 2, 0, 1]);
      plan.forward(false);
      const evalOut = plan.output('bn').data.slice();
      const stats = plan.buffers.filter((b) => b.nodeId === 'bn').map((b) => b.value.data.slice());
      plan.forward(true);
      plan.backward();
      return { evalOut, trainOut: plan.output('bn').data.slice(), stats, after: plan.buffers.filter((b) => b.nodeId === 'bn').map((b) => b.value.data.slice()) };
    };
    const frozen = stepOnce(graph(['fc1', 'bn']));
    expect(frozen.trainOut).toEqual(frozen.evalOut);
    expect(frozen.after).toEqual(frozen.stats);
    const g = graph(['fc1', 'bn']);
    const kept = stepOnce({ ...g, training: { ...g.training!, frozenBatchNorm: 'train' } });
    expect(kept.trainOut).not.toEqual(kept.evalOut);
    expect(kept.after).not.toEqual(kept.stats);
    // Its weight and bias stay frozen in training mode too (a whole run, on the CPU backend).
    const { before, after } = await train({ ...g, training: { ...g.training!, frozenBatchNorm: 'train', epochs: 1 } }, cpu);
    for (const key of ['fc1.weight', 'bn.weight', 'bn.bias']) expect(after.get(key), key).toEqual(before.get(key));
    expect(after.get('bn.runningMean')).not.toEqual(before.get('bn.runningMean'));
  });

  it.skipIf(!HAS_TORCH)('the JSON model keeps the flag; the PyTorch project freezes the same parameters, keeps the frozen BatchNorm in eval mode, and train.py optimizes the others', async () => {
    const g = graph(['fc1', 'bn']);
    const { loop, data } = await train({ ...g, training: { ...g.training!, epochs: 1 } }, createReferenceBackend());
    const model = modelFromCheckpoint(g, loop.capture(), { classNames: data.train.classNames });
    // The JSON model file keeps the flag.
    expect(modelFromJSON(modelToJSONText(model)).graph.nodes.filter((n) => n.frozen).map((n) => n.id)).toEqual(['fc1', 'bn']);
    const dir = exportTo(model);
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(dir)})
import train
model = train.Net()
model.train()
opt = train.make_optimizer(model)
ids = {id(p): n for n, p in model.named_parameters()}
print(json.dumps({
  'frozen': [n for n, p in model.named_parameters() if not p.requires_grad],
  'optimized': [ids[id(p)] for group in opt.param_groups for p in group['params']],
  'bn_training': model.bn.training, 'fc2_training': model.fc2.training,
}))`;
    const r = await torchProcess(['-c', script], dir);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(out.frozen).toEqual(['fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias']);
    expect([...(out.optimized as string[])].sort()).toEqual(['fc2.bias', 'fc2.weight', 'out.bias', 'out.weight']);
    expect(out.bn_training).toBe(false);
    expect(out.fc2_training).toBe(true);
    // frozenBatchNorm: 'train' — the frozen BatchNorm trains with batch statistics there too.
    const kept = exportTo(modelFromCheckpoint({ ...g, training: { ...g.training!, frozenBatchNorm: 'train' } }, loop.capture(), { classNames: data.train.classNames }));
    const r2 = await torchProcess(['-c', `import sys; sys.path.insert(0, ${JSON.stringify(kept)}); import train; m = train.Net(); m.train(); print(m.bn.training, m.bn.weight.requires_grad)`], kept);
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stdout.trim().split('\n').pop()).toBe('True False');
  }, 60_000);
});
