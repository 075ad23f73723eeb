import { describe, expect, it } from 'vitest';
import { getOp } from '../../../src-engine/core/ops/registry';
import type { Attrs, OpDef } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { gradcheck, runOp } from './harness';

const op = (name: string): OpDef => {
  const def = getOp(name);
  if (!def) throw new Error(`${name} is not registered`);
  return def;
};

function randn(shape: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed);
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = scale * rng.normal();
  return t;
}

function ints(shape: number[], values: number[]): Tensor {
  return tensor(shape, Float32Array.from(values));
}

const scalarOut = (def: OpDef, inputs: Tensor[], attrs: Attrs = {}): number =>
  runOp(def, { inputs, attrs, noGrad: [1], forwardOnly: true }).output.data[0];

describe('loss gradchecks (finite differences, reference backend)', () => {
  const cases: { label: string; op: string; attrs?: Attrs; inputs: Tensor[]; targetGrad?: boolean }[] = [
    { label: 'CrossEntropy', op: 'CrossEntropyLoss', inputs: [randn([5, 4], 1, 2), ints([5], [0, 3, 1, 1, 2])] },
    {
      label: 'CrossEntropy, label smoothing 0.2 + class weights',
      op: 'CrossEntropyLoss',
      attrs: { labelSmoothing: 0.2, classWeights: [0.5, 2, 1, 0.25] },
      inputs: [randn([6, 4], 2, 2), ints([6], [0, 3, 1, 1, 2, 3])],
    },
    {
      label: 'CrossEntropy, spatial [N, C, H, W] with weights',
      op: 'CrossEntropyLoss',
      attrs: { labelSmoothing: 0.1, classWeights: [1, 3, 0.5] },
      inputs: [randn([2, 3, 2, 2], 3), ints([2, 2, 2], [0, 1, 2, 2, 1, 0, 0, 1])],
    },
    {
      label: 'CrossEntropy, target [N, 1]',
      op: 'CrossEntropyLoss',
      inputs: [randn([3, 5], 4), ints([3, 1], [4, 0, 2])],
    },
    {
      label: 'BCEWithLogits multi-label',
      op: 'BCEWithLogitsLoss',
      inputs: [randn([4, 3], 5, 2), ints([4, 3], [1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0])],
    },
    {
      label: 'BCEWithLogits per-class posWeight, soft targets, target gradient too',
      op: 'BCEWithLogitsLoss',
      attrs: { posWeight: [2, 0.5, 1.5] },
      inputs: [randn([4, 3], 6, 2), ints([4, 3], [1, 0.2, 0.7, 0, 0.5, 1, 0.9, 1, 0, 0.1, 1, 0])],
      targetGrad: true,
    },
    { label: 'MSE, target gradient too', op: 'MSELoss', inputs: [randn([4, 3], 7), randn([4, 3], 8)], targetGrad: true },
    // |p − t| ≥ 0.1 everywhere: away from L1's kink at 0.
    {
      label: 'L1 (MAE), target gradient too',
      op: 'L1Loss',
      inputs: [ints([2, 3], [0.5, -1, 2, 0.3, 0, -0.7]), ints([2, 3], [0.1, -0.5, 1, 0.9, -0.4, 0.2])],
      targetGrad: true,
    },
    // Errors on both sides of δ = 1 (0.3, 0.8, 1.3, 2.5, …): the gradient is continuous at ±δ.
    {
      label: 'Huber across the delta boundary',
      op: 'HuberLoss',
      inputs: [ints([2, 4], [0.3, -0.8, 1.3, -2.5, 0.95, -1.05, 0, 4]), ints([2, 4], [0, 0, 0, 0, 0, 0, 0.2, 0])],
      targetGrad: true,
    },
    {
      label: 'Huber delta 0.5',
      op: 'HuberLoss',
      attrs: { delta: 0.5 },
      inputs: [ints([1, 6], [0.2, -0.45, 0.55, -0.9, 1.4, 3]), ints([1, 6], [0, 0, 0, 0, 0, 0])],
    },
  ];
  for (const c of cases) {
    it(c.label, async () => {
      const r = await gradcheck(op(c.op), { inputs: c.inputs, attrs: c.attrs, noGrad: c.targetGrad ? [] : [1], eps: 1e-2 });
      expect(r.checked).toBe(c.inputs[0].data.length + (c.targetGrad ? c.inputs[1].data.length : 0));
      expect(r.maxError, r.worst).toBeLessThan(5e-3);
    });
  }
});

