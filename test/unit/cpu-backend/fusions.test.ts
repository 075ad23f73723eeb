/**
 * Fused chains (Backend.fusions; node/cpu/fusions/batch-norm-relu.ts) against the same backend
 * running the ops one by one: losses, every parameter after Adam steps, every activation and its
 * gradient (the interior ones written on demand), the running statistics, eval forwards.
 *
 * NOTE (bounds): the fused forward computes exactly what the three kernels compute (the same
 * float32 operations per element), so outputs, x̂ and the running statistics are compared for
 * equality. The fused backward sums BatchNorm's Σ dy and Σ dy·x̂ over the pooled cells only (the
 * rest are zeros), in float64 as the op does but in another order: its mean terms may differ in
 * the last bit of float32, so gradients are compared at 1e-6 scaled and the weights after Adam
 * (which divides by √v) at 1e-5.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { compileGraph, type CompiledGraph } from '../../../src-engine/core/autodiff/executor';
import { createOptimizer } from '../../../src-engine/core/optim';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { conv2dAlgorithm } from '../../../src-engine/node/cpu/overrides/conv2d';
import { getOp } from '../../../src-engine/core/ops/registry';
import type { Attrs } from '../../../src-engine/core/ops/types';
import { withDefaults } from '../engine/harness';
import { Rng } from '../../../src-engine/base/rng';
import { graph, node } from '../engine/graphs';
import { scaledDiff } from './scaled-diff';
import { expectSameValues } from '../same-values';

let fused: CpuBackend;
let plain: CpuBackend;
/** Chains the fused backend's rules accepted, by their ops. */
const built: string[] = [];
beforeAll(async () => {
  fused = await createCpuBackend({ threads: 2 });
  plain = await createCpuBackend({ threads: 2, fusions: false });
  (fused as { fusions?: unknown }).fusions = fused.fusions!.map((rule) => ({
    ops: rule.ops,
    build: (steps: Parameters<typeof rule.build>[0]) => {
      const k = rule.build(steps);
      if (k) built.push(rule.ops.join('+'));
      return k;
    },
  }));
});
afterAll(() => {
  fused?.dispose();
  plain?.dispose();
});

/**
 * Three chains: BatchNorm → ReLU → pool at 12×12 (W a multiple of 4) and 6×6 → 3×3 (scalar
 * columns, too narrow for the pool's vector path: not fused as a triple), BatchNorm → ReLU whose
 * ReLU feeds two nodes; and a BatchNorm read by two nodes, which must not be fused.
 */
function net(): GraphIR {
  return graph(
    [
      node('x', 'Input', [], { shape: [2, 12, 12] }),
      node('y', 'Input', [], { shape: [], source: 'target' }),
      node('c1', 'Conv2d', ['x'], { outChannels: 4, kernelSize: [3, 3], padding: [1, 1] }),
      node('b1', 'BatchNorm', ['c1']),
      node('r1', 'ReLU', ['b1']),
      node('p1', 'MaxPool2d', ['r1'], { kernelSize: [2, 2] }),
      node('c2', 'Conv2d', ['p1'], { outChannels: 6, kernelSize: [3, 3], padding: [1, 1] }),
      node('b2', 'BatchNorm', ['c2']),
      node('r2', 'ReLU', ['b2']),
      node('c3', 'Conv2d', ['r2'], { outChannels: 6, kernelSize: [3, 3], padding: [1, 1] }),
      node('sum', 'Add', ['r2', 'c3']),
      node('b3', 'BatchNorm', ['sum']),
      node('r3', 'ReLU', ['b3']),
      node('skip', 'Add', ['b3', 'r3']),
      node('p2', 'MaxPool2d', ['skip'], { kernelSize: [2, 2] }),
      node('flat', 'Flatten', ['p2']),
      node('fc', 'Linear', ['flat'], { outFeatures: 5 }),
      node('loss', 'CrossEntropyLoss', ['fc', 'y']),
    ],
    { out: 'fc', loss: 'loss' },
    { loss: 'loss' },
  );
}

