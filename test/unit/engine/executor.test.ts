/** The executor: planning, gradients through whole graphs, training a few steps, batch-size plans. */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { describe, expect, it } from 'vitest';
import { compileGraph, GraphError, type CompiledGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { Backend } from '../../../src-engine/core/backend/types';
import { Rng } from '../../../src-engine/base/rng';
import { graph, mnistMlp, node, smallCnn } from './graphs';
import { sgdStep } from './harness';

const backend = createReferenceBackend();

function fill(t: Float32Array, rng: Rng, scale = 1): void {
  for (let i = 0; i < t.length; i++) t[i] = rng.normal() * scale;
}


/** A tiny graph with fan-out (t feeds fc2, fc3 and add), Add and Concat, ending in an MSE loss. */
function fanOutGraph() {
  return graph(
    [
      node('x', 'Input', [], { shape: [4] }),
      node('y', 'Input', [], { shape: [2], source: 'target' }),
      node('fc1', 'Linear', ['x'], { outFeatures: 3 }),
      node('t', 'Tanh', ['fc1']),
      node('fc2', 'Linear', ['t'], { outFeatures: 3 }),
      node('fc3', 'Linear', ['t'], { outFeatures: 2 }),
      node('add', 'Add', ['t', 'fc2', 't']),
      node('cat', 'Concat', ['add', 'fc3']),
      node('ln', 'LayerNorm', ['cat']),
      node('fc4', 'Linear', ['ln'], { outFeatures: 2 }),
      node('loss', 'MSELoss', ['fc4', 'y']),
    ],
    { out: 'fc4', loss: 'loss' },
    { loss: 'loss' },
  );
}

describe('compileGraph', () => {
  it('refuses an invalid graph with a GraphError carrying the diagnostics', () => {
    const g = mnistMlp();
    g.nodes.find((n) => n.id === 'fc2')!.inputs = ['nope'];
    let err: unknown;
    try {
      compileGraph(checkedOrThrow(g), { batchSize: 4, backend, seed: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).code).toBe('E_GRAPH_INVALID');
    expect((err as GraphError).diagnostics.map((d) => d.code)).toContain('E_DANGLING_INPUT');
  });

  it('plans storage: inputs sized to the batch, params in PyTorch layout, no gradients for inputs and targets', () => {
    const g = compileGraph(checkedOrThrow(mnistMlp(16)), { batchSize: 5, backend, seed: 3 });
    expect(g.input('image').shape).toEqual([5, 1, 28, 28]);
    expect(g.input('label').shape).toEqual([5]);
    expect(g.params.map((p) => `${p.nodeId}.${p.name}:${p.value.shape.join('x')}:${p.decay}`)).toEqual([
      'fc1.weight:16x784:true',
      'fc1.bias:16:false',
      'fc2.weight:10x16:true',
      'fc2.bias:10:false',
    ]);
    expect(g.grad('image')).toBeNull();
    expect(g.grad('label')).toBeNull();
    expect(g.grad('flat')).toBeNull(); // upstream of every parameter: nothing to learn there
    expect(g.grad('fc1')).not.toBeNull();
    expect(g.lossNodes).toEqual(['loss']);
    expect(() => g.input('fc1')).toThrow(/E_NO_SUCH_INPUT/);
    expect(() => g.output('zzz')).toThrow(/E_NO_SUCH_NODE/);
    // PyTorch's default init: U(±1/√fanIn).
    const w = g.params[0].value.data;
    const bound = 1 / Math.sqrt(784);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...w)).toBeGreaterThan(0.9 * bound);
  });

  it('the same graph and seed give identical weights; another seed differs; other nodes keep theirs', () => {
    const a = compileGraph(checkedOrThrow(mnistMlp(8)), { batchSize: 2, backend, seed: 7 });
    const b = compileGraph(checkedOrThrow(mnistMlp(8)), { batchSize: 9, backend, seed: 7 });
    const c = compileGraph(checkedOrThrow(mnistMlp(8)), { batchSize: 2, backend, seed: 8 });
    expect(Array.from(a.params[0].value.data)).toEqual(Array.from(b.params[0].value.data));
    expect(Array.from(a.params[2].value.data)).toEqual(Array.from(b.params[2].value.data));
    expect(Array.from(a.params[0].value.data)).not.toEqual(Array.from(c.params[0].value.data));
    // Insert another layer ahead of fc1 in the file and the order: fc1 and fc2 keep their weights.
    const more = mnistMlp(8);
    more.nodes.splice(3, 0, node('aux2', 'Linear', ['flat'], { outFeatures: 5 }));
    more.outputs.aux2 = 'aux2';
    const b2 = compileGraph(checkedOrThrow(more), { batchSize: 2, backend, seed: 7 });
    expect(b2.params.map((p) => p.nodeId)).toContain('aux2');
    const w = (c: CompiledGraph, id: string) => Array.from(c.params.find((p) => p.nodeId === id && p.name === 'weight')!.value.data);
    expect(w(b2, 'fc1')).toEqual(w(a, 'fc1'));
    expect(w(b2, 'fc2')).toEqual(w(a, 'fc2'));
  });

  it('whole-graph gradcheck: fan-out, Add (with a repeated input), Concat, LayerNorm', () => {
    const g = compileGraph(checkedOrThrow(fanOutGraph()), { batchSize: 3, backend, seed: 11 });
    const rng = new Rng(5);
    fill(g.input('x').data, rng);
    fill(g.input('y').data, rng);
    g.forward(true);
    g.backward();
    let maxErr = 0;
    let checked = 0;
    for (const p of g.params) {
      const analytic = Float32Array.from(p.grad.data);
      for (let i = 0; i < p.value.data.length; i++) {
        const x0 = p.value.data[i];
        const h = 1e-2 * Math.max(1, Math.abs(x0));
        p.value.data[i] = x0 + h;
        const lp = g.forward(true);
        p.value.data[i] = x0 - h;
        const lm = g.forward(true);
        p.value.data[i] = x0;
        const numeric = (lp - lm) / (2 * h);
        maxErr = Math.max(maxErr, Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(analytic[i])));
        checked++;
      }
    }
    expect(checked).toBe(4 * 3 + 3 + 3 * 3 + 3 + 3 * 2 + 2 + 5 + 5 + 5 * 2 + 2);
    // Tolerance as in harness.gradcheck (float32 forward, h = 1e-2, through a normalisation).
    expect(maxErr).toBeLessThan(1e-2);
    // Fan-out sums: the activation gradient of t is non-zero and the input gets none.
    expect(g.grad('t')!.data.some((v) => v !== 0)).toBe(true);
    expect(g.grad('x')).toBeNull();
  });

  it('backward zeroes gradients each step instead of accumulating across steps', () => {
    const g = compileGraph(checkedOrThrow(fanOutGraph()), { batchSize: 2, backend, seed: 1 });
    const rng = new Rng(2);
    fill(g.input('x').data, rng);
    fill(g.input('y').data, rng);
    g.forward(true);
    g.backward();
    const first = Array.from(g.params[0].grad.data);
    g.forward(true);
    g.backward();
    expect(Array.from(g.params[0].grad.data)).toEqual(first);
  });

  it('an MLP learns: plain SGD lowers the loss on a fixed batch', () => {
    const g = compileGraph(
      checkedOrThrow(graph(
        [
          node('x', 'Input', [], { shape: [6] }),
          node('label', 'Input', [], { shape: [], source: 'target' }),
          node('fc1', 'Linear', ['x'], { outFeatures: 16 }),
          node('r', 'ReLU', ['fc1']),
          node('d', 'Dropout', ['r'], { p: 0.1 }),
          node('fc2', 'Linear', ['d'], { outFeatures: 3 }),
          node('loss', 'CrossEntropyLoss', ['fc2', 'label']),
        ],
        { logits: 'fc2' },
        { loss: 'loss' },
      )),
      { batchSize: 24, backend, seed: 4 },
    );
    const rng = new Rng(9);
    fill(g.input('x').data, rng);
    // A learnable rule: the label is the index of the largest of the first three features.
    const x = g.input('x').data;
    const labels = g.input('label').data;
    for (let i = 0; i < labels.length; i++) {
      const f = x.subarray(i * 6, i * 6 + 3);
      labels[i] = f.indexOf(Math.max(...f));
    }
    const first = g.forward(true);
    let loss = first;
    for (let step = 0; step < 60; step++) {
      loss = g.forward(true);
      g.backward();
      sgdStep(g.params, 0.2);
    }
    expect(first).toBeGreaterThan(0.9); // ≈ ln 3 at init
    expect(g.forward(false)).toBeLessThan(0.5 * first);
    expect(Number.isFinite(loss)).toBe(true);
  });

  it('a CNN with BatchNorm learns, and its running statistics move in train mode only', () => {
    const g = compileGraph(checkedOrThrow(smallCnn(8, 2)), { batchSize: 8, backend, seed: 5 });
    const rng = new Rng(3);
    // Class 0: bright top half; class 1: bright bottom half (plus noise).
    const x = g.input('image').data;
    const y = g.input('label').data;
    for (let n = 0; n < 8; n++) {
      y[n] = n % 2;
      for (let i = 0; i < 64; i++) x[n * 64 + i] = (Math.floor(i / 32) === n % 2 ? 1 : 0) + 0.3 * rng.normal();
    }
    const rm = g.buffers.find((b) => b.name === 'runningMean')!.value.data;
    const before = Array.from(rm);
    g.forward(false);
    expect(Array.from(rm)).toEqual(before);
    const first = g.forward(true);
    expect(Array.from(rm)).not.toEqual(before);
    for (let step = 0; step < 80; step++) {
      g.forward(true);
      g.backward();
      sgdStep(g.params, 0.2);
    }
    expect(g.forward(true)).toBeLessThan(0.6 * first);
  });

  it('withBatchSize shares params, grads and buffers, is cached, and gives the same per-sample result', () => {
    const g = compileGraph(checkedOrThrow(smallCnn(6, 3)), { batchSize: 4, backend, seed: 2 });
    const small = g.withBatchSize(1);
    expect(small.batchSize).toBe(1);
    expect(g.withBatchSize(1)).toBe(small);
    expect(small.withBatchSize(4)).toBe(g);
    expect(small.params).toBe(g.params);
    expect(small.buffers[0].value).toBe(g.buffers[0].value);
    expect(small.input('image').shape).toEqual([1, 1, 6, 6]);
    const rng = new Rng(1);
    fill(g.input('image').data, rng);
    small.input('image').data.set(g.input('image').data.subarray(0, 36));
    g.forward(false);
    small.forward(false);
    const a = g.output('fc').data.subarray(0, 3);
    const b = small.output('fc').data;
    for (let i = 0; i < 3; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    // A backward in the small plan writes the shared gradients the optimizer holds.
    small.input('label').data[0] = 1;
    small.forward(true);
    small.backward();
    expect(g.params[0].grad.data.some((v) => v !== 0)).toBe(true);
  });

  it('returns NaN without a loss, and uses backend overrides when present', () => {
    const noLoss = graph([node('x', 'Input', [], { shape: [3] }), node('fc', 'Linear', ['x'], { outFeatures: 2 })], { out: 'fc' });
    let calls = 0;
    const counting: Backend = {
      ...backend,
      overrides: {
        Linear: {
          forward(ctx) {
            calls++;
            ctx.output.data.fill(42);
          },
        },
      },
    };
    const g = compileGraph(checkedOrThrow(noLoss), { batchSize: 2, backend: counting, seed: 1 });
    expect(Number.isNaN(g.forward(false))).toBe(true);
    expect(calls).toBe(1);
    expect(Array.from(g.output('fc').data)).toEqual([42, 42, 42, 42]);
  });

  it('onDemand (the GPU host mirror): only the parameters and buffers at first, each tensor when asked, the rest at the first run; same results', () => {
    const floats = { n: 0 };
    const counting: Backend = { ...backend, alloc: (length) => ((floats.n += length), backend.alloc(length)) };
    const checked = checkedOrThrow(smallCnn(6, 3));
    const eager = compileGraph(checked, { batchSize: 4, backend, seed: 2 });
    const lazy = compileGraph(checked, { batchSize: 4, backend: counting, seed: 2, onDemand: true });
    const weights = lazy.params.reduce((n, p) => n + p.value.data.length + p.grad.data.length, 0) + lazy.buffers.reduce((n, b) => n + b.value.data.length, 0);
    expect(floats.n).toBe(weights);
    // What a GPU plan asks of its mirror: which nodes get a gradient, its inputs and its loss.
    expect(eager.order.map((id) => lazy.needsGradient(id))).toEqual(eager.order.map((id) => eager.grad(id) !== null));
    expect(floats.n).toBe(weights);
    const image = lazy.input('image');
    const loss = lazy.output('loss');
    expect(floats.n).toBe(weights + image.data.length + loss.data.length);
    // A run on the CPU builds the rest (the tensors handed out stay the plan's) and computes as an eager plan does.
    fill(image.data, new Rng(1));
    eager.input('image').data.set(image.data);
    lazy.input('label').data.set([0, 1, 2, 1]);
    eager.input('label').data.set([0, 1, 2, 1]);
    expect(lazy.forward(true)).toBe(eager.forward(true));
    expect(lazy.output('loss')).toBe(loss);
    lazy.backward();
    eager.backward();
    for (const id of eager.order) expect(Array.from(lazy.grad(id)?.data ?? []), id).toEqual(Array.from(eager.grad(id)?.data ?? []));
  });
});
