/**
 * Whole graphs on the CPU backend against the reference backend: every activation and parameter
 * gradient after forward + backward, three steps in a row. This is where the executor's gradient
 * plan is exercised: a sole writer that can assign gets its input gradient fresh (never zeroed,
 * OpBackwardContext.dInputsFresh), fan-out and reference-only ops still accumulate into zeroed
 * tensors, and the second step proves no stale value from the first leaks in.
 *
 * NOTE (tolerance): 1e-4 scaled (|a − b| / max(1, |b|)), overrides.test.ts's bound for parameter
 * gradients: GEMM, Winograd and per-task weight-gradient sums reassociate float32 additions.
 */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph, type CompiledGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { Rng } from '../../../src-engine/base/rng';
import { graph, node } from '../engine/graphs';
import { scaledDiff } from './scaled-diff';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

const example = (name: string): GraphIR => JSON.parse(readFileSync(join(__dirname, '../../../examples', `${name}.json`), 'utf8')) as GraphIR;

/** Fan-out through ReLU (into a Conv2d and an Add), BatchNorm, Flatten, Dropout, Linear. */
function residualCnn(): GraphIR {
  return graph(
    [
      node('x', 'Input', [], { shape: [3, 8, 8] }),
      node('y', 'Input', [], { shape: [], source: 'target' }),
      node('c1', 'Conv2d', ['x'], { outChannels: 8, kernelSize: [3, 3], padding: [1, 1] }),
      node('b1', 'BatchNorm', ['c1']),
      node('r1', 'ReLU', ['b1']),
      node('c2', 'Conv2d', ['r1'], { outChannels: 8, kernelSize: [3, 3], padding: [1, 1] }),
      node('b2', 'BatchNorm', ['c2']),
      node('sum', 'Add', ['r1', 'b2']),
      node('r2', 'ReLU', ['sum']),
      node('pool', 'MaxPool2d', ['r2'], { kernelSize: [2, 2] }),
      node('flat', 'Flatten', ['pool']),
      node('drop', 'Dropout', ['flat'], { p: 0.25 }),
      node('fc', 'Linear', ['drop'], { outFeatures: 5 }),
      node('loss', 'CrossEntropyLoss', ['fc', 'y']),
    ],
    { out: 'fc', loss: 'loss' },
    { loss: 'loss' },
  );
}

/** A pre-norm residual MLP block: LayerNorm, GELU, fan-out into an Add, Softmax-free CE head. */
function residualMlp(): GraphIR {
  return graph(
    [
      node('x', 'Input', [], { shape: [24] }),
      node('y', 'Input', [], { shape: [], source: 'target' }),
      node('fc0', 'Linear', ['x'], { outFeatures: 32 }),
      node('ln1', 'LayerNorm', ['fc0']),
      node('fc1', 'Linear', ['ln1'], { outFeatures: 64 }),
      node('act', 'GELU', ['fc1']),
      node('fc2', 'Linear', ['act'], { outFeatures: 32 }),
      node('res', 'Add', ['fc0', 'fc2']),
      node('ln2', 'LayerNorm', ['res']),
      node('t', 'Tanh', ['ln2']),
      node('head', 'Linear', ['t'], { outFeatures: 7 }),
      node('loss', 'CrossEntropyLoss', ['head', 'y']),
    ],
    { out: 'head', loss: 'loss' },
    { loss: 'loss' },
  );
}

function fillBatch(g: CompiledGraph, classes: number, seed: number): void {
  const rng = new Rng(seed);
  for (const n of g.order) {
    let t;
    try {
      t = g.input(n);
    } catch {
      continue;
    }
    const labels = t.shape.length === 1;
    for (let i = 0; i < t.data.length; i++) t.data[i] = labels ? rng.int(classes) : rng.uniform();
  }
}