describe('CrossEntropyLoss', () => {
  const ce = () => op('CrossEntropyLoss');

  it('throws E_LABEL_RANGE for labels outside [0, C) or not integers, never NaN', () => {
    const logits = randn([2, 3], 1);
    for (const bad of [3, -1, 1.5, NaN, 1e9]) {
      expect(() => scalarOut(ce(), [logits, ints([2], [0, bad])]), `label ${bad}`).toThrow(/E_LABEL_RANGE/);
    }
    expect(() => scalarOut(ce(), [logits, ints([2], [0, 3])])).toThrow(/target label 3 \(batch sample 1\) is outside 0…2: the logits have 3 classes/);
    expect(() => scalarOut(ce(), [logits, ints([2], [0, 0.5])])).toThrow(/not a class index/);
    const err = (() => {
      try {
        scalarOut(ce(), [logits, ints([2], [7, 0])]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect((err as { code?: string } | undefined)?.code).toBe('E_LABEL_RANGE');
  });

  it('stays finite and exact for huge logits (log-sum-exp)', () => {
    const logits = ints([2, 3], [1e4, -1e4, 0, -1e4, 1e4, 1e4 - 1]);
    const loss = scalarOut(ce(), [logits, ints([2], [1, 2])]);
    // Row 0: −log p₁ = 2e4. Row 1: −log softmax(…)[2] = log(1 + e) ≈ 1.3133.
    expect(loss).toBeCloseTo((2e4 + Math.log1p(Math.E)) / 2, 2);
  });

  it('scales its gradient by dOutput', () => {
    const inputs = [randn([3, 4], 2), ints([3], [1, 2, 3])];
    const one = runOp(ce(), { inputs, noGrad: [1] }).dInputs[0]!.data;
    const half = runOp(ce(), { inputs, noGrad: [1], dOutput: tensor([], Float32Array.of(0.5)) }).dInputs[0]!.data;
    one.forEach((v, i) => expect(half[i]).toBeCloseTo(0.5 * v, 7));
  });

  it('shape rule names both shapes and the target Input, with a hint for one-hot targets', () => {
    const bad = ce().inferShape({ inputs: [[-1, 10], [-1, 3]], attrs: { labelSmoothing: 0, classWeights: [] } });
    expect(bad).toMatchObject({ ok: false, code: 'E_SHAPE_MISMATCH' });
    expect(!bad.ok && bad.message).toMatch(/logits are N×10 so the target must be N .* but it is N×3/);
    expect(!bad.ok && bad.message).toMatch(/source 'target'/);
    const oneHot = ce().inferShape({ inputs: [[-1, 10], [-1, 10]], attrs: { labelSmoothing: 0, classWeights: [] } });
    expect(!oneHot.ok && oneHot.message).toMatch(/BCEWithLogitsLoss/);
    const weights = ce().inferShape({ inputs: [[-1, 10], [-1]], attrs: { labelSmoothing: 0, classWeights: [1, 2] } });
    expect(weights).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
    expect(ce().inferShape({ inputs: [[-1, 10], [-1]], attrs: { labelSmoothing: 0, classWeights: [] } })).toEqual({ ok: true, shape: [] });
    expect(ce().inferShape({ inputs: [[-1, 10], [-1, 1]], attrs: { labelSmoothing: 0, classWeights: [] } })).toEqual({ ok: true, shape: [] });
    expect(ce().inferShape({ inputs: [[-1], [-1]], attrs: { labelSmoothing: 0, classWeights: [] } })).toMatchObject({ ok: false, code: 'E_RANK' });
  });
});

describe('elementwise losses', () => {
  it('shape rules name both shapes and the target Input; [N, 1] vs [N] is accepted', () => {
    for (const name of ['MSELoss', 'L1Loss', 'HuberLoss', 'BCEWithLogitsLoss']) {
      const def = op(name);
      const attrs = Object.fromEntries(Object.entries(def.attrs).map(([k, s]) => [k, s.default]));
      const bad = def.inferShape({ inputs: [[-1, 10], [-1, 1]], attrs });
      expect(bad, name).toMatchObject({ ok: false, code: 'E_SHAPE_MISMATCH' });
      expect(!bad.ok && bad.message).toMatch(new RegExp(`${name}: the prediction is N×10 but the target is N×1`));
      expect(!bad.ok && bad.message).toMatch(/Input node with source 'target'.*\[10\]/);
      expect(def.inferShape({ inputs: [[-1, 1], [-1]], attrs }), name).toEqual({ ok: true, shape: [] });
      expect(def.inferShape({ inputs: [[-1, 2, 3], [-1, 2, 3]], attrs }), name).toEqual({ ok: true, shape: [] });
    }
    expect(op('HuberLoss').inferShape({ inputs: [[-1, 2], [-1, 2]], attrs: { delta: 0 } })).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
    const pw = op('BCEWithLogitsLoss').inferShape({ inputs: [[-1, 3], [-1, 3]], attrs: { posWeight: [1, 2] } });
    expect(pw).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
  });

  it('BCEWithLogits is finite for huge logits', () => {
    const x = ints([1, 4], [1e4, -1e4, 1e4, -1e4]);
    const t = ints([1, 4], [1, 0, 0, 1]);
    expect(scalarOut(op('BCEWithLogitsLoss'), [x, t])).toBeCloseTo(2e4 / 4, 3);
  });

  it('L1 has zero gradient where prediction equals target; Huber matches its closed form', () => {
    const l1 = runOp(op('L1Loss'), { inputs: [ints([1, 2], [1, 2]), ints([1, 2], [1, 0])], noGrad: [1] });
    expect(Array.from(l1.dInputs[0]!.data)).toEqual([0, 0.5]);
    const h = scalarOut(op('HuberLoss'), [ints([1, 2], [0.5, 3]), ints([1, 2], [0, 0])]);
    expect(h).toBeCloseTo((0.5 * 0.25 + (3 - 0.5)) / 2, 7);
  });
});
