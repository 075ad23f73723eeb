/**
 * The WGSL kernels of #31's attention and the ops around it (`kernels/attention.ts`,
 * `kernels/sequence.ts`) against their op files, and a small causal language model against the CPU
 * executor. Per op: Embedding with ids in range, negative (from the end) and fractional (truncated), one
 * out of range said in the step's status (E_ID_RANGE), the weight's gradient gathered per table value in the op file's order;
 * PositionalEmbedding; SequencePool `mean` and `last`. Views at odd offsets between sentinels,
 * gradients starting from values (kernel-harness.ts `parity`: exact for copies and for the
 * same float32 additions in the same order, else 2·(m + 1)·2⁻²⁴·Σ|terms|). TokenCrossEntropyLoss
 * is CrossEntropyLoss's kernels over `[N·T, V]` rows: the op suite's gradient check covers it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverageOf } from '../../../src-engine/core/backend/coverage';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { testGpu } from './device';
import { parity, randomCase, runGpu } from './kernel-harness';
import { adamStepsParity, oneStepParity } from './parity';
import { gpuKernelGaps } from '../../../src-engine/core/gpu/executor';
import { Rng } from '../../../src-engine/base/rng';
import type { GraphIR } from '../../../src-engine/base/ir/types';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

describe('WGSL sequence ops vs the op files', () => {
  it('Embedding: rows copied exactly (negative ids from the end, fractional truncated); dW gathered per row, exactly', async () => {
    const c = randomCase('Embedding', [[3, 5]], { numEmbeddings: 7, embeddingDim: 4 }, 2, { noGrad: [0], params: { weight: 28 } });
    c.inputs[0] = Float32Array.of(0, 1, 6, -1, -7, 3.7, -0.5, 6.9, 4, -6.5, 2, 2, 2, 5, 0);
    // dW adds dy values (no products) in position order, as the op file: exact.
    await parity(ctx, c, { y: 0, weight: 0 });
    // More ids than one chunk of 64 and more table values than one workgroup of 64, rows repeating.
    const many = randomCase('Embedding', [[4, 41]], { numEmbeddings: 30, embeddingDim: 5 }, 4, { noGrad: [0], params: { weight: 150 } });
    many.inputs[0] = Float32Array.from({ length: 164 }, (_, i) => ((i * 7) % 31) - 1);
    await parity(ctx, many, { y: 0, weight: 0 });
  }, 60_000);

  it('Embedding and OneHot: an id out of range (past the end, below −size, NaN) says [−size, id] in the status (the executor fails the step with E_ID_RANGE, #83); ids in range leave it [0, 0]', async () => {
    for (const [op, attrs, size, shape] of [['Embedding', { numEmbeddings: 7, embeddingDim: 4 }, 7, [2, 3]], ['OneHot', { numClasses: 7 }, 7, [6]]] as const) {
      for (const [bad, said] of [[9, 9], [-8, -8], [7.5, 7.5], [NaN, NaN]] as const) {
        const ids = Float32Array.of(0, 3, bad, 1, -7, 6);
        const out = shape.reduce((a, b) => a * b, 1) * (op === 'Embedding' ? 4 : 7);
        const got = await runGpu(ctx, { op, attrs, inputShapes: [[...shape]], inputs: [ids], ...(op === 'Embedding' ? { params: { weight: Float32Array.from({ length: 28 }, (_, i) => i) } } : {}), dOutput: new Float32Array(out), dInputs: [null] });
        expect(got.status![0], `${op} ${bad}`).toBe(-size);
        if (Number.isNaN(said)) expect(got.status![1]).toBeNaN();
        else expect(got.status![1], `${op} ${bad}`).toBe(said);
      }
      const fine = await runGpu(ctx, { op, attrs, inputShapes: [[...shape]], inputs: [Float32Array.of(0, 3, -1, 1, -7, 6.9)], ...(op === 'Embedding' ? { params: { weight: new Float32Array(28) } } : {}), dOutput: new Float32Array(shape.reduce((a, b) => a * b, 1) * (op === 'Embedding' ? 4 : 7)), dInputs: [null] });
      expect(Array.from(fine.status!), op).toEqual([0, 0]);
    }
  }, 60_000);

  it('PositionalEmbedding: y = x + p exactly; dx and dp add dy down the samples, exactly', async () => {
    await parity(ctx, randomCase('PositionalEmbedding', [[3, 4, 5]], {}, 3, { params: { weight: 20 } }), { y: 0, dx0: 0, weight: 0 });
  }, 60_000);

  it('SequencePool: last is a copy (exact); mean sums T values then divides', async () => {
    await parity(ctx, randomCase('SequencePool', [[3, 6, 4]], { mode: 'last' }, 4), { y: 0, dx0: 0 });
    await parity(ctx, randomCase('SequencePool', [[3, 6, 4]], { mode: 'mean' }, 5), { y: 6, dx0: 1 });
  }, 60_000);

  it('a small causal language model (Embedding → positions → LayerNorm → MultiHeadAttention → residual → Linear → TokenCrossEntropyLoss, a SequencePool head beside it): one step gives the CPU executor\'s loss, activations and gradients; 15 Adam steps its losses', async () => {
    const T = 6;
    const V = 9;
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 2,
      nodes: [
        { id: 'ids', op: 'Input', attrs: { shape: [T], source: 'features' }, inputs: [] },
        { id: 'next', op: 'Input', attrs: { shape: [T], source: 'target' }, inputs: [] },
        { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
        { id: 'emb', op: 'Embedding', attrs: { numEmbeddings: V, embeddingDim: 8 }, inputs: ['ids'] },
        { id: 'pos', op: 'PositionalEmbedding', attrs: {}, inputs: ['emb'] },
        { id: 'ln', op: 'LayerNorm', attrs: {}, inputs: ['pos'] },
        { id: 'att', op: 'MultiHeadAttention', attrs: { numHeads: 2, causal: true }, inputs: ['ln'] },
        { id: 'res', op: 'Add', attrs: {}, inputs: ['pos', 'att'] },
        { id: 'head', op: 'Linear', attrs: { outFeatures: V }, inputs: ['res'] },
        { id: 'loss', op: 'TokenCrossEntropyLoss', attrs: {}, inputs: ['head', 'next'] },
        { id: 'pool', op: 'SequencePool', attrs: { mode: 'mean' }, inputs: ['ln'] },
        { id: 'cls', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['pool'] },
        { id: 'ce', op: 'CrossEntropyLoss', attrs: {}, inputs: ['cls', 'label'] },
      ],
      outputs: { logits: 'head', loss: 'loss', cls: 'cls', ce: 'ce' },
    };
    expect(gpuKernelGaps(graph)).toEqual([]);
    const n = 5;
    const rng = new Rng(3);
    const ids = Float32Array.from({ length: n * T }, () => rng.int(V));
    const data = { ids, next: ids.map((v) => (v * 2 + 1) % V), label: Float32Array.from({ length: n }, (_, i) => i % 3) };
    const worst = await oneStepParity(ctx, graph, n, data);
    // Training: every step's loss within 2e-4 relative of the CPU's.
    const { losses, worst: worstLoss } = await adamStepsParity(ctx, graph, n, data, 15, 1e-2);
    expect(losses[14]).toBeLessThan(0.8 * losses[0]);
    console.log(`causal language model: one step worst ‖Δ‖∞/‖want‖∞ ${worst.toExponential(2)}; 15 Adam steps, worst loss ${worstLoss.toExponential(2)} relative`);
  }, 60_000);

  it('the coverage query lists GPU kernels for them, and the tiny GPT template has no GPU gap', () => {
    for (const op of ['Embedding', 'PositionalEmbedding', 'SequencePool', 'TokenCrossEntropyLoss', 'MultiHeadAttention']) expect(coverageOf(op)!.gpu, op).toBe(true);
    const gpt = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/tiny-gpt.json'), 'utf8')) as GraphIR;
    expect(gpuKernelGaps(gpt)).toEqual([]);
  });
});