describe('whole graphs: CPU backend gradients equal the reference backend’s, step after step', () => {
  // The last field: activation gradients the CPU computes in some channels only (OpBackwardContext.dInputsRead), the others 0.
  const cases: [string, () => GraphIR, number, number, Record<string, [number, number]>?][] = [
    ['residual CNN with fan-out, BatchNorm, Dropout', residualCnn, 6, 5],
    ['pre-norm residual MLP: LayerNorm, GELU, Tanh, fan-out', residualMlp, 16, 7],
    ['examples/mnist-cnn', () => example('mnist-cnn'), 4, 10],
    ['examples/mnist-mlp (Dropout)', () => example('mnist-mlp'), 8, 10],
    ['examples/mnist-denoise-ae', () => example('mnist-denoise-ae'), 4, 0],
    // ConvTranspose2d's input gradient assigned where it is the sole writer (g_up1 into g_reshape).
    ['examples/mnist-dcgan (ConvTranspose2d, both players\' losses)', () => example('mnist-dcgan'), 4, 0],
    // The discriminator's input is the image and 10 label maps (d_in, a Concat): its first conv
    // folds back the image's gradient, the only one read (the label maps need none).
    ['examples/mnist-cdcgan (Concat: the gradient of the channels read)', () => example('mnist-cdcgan'), 4, 10, { d_in: [0, 1] }],
  ];
  for (const [label, make, batch, classes, partial = {}] of cases) {
    it(label, () => {
      const ref = compileGraph(checkedOrThrow(make()), { batchSize: batch, backend: createReferenceBackend(), seed: 7 });
      const got = compileGraph(checkedOrThrow(make()), { batchSize: batch, backend: cpu, seed: 7 });
      // Record what the executor zeroes on the CPU backend (its Backend.zero).
      const zeroed = new Set<Float32Array>();
      const memset = cpu.zero;
      cpu.zero = (a) => {
        zeroed.add(a);
        memset(a);
      };
      try {
        for (let step = 0; step < 3; step++) {
          for (const g of [ref, got]) {
            fillBatch(g, classes, 100 + step);
            g.forward(true);
            // Poison every activation gradient: whatever the plan neither zeroes nor assigns shows.
            if (step > 0) for (const id of g.order) g.grad(id)?.data.fill(NaN);
            g.backward();
          }
          for (const id of ref.order) {
            const want = ref.grad(id);
            if (!want) continue;
            const read = partial[id];
            if (read) {
              const [n, c] = want.shape;
              const plane = want.data.length / (n * c);
              const inRead = (i: number) => Math.floor(i / plane) % c >= read[0] && Math.floor(i / plane) % c < read[1];
              const keep = (a: Float32Array) => a.filter((_, i) => inRead(i));
              expect(scaledDiff(keep(got.grad(id)!.data), keep(want.data)), `step ${step}: dLoss/d${id}, channels read`).toBeLessThanOrEqual(1e-4);
              expect(got.grad(id)!.data.every((v, i) => inRead(i) || v === 0), `step ${step}: dLoss/d${id}, channels not read`).toBe(true);
              continue;
            }
            expect(scaledDiff(got.grad(id)!.data, want.data), `step ${step}: dLoss/d${id}`).toBeLessThanOrEqual(1e-4);
          }
          ref.params.forEach((p, i) => {
            expect(scaledDiff(got.params[i].grad.data, p.grad.data), `step ${step}: ${p.nodeId}.${p.name}`).toBeLessThanOrEqual(1e-4);
          });
        }
      } finally {
        cpu.zero = memset;
      }
      // Some activation gradients were assigned by their sole writer, never zeroed (else this
      // test would not cover dInputsFresh); the loss's is seeded with 1, not zeroed either.
      const activationGrads = got.order.map((id) => got.grad(id)).filter((t) => t !== null);
      const notZeroed = activationGrads.filter((t) => !zeroed.has(t.data));
      expect(notZeroed.length).toBeGreaterThan(1);
    });
  }
});

describe("a loss selection's forward computes what its losses (and its caller) read", () => {
  it("the conditional DCGAN's generator step: not the discriminator's loss, nor its layers on the real half; the same bits where it computes", () => {
    const cdcgan = example('mnist-cdcgan');
    const plan = compileGraph(checkedOrThrow(cdcgan), { batchSize: 4, backend: cpu, seed: 7 });
    const generator = plan.params.filter((p) => p.nodeId.startsWith('g_'));
    fillBatch(plan, 10, 3);
    // In evaluation mode: the same noise every time (the Noise node's fixed noise).
    plan.forward(false);
    const whole = new Map(plan.order.map((id) => [id, plan.output(id).data.slice()]));
    const n = 8; // real then generated: d_in's samples
    for (const [reads, scored] of [[[], false], [['d_out'], true]] as const) {
      for (const id of plan.order) if (id.startsWith('d_')) plan.output(id).data.fill(NaN);
      const sel = plan.selectLosses(['g_loss'], generator, reads);
      expect(plan.forward(false, sel)).toBe(whole.get('g_loss')![0]);
      expect(plan.output('d_loss').data[0], "the discriminator's loss").toBeNaN();
      for (const id of ['d_in', 'd_conv1', 'd_lrelu1', 'd_conv2', 'd_out']) {
        const got = plan.output(id).data;
        const per = got.length / n;
        const realHalf = got.subarray(0, (n / 2) * per);
        expect(got.subarray((n / 2) * per), `${id}, the generated half`).toEqual(whole.get(id)!.subarray((n / 2) * per));
        // The scores read after the step (`reads`): they and all they come from whole; else the
        // real half not computed on the CPU's convolutions.
        if (scored) expect(realHalf, `${id}, the real half (the scores read)`).toEqual(whole.get(id)!.subarray(0, (n / 2) * per));
        else if (id.includes('conv')) expect(realHalf.every(Number.isNaN), `${id}, the real half`).toBe(true);
      }
    }
  });
});