/** A wider image, where the pool's rows take both the vector and the scalar columns (W = 14). */
function wide(): GraphIR {
  return graph(
    [
      node('x', 'Input', [], { shape: [1, 14, 14] }),
      node('y', 'Input', [], { shape: [], source: 'target' }),
      node('c1', 'Conv2d', ['x'], { outChannels: 3, kernelSize: [3, 3], padding: [1, 1] }),
      node('b1', 'BatchNorm', ['c1']),
      node('r1', 'ReLU', ['b1']),
      node('p1', 'MaxPool2d', ['r1'], { kernelSize: [2, 2] }),
      node('flat', 'Flatten', ['p1']),
      node('fc', 'Linear', ['flat'], { outFeatures: 4 }),
      node('loss', 'CrossEntropyLoss', ['fc', 'y']),
    ],
    { out: 'fc', loss: 'loss' },
    { loss: 'loss' },
  );
}

/**
 * MobileNetV3's BatchNorm → HardSwish at 7×7 (a scalar tail per plane) and 8×8, the second
 * BatchNorm frozen: eval mode in training steps (the fused forward, then the ops' backward), the
 * first in training mode (the ops' kernels both ways).
 */
function hardSwish(): GraphIR {
  const g = graph(
    [
      node('x', 'Input', [], { shape: [3, 7, 7] }),
      node('y', 'Input', [], { shape: [], source: 'target' }),
      node('c1', 'Conv2d', ['x'], { outChannels: 10, kernelSize: [3, 3], padding: [1, 1] }),
      node('b1', 'BatchNorm', ['c1']),
      node('h1', 'HardSwish', ['b1']),
      node('c2', 'Conv2d', ['h1'], { outChannels: 6, kernelSize: [2, 2] }),
      node('c3', 'ConvTranspose2d', ['c2'], { outChannels: 5, kernelSize: [3, 3] }),
      node('b2', 'BatchNorm', ['c3']),
      node('h2', 'HardSwish', ['b2']),
      node('flat', 'Flatten', ['h2']),
      node('fc', 'Linear', ['flat'], { outFeatures: 4 }),
      node('loss', 'CrossEntropyLoss', ['fc', 'y']),
    ],
    { out: 'fc', loss: 'loss' },
    { loss: 'loss' },
  );
  g.nodes.find((n) => n.id === 'b2')!.frozen = true;
  return g;
}

/**
 * A frozen backbone whose BatchNorms take the Conv2d's epilogue (fusions/conv-batch-norm.ts): a
 * biased 3×3 stride-2 layer (im2col, per-sample GEMMs) → HardSwish, a biased depthwise 3×3 → ReLU
 * (planes of 7: vector and scalar columns), then 1×1 layers on 7×7 planes
 * (the batch GEMM, 'pointwise'): → HardSwish at 300 channels (five blocks of 64 rows), → nothing at
 * depth 300 (two depth blocks: the epilogue after the last), → ReLU; at batch 12 the 588 columns
 * cross the 512-column block mid-plane. A biased 1×1 layer → BatchNorm → ReLU keeps the BatchNorm →
 * ReLU chain (the batch GEMM adds the bias after its epilogue would). The head trains. `width` 16
 * makes the first layer's rows 8 outputs wide: conv.wat's conv2dShallow ('shallow') instead of im2col.
 */
function frozenBackbone(width = 14): GraphIR {
  return withTrainedHead([
    node('x', 'Input', [], { shape: [3, 14, width] }),
    node('y', 'Input', [], { shape: [], source: 'target' }),
    node('c0', 'Conv2d', ['x'], { outChannels: 8, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }),
    node('b0', 'BatchNorm', ['c0']),
    node('h0', 'HardSwish', ['b0']),
    node('d0', 'Conv2d', ['h0'], { outChannels: 8, kernelSize: [3, 3], padding: [1, 1], groups: 8 }),
    node('bd', 'BatchNorm', ['d0']),
    node('rd', 'ReLU', ['bd']),
    node('c1', 'Conv2d', ['rd'], { outChannels: 300, kernelSize: [1, 1], bias: false }),
    node('b1', 'BatchNorm', ['c1']),
    node('h1', 'HardSwish', ['b1']),
    node('c2', 'Conv2d', ['h1'], { outChannels: 20, kernelSize: [1, 1], bias: false }),
    node('b2', 'BatchNorm', ['c2']),
    node('c3', 'Conv2d', ['b2'], { outChannels: 12, kernelSize: [1, 1], bias: false }),
    node('b3', 'BatchNorm', ['c3']),
    node('r3', 'ReLU', ['b3']),
    node('c4', 'Conv2d', ['r3'], { outChannels: 6, kernelSize: [1, 1] }),
    node('b4', 'BatchNorm', ['c4']),
    node('r4', 'ReLU', ['b4']),
  ]);
}

