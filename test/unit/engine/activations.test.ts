import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getOp, listOps } from '../../../src-engine/core/ops/registry';
import { erf, sigmoid as sigma, softplus } from '../../../src-engine/core/ops/special';
import type { Attrs, OpDef } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { gradcheck, runOp } from './harness';
import { referenceKernel } from '../../../src-engine/core/ops/kernels/registry';

const op = (name: string): OpDef => {
  const def = getOp(name);
  if (!def) throw new Error(`${name} is not registered`);
  return def;
};

/** Distinct values `step` apart in random order, centred on 0 but never exactly 0 (kinks). */
function spaced(shape: number[], step: number, seed: number): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = (i - t.data.length / 2 + 0.5) * step;
  new Rng(seed).shuffle(t.data);
  return t;
}

const t1 = (values: number[]): Tensor => tensor([1, values.length], Float32Array.from(values));

describe('erf', () => {
  it('matches Python math.erf within 2e-7 relative over [−6, 6] and tiny arguments', () => {
    const table = JSON.parse(readFileSync(new URL('../../golden/special/erf.json', import.meta.url), 'utf8')) as {
      x: number[];
      erf: number[];
    };
    let worst = 0;
    table.x.forEach((x, i) => {
      const want = table.erf[i];
      const rel = want === 0 ? Math.abs(erf(x)) : Math.abs(erf(x) - want) / Math.abs(want);
      worst = Math.max(worst, rel);
    });
    // Documented bound in special.ts: < ~1.2e-7 relative (Numerical Recipes erfcc beyond 0.5, series below).
    expect(worst).toBeLessThan(2e-7);
    expect(erf(0)).toBe(0);
    expect(erf(-0.3)).toBe(-erf(0.3));
  });

  it('sigmoid and softplus are finite and precise at extreme arguments', () => {
    expect(sigma(1000)).toBe(1);
    expect(sigma(-1000)).toBe(0);
    expect(sigma(-80) / Math.exp(-80)).toBeCloseTo(1, 12);
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-80) / Math.exp(-80)).toBeCloseTo(1, 12);
  });
});

describe('activation gradchecks (finite differences, reference backend)', () => {
  const cases: [string, string, Attrs, Tensor][] = [
    ['ReLU', 'ReLU', {}, spaced([3, 8], 0.1, 1)],
    ['LeakyReLU', 'LeakyReLU', {}, spaced([3, 8], 0.1, 2)],
    ['LeakyReLU slope 0.3', 'LeakyReLU', { negativeSlope: 0.3 }, spaced([3, 8], 0.1, 3)],
    ['ELU', 'ELU', {}, spaced([3, 8], 0.15, 4)],
    ['ELU alpha 2', 'ELU', { alpha: 2 }, spaced([3, 8], 0.15, 5)],
    ['Sigmoid', 'Sigmoid', {}, spaced([3, 8], 0.3, 6)],
    ['Tanh', 'Tanh', {}, spaced([3, 8], 0.2, 7)],
    ['GELU exact', 'GELU', {}, spaced([4, 10], 0.15, 8)],
    ['GELU tanh', 'GELU', { approximate: 'tanh' }, spaced([4, 10], 0.15, 9)],
    ['SiLU', 'SiLU', {}, spaced([3, 8], 0.3, 10)],
    ['Softmax last', 'Softmax', {}, spaced([3, 6], 0.2, 11)],
    ['Softmax axis 1 of 3-D', 'Softmax', { axis: 1 }, spaced([2, 4, 3], 0.2, 12)],
    ['Softmax axis −2 of 4-D', 'Softmax', { axis: -2 }, spaced([2, 2, 3, 2], 0.2, 13)],
  ];
  for (const [label, name, attrs, x] of cases) {
    it(label, async () => {
      const r = await gradcheck(op(name), { inputs: [x], attrs, eps: 1e-2 });
      expect(r.checked).toBe(x.data.length);
      expect(r.maxError, r.worst).toBeLessThan(5e-3);
    });
  }
});

describe('every activation in the registry passes a gradcheck at its default attributes', () => {
  // Read from the registry, not a list: an activation added with one op file and one registry
  // line is checked here without touching this test.
  const acts = listOps().filter((d) => d.category === 'activations');
  it('the registry has the activations', () => {
    expect(acts.map((d) => d.name)).toEqual(expect.arrayContaining(['ReLU', 'Sigmoid', 'Tanh', 'Softplus']));
  });
  acts.forEach((def, k) => {
    it(def.name, async () => {
      const x = spaced([3, 8], 0.25, 100 + k);
      const r = await gradcheck(def, { inputs: [x], attrs: {}, eps: 1e-2 });
      // Every input value, and every learned parameter (PReLU's slopes) where the op has some.
      const params = (def.params?.({ inputs: [x.shape], attrs: {} }) ?? []).reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
      expect(r.checked).toBe(x.data.length + params);
      expect(r.maxError, r.worst).toBeLessThan(5e-3);
    });
  });
});

