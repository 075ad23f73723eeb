/**
 * The WGSL kernels of the recurrent ops (`kernels/recurrent.ts`: RNN, LSTM, GRU) against their op
 * files, and the MNIST-row LSTM (examples/mnist-lstm.json, shrunk) against the CPU executor.
 *
 * Per op, on small shapes (2 layers and both directions with the sequence out; one layer, the last
 * state, no biases): the output, dx and every parameter's gradient within parity.ts's bound
 * (‖Δ‖∞ ≤ 1e-5·‖want‖∞ + 1e-7: the same float32 products summed in other orders, and WGSL's
 * `exp`/`tanh` against the op file's float64 ones), starting from gradients that hold values (the
 * kernels add, as the op files do), with views at odd offsets between sentinels (kernel-harness.ts).
 * The forward's state (`gates`, `hs`, `aux`, the op file's workspace names and layout) and the
 * backward's gradient norm by time step (`dhNorm`, the sequence probe's) are compared; the gates
 * gate by gate, naming the gate: this is the test that fails when a gate is wired wrong. Checked by
 * miswiring the kernel: the LSTM's input and forget preactivations swapped fails on gate 'input'
 * (|Δ| 0.73 against a bound of 1e-5), the GRU's reset and update on gate 'reset' (0.85); the
 * LSTM's backward writing the input gate's gradient in the forget gate's place fails on dx (0.16).
 * The op suite's gradient checks (op-suite.test.ts) and the PyTorch goldens (goldens.test.ts) run
 * on these kernels too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import { coverageOf } from '../../../src-engine/core/backend/coverage';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { gpuKernelGaps } from '../../../src-engine/core/gpu/executor';
import { getOp } from '../../../src-engine/core/ops/registry';
import { testGpu } from './device';
import { randomCase, runCpu, runGpu, values, withDefaults, type KernelCase } from './kernel-harness';
import { adamStepsParity, expectClose, oneStepParity } from './parity';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

/** A random case of `op` on `[N, T, F]` with its parameters (weights and biases ~ N(0, 0.5²)) and their gradients' start values. */
function recurrentCase(op: string, shape: number[], attrs: Record<string, unknown>, seed: number): KernelCase {
  const c = randomCase(op, [shape], attrs, seed);
  const specs = getOp(op)!.params!({ inputs: [shape], attrs: withDefaults(op, c.attrs) });
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  c.params = Object.fromEntries(specs.map((p, j) => [p.name, values(size(p.shape), seed + 30 + j, 0.5)]));
  c.dParams = Object.fromEntries(specs.map((p, j) => [p.name, values(size(p.shape), seed + 60 + j, 0.5)]));
  return c;
}

/** `gates` (`[K, T, N, G·H]`) of gate q alone. */
function gateOf(g: Float32Array, gates: number, h: number, q: number): Float32Array {
  return g.filter((_, i) => Math.floor((i % (gates * h)) / h) === q);
}

const CASES: { what: string; shape: number[]; attrs: Record<string, unknown> }[] = [
  { what: '2 layers, bidirectional, sequence', shape: [3, 4, 3], attrs: { hiddenSize: 5, numLayers: 2, bidirectional: true } },
  { what: '1 layer, last state, no biases', shape: [2, 5, 4], attrs: { hiddenSize: 6, output: 'last', bias: false } },
];