/**
 * A frozen backbone of Winograd layers, whose BatchNorms the convolution applies to each output
 * channel's planes of a sample group once its output transform has written them: 8→8 and 8→64 on
 * 9×9 (F(2×2): partial tiles at the odd edge) → ReLU, → nothing; 64→64 on 9×9 to 7×7 and 7×7 to
 * 7×7 (F(4×4): partial 4×4 tiles) → HardSwish, → nothing; 64→64 stride 2 on 7×7 to 4×4 (the
 * stride-2 form) → ReLU. At batch 5 a sample group leaves spare lanes. The head trains.
 */
function winogradBackbone(): GraphIR {
  return withTrainedHead([
    node('x', 'Input', [], { shape: [8, 9, 9] }),
    node('y', 'Input', [], { shape: [], source: 'target' }),
    node('c0', 'Conv2d', ['x'], { outChannels: 8, kernelSize: [3, 3], padding: [1, 1] }),
    node('b0', 'BatchNorm', ['c0']),
    node('r0', 'ReLU', ['b0']),
    node('c1', 'Conv2d', ['r0'], { outChannels: 64, kernelSize: [3, 3], padding: [1, 1], bias: false }),
    node('b1', 'BatchNorm', ['c1']),
    node('c2', 'Conv2d', ['b1'], { outChannels: 64, kernelSize: [3, 3] }),
    node('b2', 'BatchNorm', ['c2']),
    node('h2', 'HardSwish', ['b2']),
    node('c3', 'Conv2d', ['h2'], { outChannels: 64, kernelSize: [3, 3], padding: [1, 1], bias: false }),
    node('b3', 'BatchNorm', ['c3']),
    node('c4', 'Conv2d', ['b3'], { outChannels: 64, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }),
    node('b4', 'BatchNorm', ['c4']),
    node('r4', 'ReLU', ['b4']),
  ]);
}

/** `backbone` (frozen, its last node feeding the head), flattened into a 4-class Linear head that trains. */
function withTrainedHead(backbone: GraphIR['nodes']): GraphIR {
  const last = backbone[backbone.length - 1].id;
  const g = graph(
    [...backbone, node('flat', 'Flatten', [last]), node('fc', 'Linear', ['flat'], { outFeatures: 4 }), node('loss', 'CrossEntropyLoss', ['fc', 'y'])],
    { out: 'fc', loss: 'loss' },
    { loss: 'loss' },
  );
  for (const n of g.nodes) if (n.id !== 'fc') n.frozen = true;
  return g;
}

/** frozenBackbone's BatchNorms: γ 2.5 and β 0.5 (past HardSwish's knees), running statistics drawn (variance in [0.2, 1.2)). */
function frozenStatistics(g: CompiledGraph): void {
  spread(g);
  const rng = new Rng(7);
  for (const b of g.buffers) for (let i = 0; i < b.value.data.length; i++) b.value.data[i] = b.name === 'runningVar' ? 0.2 + rng.uniform() : rng.uniform() - 0.5;
}

/** γ 2.5 and β 0.5 on every BatchNorm: their outputs reach past HardSwish's knees at ±3. */
function spread(g: CompiledGraph): void {
  for (const p of g.params) if (p.nodeId.startsWith('b')) p.value.data.fill(p.name === 'weight' ? 2.5 : 0.5);
}

function fill(g: CompiledGraph, classes: number, seed: number): void {
  const rng = new Rng(seed);
  const x = g.input('x').data;
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform() * 2 - 1;
  const y = g.input('y').data;
  for (let i = 0; i < y.length; i++) y[i] = rng.int(classes);
}