describe('activation semantics', () => {
  it("relu'(0) = 0 and leaky_relu'(0) = slope, as PyTorch", () => {
    const x = t1([0, -0, 2, -2]);
    const dOutput = t1([1, 1, 1, 1]);
    expect(Array.from(runOp(op('ReLU'), { inputs: [x], dOutput }).dInputs[0]!.data)).toEqual([0, 0, 1, 0]);
    const leaky = runOp(op('LeakyReLU'), { inputs: [x], dOutput, attrs: { negativeSlope: 0.25 } });
    expect(Array.from(leaky.dInputs[0]!.data)).toEqual([0.25, 0.25, 1, 0.25]);
  });

  it('ReLU passes NaN through so divergence stays visible; ±∞ and blocked ∞ gradients as PyTorch', () => {
    const r = runOp(op('ReLU'), { inputs: [t1([NaN, -Infinity, Infinity, -0, -3])], dOutput: t1([1, Infinity, 1, NaN, -Infinity]) });
    expect(Array.from(r.output.data)).toEqual([NaN, 0, Infinity, 0, 0]);
    expect(Array.from(r.dInputs[0]!.data)).toEqual([0, 0, 1, 0, 0]);
  });

  it('backward adds into dInputs (fan-out accumulates)', () => {
    for (const name of ['ReLU', 'LeakyReLU', 'ELU', 'Sigmoid', 'Tanh', 'GELU', 'SiLU', 'Softmax']) {
      const def = op(name);
      const x = spaced([2, 5], 0.3, 3);
      const once = runOp(def, { inputs: [x] });
      // Run backward again into the same dInputs: the result must double.
      const dx = once.dInputs[0]!;
      const before = Float32Array.from(dx.data);
      referenceKernel(def).backward!({
        inputs: [x], output: once.output, params: {}, buffers: {}, workspace: once.workspace, attrs: { ...defaultsOf(def) },
        training: true, rng: new Rng(0), backend: undefined as never,
        dOutput: tensor(once.output.shape, new Float32Array(once.output.data.length).fill(1)), dInputs: [dx], dParams: {},
      });
      dx.data.forEach((v, i) => expect(v, name).toBeCloseTo(2 * before[i], 5));
    }
  });

  it('softmax stays finite for huge scores and rows sum to 1', () => {
    const y = runOp(op('Softmax'), { inputs: [t1([1e30, -1e30, 88, 1e4])], forwardOnly: true }).output.data;
    expect(Array.from(y)).toEqual([1, 0, 0, 0]);
    const z = runOp(op('Softmax'), { inputs: [spaced([4, 7], 3, 2)], forwardOnly: true }).output.data;
    for (let r = 0; r < 4; r++) expect(z.slice(r * 7, r * 7 + 7).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('sigmoid, SiLU, GELU and tanh give exact limits, not NaN, far out', () => {
    const x = t1([-1e4, 1e4]);
    const run = (name: string, attrs: Attrs = {}) => Array.from(runOp(op(name), { inputs: [x], attrs }).output.data);
    expect(run('Sigmoid')).toEqual([0, 1]);
    expect(run('SiLU')).toEqual([-0, 1e4]);
    expect(run('GELU')).toEqual([-0, 1e4]);
    expect(run('GELU', { approximate: 'tanh' })).toEqual([-0, 1e4]);
    expect(run('Tanh')).toEqual([-1, 1]);
  });

  it('Softmax rejects the batch axis and out-of-range axes with E_ATTR_RANGE', () => {
    const sm = op('Softmax');
    const bad0 = sm.inferShape({ inputs: [[-1, 10]], attrs: { axis: 0 } });
    expect(bad0).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
    expect(!bad0.ok && bad0.message).toMatch(/batch axis/);
    expect(sm.inferShape({ inputs: [[-1, 10]], attrs: { axis: 2 } })).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
    expect(sm.inferShape({ inputs: [[-1]], attrs: { axis: -1 } })).toMatchObject({ ok: false, code: 'E_RANK' });
    expect(sm.inferShape({ inputs: [[-1, 3, 4]], attrs: { axis: -2 } })).toEqual({ ok: true, shape: [-1, 3, 4] });
  });
});

function defaultsOf(def: OpDef): Attrs {
  return Object.fromEntries(Object.entries(def.attrs).map(([k, s]) => [k, s.default]));
}