describe('WGSL recurrent ops vs the op files', () => {
  for (const op of ['RNN', 'LSTM', 'GRU']) {
    it(`${op}: every gate's values, h and the cell's state per step, the output, dx, every parameter's gradient and ‖dL/dh‖ per step`, async () => {
      const def = getOp(op)!;
      const gateNames = def.traces!.gates.map((g) => g.name);
      let worst = 0;
      for (const [n, { what, shape, attrs }] of CASES.entries()) {
        const c = recurrentCase(op, shape, attrs, 11 + n);
        const want = runCpu(c);
        const got = await runGpu(ctx, c, { workspace: true });
        const h = attrs.hiddenSize as number;
        gateNames.forEach((name, q) => {
          worst = Math.max(worst, expectClose(`${op} ${what}: gate '${name}' (gate ${q} of ${gateNames.length})`, gateOf(got.workspace.gates, gateNames.length, h, q), gateOf(want.workspace.gates, gateNames.length, h, q)));
        });
        for (const k of ['hs', 'aux', 'dhNorm']) worst = Math.max(worst, expectClose(`${op} ${what}: ${k}`, got.workspace[k], want.workspace[k]));
        worst = Math.max(worst, expectClose(`${op} ${what}: y`, got.output, want.output));
        worst = Math.max(worst, expectClose(`${op} ${what}: dx`, got.dInputs[0]!, want.dInputs[0]!));
        for (const [k, v] of Object.entries(want.dParams)) worst = Math.max(worst, expectClose(`${op} ${what}: d${k}`, got.dParams[k], v));
      }
      console.log(`${op}: worst ‖Δ‖∞/‖want‖∞ ${worst.toExponential(2)}`);
    }, 60_000);
  }

  it('the MNIST-row LSTM, shrunk (7 rows of 6 pixels, h 8): one step gives the CPU executor\'s loss, activations and gradients; 10 Adam steps its losses', async () => {
    const example = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/mnist-lstm.json'), 'utf8')) as GraphIR;
    expect(gpuKernelGaps(example)).toEqual([]);
    const graph: GraphIR = {
      ...example,
      nodes: example.nodes.map((n) => (n.id === 'rows' ? { ...n, attrs: { ...n.attrs, shape: [7, 6] } } : n.op === 'LSTM' ? { ...n, attrs: { ...n.attrs, hiddenSize: 8 } } : n)),
    };
    const n = 5;
    const rng = new Rng(4);
    const data = { rows: Float32Array.from({ length: n * 42 }, () => rng.normal()), label: Float32Array.from({ length: n }, (_, i) => (i * 3) % 10) };
    const worst = await oneStepParity(ctx, graph, n, data);
    // Training: every step's loss within 2e-4 relative of the CPU's.
    const { losses, worst: worstLoss } = await adamStepsParity(ctx, graph, n, data, 10, 3e-2);
    expect(losses[9]).toBeLessThan(0.8 * losses[0]);
    console.log(`MNIST-row LSTM (shrunk): one step worst ‖Δ‖∞/‖want‖∞ ${worst.toExponential(2)}; 10 Adam steps, worst loss ${worstLoss.toExponential(2)} relative`);
  }, 60_000);

  it('a stack of the three (GRU 2 layers bidirectional → LSTM → RNN last state → Linear): one step gives the CPU executor\'s activations and gradients', async () => {
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 2,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [5, 3], source: 'features' }, inputs: [] },
        { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
        { id: 'gru', op: 'GRU', attrs: { hiddenSize: 4, numLayers: 2, bidirectional: true }, inputs: ['x'] },
        { id: 'lstm', op: 'LSTM', attrs: { hiddenSize: 5 }, inputs: ['gru'] },
        { id: 'rnn', op: 'RNN', attrs: { hiddenSize: 4, output: 'last', bidirectional: true }, inputs: ['lstm'] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['rnn'] },
        { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'y'] },
      ],
      outputs: { logits: 'fc', loss: 'loss' },
    };
    const n = 3;
    const rng = new Rng(6);
    const worst = await oneStepParity(ctx, graph, n, { x: Float32Array.from({ length: n * 15 }, () => rng.normal()), y: Float32Array.of(0, 2, 1) });
    console.log(`GRU → LSTM → RNN: one step worst ‖Δ‖∞/‖want‖∞ ${worst.toExponential(2)}`);
  }, 60_000);

  it('the coverage query lists GPU kernels for them', () => {
    for (const op of ['RNN', 'LSTM', 'GRU']) expect(coverageOf(op)!.gpu, op).toBe(true);
  });
});