describe('CPU backend: fused BatchNorm → ReLU (→ MaxPool2d) equal the ops one by one', () => {
  const cases: [string, () => GraphIR, number, number, string[], ((g: CompiledGraph) => void)?][] = [
    ['three chains, one BatchNorm not fusable', net, 6, 5, ['BatchNorm+ReLU+MaxPool2d', 'BatchNorm+ReLU']],
    ['a 14-wide plane (vector and scalar columns)', wide, 5, 4, ['BatchNorm+ReLU+MaxPool2d']],
    ['BatchNorm → HardSwish, training and frozen (eval mode)', hardSwish, 6, 4, ['BatchNorm+HardSwish', 'BatchNorm+HardSwish'], spread],
  ];
  for (const [label, make, batch, classes, chains, prepare] of cases) {
    it(label, () => {
      built.length = 0;
      const a = compileGraph(checkedOrThrow(make()), { batchSize: batch, backend: fused, seed: 3 });
      const b = compileGraph(checkedOrThrow(make()), { batchSize: batch, backend: plain, seed: 3 });
      expect(built).toEqual(chains);
      prepare?.(a);
      prepare?.(b);
      const optA = createOptimizer({ kind: 'adam', lr: 0.01 }, a.params, fused);
      const optB = createOptimizer({ kind: 'adam', lr: 0.01 }, b.params, plain);
      for (let step = 0; step < 3; step++) {
        for (const g of [a, b]) fill(g, classes, 50 + step);
        expect(a.forward(true)).toBe(b.forward(true));
        // The interior gradients are not written by the fused backward: stale NaNs must not show.
        for (const id of a.order) a.grad(id)?.data.fill(NaN);
        a.backward();
        b.backward();
        for (const id of b.order) {
          expectSameValues(a.output(id).data, b.output(id).data, `step ${step}: ${id}`);
          const want = b.grad(id);
          if (want) expect(scaledDiff(a.grad(id)!.data, want.data), `step ${step}: dLoss/d${id}`).toBeLessThanOrEqual(1e-6);
        }
        b.params.forEach((p, i) => expect(scaledDiff(a.params[i].grad.data, p.grad.data), `step ${step}: d${p.nodeId}.${p.name}`).toBeLessThanOrEqual(1e-6));
        optA.step();
        optB.step();
        b.params.forEach((p, i) => expect(scaledDiff(a.params[i].value.data, p.value.data), `step ${step}: ${p.nodeId}.${p.name}`).toBeLessThanOrEqual(1e-5));
      }
      b.buffers.forEach((buf, i) => expect(scaledDiff(a.buffers[i].value.data, buf.value.data), `${buf.nodeId}.${buf.name}`).toBeLessThanOrEqual(1e-5));
      // Eval mode (running statistics), at another batch size: the same outputs.
      const ea = a.withBatchSize(3);
      const eb = b.withBatchSize(3);
      for (const g of [ea, eb]) fill(g, classes, 9);
      expect(ea.forward(false)).toBe(eb.forward(false));
      for (const id of eb.order) expectSameValues(ea.output(id).data, eb.output(id).data, `eval: ${id}`);
    });
  }
});

/**
 * frozenBackbone with its first layer on im2col or conv2dShallow, and winogradBackbone: the
 * algorithms their layers must take (input shape, Conv2d attributes, forward), the chains fused,
 * and the interior outputs asked for before the forwards.
 */
