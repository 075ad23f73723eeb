import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { ModelError, type TrainedModel } from '../../../../src-engine/core/export/model';
import { inferModel, loadWeights } from '../../../../src-engine/core/export/infer';
import { graph, node } from '../graphs';

const g = graph(
  [
    node('x', 'Input', [], { shape: [3], source: 'features' }),
    node('fc', 'Linear', ['x'], { outFeatures: 2 }),
    node('bn', 'BatchNorm', ['fc']),
    node('drop', 'Dropout', ['bn'], { p: 0.5 }),
  ],
  { y: 'drop' },
);

/** A model whose weights are a freshly initialised plan's, with BatchNorm running stats set by hand. */
function model(): TrainedModel {
  const plan = compileGraph(checkedOrThrow(g), { batchSize: 1, backend: createReferenceBackend(), seed: 7 });
  const params = Object.fromEntries(plan.params.map((p) => [`${p.nodeId}.${p.name}`, p.value.data.slice()]));
  const buffers = Object.fromEntries(plan.buffers.map((b) => [`${b.nodeId}.${b.name}`, b.value.data.slice()]));
  buffers['bn.runningMean'] = Float32Array.of(0.5, -1);
  buffers['bn.runningVar'] = Float32Array.of(4, 0.25);
  return { graph: g, params, buffers };
}

describe('a trained model', () => {
  it('infers in eval mode: BatchNorm uses its running statistics and Dropout passes values through', () => {
    const m = model();
    const x = Float32Array.of(1, 2, -1, 0, 0.5, 3);
    const { fc, drop } = inferModel(m, { x }, 2, ['fc', 'drop']);
    const w = m.params['fc.weight'];
    const b = m.params['fc.bias'];
    const gamma = m.params['bn.weight'];
    const beta = m.params['bn.bias'];
    for (let i = 0; i < 2; i++) {
      for (let o = 0; o < 2; o++) {
        const lin = b[o] + w[o * 3] * x[i * 3] + w[o * 3 + 1] * x[i * 3 + 1] + w[o * 3 + 2] * x[i * 3 + 2];
        expect(fc[i * 2 + o]).toBeCloseTo(lin, 5);
        const bn = ((lin - m.buffers['bn.runningMean'][o]) / Math.sqrt(m.buffers['bn.runningVar'][o] + 1e-5)) * gamma[o] + beta[o];
        expect(drop[i * 2 + o]).toBeCloseTo(bn, 5);
      }
    }
  });

  it('refuses weights that do not fit the graph, naming the tensor', () => {
    const m = model();
    const plan = compileGraph(checkedOrThrow(g), { batchSize: 1, backend: createReferenceBackend(), seed: 1 });
    expect(() => loadWeights(plan, { ...m, params: { ...m.params, 'fc.weight': new Float32Array(5) } })).toThrow(/"fc.weight" has 5 values; node "fc" needs 6/);
    const { ['bn.runningVar']: _gone, ...rest } = m.buffers;
    expect(() => loadWeights(plan, { ...m, buffers: rest })).toThrow(ModelError);
    expect(() => inferModel(m, { x: new Float32Array(4) }, 2, ['fc'])).toThrow(/takes 6 values/);
  });
});
