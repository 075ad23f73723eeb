/**
 * The tests are driven by the registries (#86): ops registered here for the test only — an
 * activation, a loss of log-probabilities against probabilities, a structural op that declares its
 * random-graph draw, and a structural layer that declares no test domain — reach the op suite's
 * cases, both exporters' random-graph draws and the CPU kernel table with no edit to any of them,
 * and the one that cannot be tested is named with what to declare.
 * (Isolated: its own directory is outside vitest.config.ts's shared projects, so the mock stays here.)
 */
import { describe, expect, it, vi } from 'vitest';
import type * as Registry from '../../../src-engine/core/ops/registry';
import { Rng } from '../../../src-engine/base/rng';
import { simdOps } from '../../../src-engine/core/elementwise/simd';
import { getOp } from '../../../src-engine/core/ops/registry';
import { KERNEL_TOLERANCE_DEFAULT, testDomainOf } from '../../../src-engine/core/ops/test-domain';
import { allCases, missingCases } from '../engine/op-suite-cases';
import { randomGraph as onnxRandomGraph } from '../engine/export/onnx/random-graphs';
import { randomGraph as torchRandomGraph } from '../engine/export/random-graphs';
import { missingGraphDraws, registryActivations, registryStructure } from '../engine/registry-draws';
import { gradcheck } from '../engine/harness';

vi.mock('../../../src-engine/core/ops/registry', async (importOriginal) => {
  const registry = await importOriginal<typeof Registry>();
  const E = await import('../../../src-engine/core/elementwise/expr');
  const { elementwise } = await import('../../../src-engine/core/elementwise/js');
  const { pointwiseLoss } = await import('../../../src-engine/core/elementwise/loss-js');
  const { prediction, target } = await import('../../../src-engine/core/elementwise/loss');
  const { sameShape } = await import('../../../src-engine/core/ops/shape-util');
  const { elementwiseLossShape } = await import('../../../src-engine/core/ops/loss-util');
  const none = { none: 'a test-only op' };
  const squash = {
    name: 'MadeUpSquash',
    category: 'activations',
    onnx: none,
    torch: { module: 'nn.Softsign()' },
    ...elementwise({ forms: { main: { forward: E.div(E.x, E.add(1, E.mul(E.x, E.x))) } }, cost: 2 }),
    doc: 'x/(1 + x²), for the test only.',
    inputs: [{ name: 'x' }],
    attrs: {},
    inferShape: sameShape,
  };
  const logLoss = {
    name: 'MadeUpLogLoss',
    category: 'losses',
    onnx: none,
    torch: none,
    isLoss: true,
    ...pointwiseLoss({ term: E.mul(E.neg(target), prediction), reduction: 'batchmean' }),
    testDomain: { inputs: ['log-distribution', 'distribution'] },
    doc: 'cross-entropy of log-probabilities against probabilities, for the test only.',
    inputs: [{ name: 'logProbs' }, { name: 'target' }],
    attrs: {},
    inferShape: ({ inputs }: { inputs: readonly (readonly number[])[] }) => elementwiseLossShape('MadeUpLogLoss', inputs[0], inputs[1]),
  };
  const layer = { ...registry.getOp('Flatten')!, name: 'MadeUpLayer', testDomain: undefined };
  // A structural op: Transpose's maths (its reference kernel carried by the declaration, as an
  // elementwise op's is) and its draw under another name, with a canonical case's shape.
  const transpose = registry.getOp('Transpose')!;
  const { transposeKernel } = await import('../../../src-engine/core/ops/kernels/transpose');
  const swap = { ...transpose, forward: transposeKernel.forward, backward: transposeKernel.backward, name: 'MadeUpSwap', testDomain: { graph: transpose.testDomain!.graph, shapes: [[2, 3, 4]] } };
  const extra = [squash, logLoss, swap, layer] as unknown as Registry.OpName[];
  const all = [...registry.listOps(), ...(extra as unknown as ReturnType<typeof registry.listOps>)];
  const byName = new Map(all.map((d) => [d.name, d]));
  return { ...registry, listOps: () => all, getOp: (name: string) => byName.get(name), isOpName: (name: string) => byName.has(name) };
});

describe('an op registered with nothing else edited', () => {
  it('gets op-suite cases from its declared test domain, and a gradcheck that passes on them', async () => {
    const cases = allCases().filter((c) => c.op.startsWith('MadeUp'));
    expect(cases.map((c) => c.label)).toEqual(['MadeUpSquash (default case)', 'MadeUpLogLoss (default case)', 'MadeUpSwap (default case)']);
    const loss = cases[1];
    // The loss's inputs as it declares them: rows of log-probabilities, rows of probabilities.
    const [logp, t] = loss.opts.inputs;
    for (const [data, log] of [[logp.data, true], [t.data, false]] as const)
      for (let r = 0; r < 4; r++) {
        const row = Array.from(data.subarray(5 * r, 5 * r + 5), (v) => (log ? Math.exp(v) : v));
        expect(row.every((v) => v > 0)).toBe(true);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      }
    for (const c of cases) {
      const r = await gradcheck(getOp(c.op)!, { seed: 5, ...c.opts });
      expect(r.checked).toBeGreaterThan(0);
      expect(r.maxError, `${c.label}: ${r.worst}`).toBeLessThan(c.tol);
    }
  });

  it('is named with what to declare when its category has no default case, and a structural one without its random-graph draw', () => {
    expect(missingCases()).toEqual([
      'src-engine/core/ops/<the file declaring MadeUpLayer>: declare testDomain.shapes (its canonical case\'s input shapes), or add a case to CASES / a reason to SKIP in test/unit/engine/op-suite-cases.ts',
    ]);
    expect(missingGraphDraws()).toEqual([
      'src-engine/core/ops/<the file declaring MadeUpLayer>: declare testDomain.graph (how a random graph draws it: GraphDraw), or graph: { none: why }',
    ]);
  });

  it('a structural op: drawn by both exporters\' random graphs from its declared draw', () => {
    expect(registryStructure().singles.map((d) => d.op)).toContain('MadeUpSwap');
    const torchDrawn = Array.from({ length: 24 }, (_, i) => torchRandomGraph(new Rng(2024 + i), i).model.graph.nodes.map((n) => n.op)).flat();
    const onnxDrawn = Array.from({ length: 60 }, (_, i) => onnxRandomGraph(i + 1, 6 + ((i + 1) % 6)).nodes.map((n) => n.op)).flat();
    expect(torchDrawn).toContain('MadeUpSwap');
    expect(onnxDrawn).toContain('MadeUpSwap');
  });

  it('an activation: drawn by both exporters\' random graphs, and in the CPU kernel table with the default bound', () => {
    expect(registryActivations().map((a) => a.op)).toContain('MadeUpSquash');
    const torchDrawn = Array.from({ length: 24 }, (_, i) => torchRandomGraph(new Rng(2024 + i), i).model.graph.nodes.map((n) => n.op)).flat();
    const onnxDrawn = Array.from({ length: 60 }, (_, i) => onnxRandomGraph(i + 1, 6 + ((i + 1) % 6)).nodes.map((n) => n.op)).flat();
    expect(torchDrawn).toContain('MadeUpSquash');
    expect(onnxDrawn).toContain('MadeUpSquash');
    expect(simdOps()).toContain('MadeUpSquash');
    expect(testDomainOf(getOp('MadeUpSquash')!).kernel({})).toBe(KERNEL_TOLERANCE_DEFAULT);
  });
});