const conv = (attrs: Attrs) => withDefaults(getOp('Conv2d')!, attrs);
const backbones: { label: string; make: () => GraphIR; batch: number; algorithms: [number[], ReturnType<typeof conv>, string][]; chains: string[]; asked: string[] }[] = [
  ...([['im2col', 14], ['shallow', 16]] as const).map(([stem, width]) => ({
    label: `first layer ${stem}`,
    make: () => frozenBackbone(width),
    batch: 12,
    algorithms: [[[12, 3, 14, width], conv({ outChannels: 8, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }), stem]] as [number[], ReturnType<typeof conv>, string][],
    chains: ['Conv2d+BatchNorm+HardSwish', 'Conv2d+BatchNorm+ReLU', 'Conv2d+BatchNorm+HardSwish', 'Conv2d+BatchNorm', 'Conv2d+BatchNorm+ReLU', 'BatchNorm+ReLU'],
    // interior outputs of two chains, one of which reads another chain's output (h1), which the arena would hand to a later node
    asked: ['c0', 'd0', 'bd', 'c2', 'c3', 'b3'],
  })),
  {
    label: 'Winograd F(2×2), F(4×4) and stride-2 layers',
    make: winogradBackbone,
    batch: 5,
    algorithms: [
      [[5, 8, 9, 9], conv({ outChannels: 8, kernelSize: [3, 3], padding: [1, 1] }), 'winograd'],
      [[5, 8, 9, 9], conv({ outChannels: 64, kernelSize: [3, 3], padding: [1, 1], bias: false }), 'winograd'],
      [[5, 64, 9, 9], conv({ outChannels: 64, kernelSize: [3, 3] }), 'winograd4'],
      [[5, 64, 7, 7], conv({ outChannels: 64, kernelSize: [3, 3], padding: [1, 1], bias: false }), 'winograd4'],
      [[5, 64, 7, 7], conv({ outChannels: 64, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }), 'winograd4s2'],
    ],
    chains: ['Conv2d+BatchNorm+ReLU', 'Conv2d+BatchNorm', 'Conv2d+BatchNorm+HardSwish', 'Conv2d+BatchNorm', 'Conv2d+BatchNorm+ReLU'],
    asked: ['c0', 'b0', 'c2', 'b2', 'c4'],
  },
];

describe('CPU backend: a frozen Conv2d applies its BatchNorm (and activation) as it writes (#59)', () => {
  for (const { label, make, batch, algorithms, chains, asked } of backbones) {
    it(`gives the ops’ bits one by one: losses, weights, eval and every output, interior ones computed again where asked for (${label})`, () => {
      for (const [shape, attrs, algo] of algorithms) expect(conv2dAlgorithm(shape, attrs).forward).toBe(algo);
      built.length = 0;
      // The training loop's kind of plan: the frozen layers' activations in a shared arena.
      const a = compileGraph(checkedOrThrow(make()), { batchSize: batch, backend: fused, seed: 3, shareFrozenActivations: true });
      const b = compileGraph(checkedOrThrow(make()), { batchSize: batch, backend: plain, seed: 3 });
      expect(built).toEqual(chains);
      // Asked for before the forwards, as a probe asks.
      for (const id of asked) a.output(id);
      for (const g of [a, b]) frozenStatistics(g);
      const optA = createOptimizer({ kind: 'adam', lr: 0.01 }, a.params, fused);
      const optB = createOptimizer({ kind: 'adam', lr: 0.01 }, b.params, plain);
      for (let step = 0; step < 3; step++) {
        for (const g of [a, b]) fill(g, 4, 70 + step);
        expect(a.forward(true)).toBe(b.forward(true));
        for (const id of [...asked, 'fc']) expectSameValues(a.output(id).data, b.output(id).data, `step ${step}: ${id}`);
        a.backward();
        b.backward();
        optA.step();
        optB.step();
        b.params.forEach((p, i) => expectSameValues(a.params[i].value.data, p.value.data, `step ${step}: ${p.nodeId}.${p.name}`));
      }
      // Plans of their own storage, eval and training forwards: every output.
      const c = compileGraph(checkedOrThrow(make()), { batchSize: 3, backend: fused, seed: 5 });
      const d = compileGraph(checkedOrThrow(make()), { batchSize: 3, backend: plain, seed: 5 });
      for (const g of [c, d]) frozenStatistics(g);
      for (const training of [false, true]) {
        for (const g of [c, d]) fill(g, 4, 9);
        expect(c.forward(training)).toBe(d.forward(training));
        for (const id of d.order) expectSameValues(c.output(id).data, d.output(id).data, `${training ? 'training' : 'eval'}: ${id}`);
      }
    });
  }
});
