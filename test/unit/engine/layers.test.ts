/** Layer ops: shape rules and their error codes, parameter specs, and Dropout's statistics. */
import { describe, expect, it } from 'vitest';
import { add } from '../../../src-engine/core/ops/add';
import { batchNorm } from '../../../src-engine/core/ops/batch-norm';
import { concat } from '../../../src-engine/core/ops/concat';
import { conv2d } from '../../../src-engine/core/ops/conv2d';
import { convTranspose2d } from '../../../src-engine/core/ops/conv-transpose2d';
import { dropout } from '../../../src-engine/core/ops/dropout';
import { flatten } from '../../../src-engine/core/ops/flatten';
import { input } from '../../../src-engine/core/ops/input';
import { layerNorm } from '../../../src-engine/core/ops/layer-norm';
import { linear } from '../../../src-engine/core/ops/linear';
import { maxPool2d } from '../../../src-engine/core/ops/max-pool2d';
import { listOps } from '../../../src-engine/core/ops/registry';
import { reshape } from '../../../src-engine/core/ops/reshape';
import type { Attrs, OpDef } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor } from '../../../src-engine/base/tensor';
import { runOp, withDefaults } from './harness';

function shapeOf(def: OpDef, inputs: number[][], attrs: Attrs = {}) {
  return def.inferShape({ inputs, attrs: withDefaults(def, attrs) });
}

describe('shape rules', () => {
  it('keep the unknown batch (-1) and compute per-sample dims', () => {
    expect(shapeOf(input, [], { shape: [1, 28, 28] })).toEqual({ ok: true, shape: [-1, 1, 28, 28] });
    expect(shapeOf(conv2d, [[-1, 1, 28, 28]], { outChannels: 8, kernelSize: [5, 5], padding: [2, 2] })).toEqual({ ok: true, shape: [-1, 8, 28, 28] });
    expect(shapeOf(maxPool2d, [[-1, 8, 28, 28]])).toEqual({ ok: true, shape: [-1, 8, 14, 14] });
    expect(shapeOf(convTranspose2d, [[-1, 4, 7, 7]], { outChannels: 2, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 1] })).toEqual({
      ok: true,
      shape: [-1, 2, 14, 14],
    });
    expect(shapeOf(flatten, [[-1, 8, 14, 14]])).toEqual({ ok: true, shape: [-1, 1568] });
    expect(shapeOf(reshape, [[-1, 784]], { shape: [1, 28, -1] })).toEqual({ ok: true, shape: [-1, 1, 28, 28] });
    expect(shapeOf(concat, [[-1, 3, 4], [-1, 5, 4]])).toEqual({ ok: true, shape: [-1, 8, 4] });
  });

  it('Linear on an image says to add a Flatten, naming the shape', () => {
    const r = shapeOf(linear, [[-1, 1, 28, 28]]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('E_RANK');
    expect(r.message).toContain('N×1×28×28');
    expect(r.message).toContain('Flatten');
  });

  it('Conv2d: rank, groups, and a kernel that does not fit', () => {
    expect(shapeOf(conv2d, [[-1, 784]])).toMatchObject({ ok: false, code: 'E_RANK' });
    expect(shapeOf(conv2d, [[-1, 3, 8, 8]], { groups: 2 })).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
    const r = shapeOf(conv2d, [[-1, 1, 2, 2]], { kernelSize: [3, 3] });
    expect(r).toMatchObject({ ok: false, code: 'E_OUTPUT_EMPTY' });
  });

  it('ConvTranspose2d: groups must divide channels; outputPadding must be below stride or dilation', () => {
    expect(shapeOf(convTranspose2d, [[-1, 3, 4, 4]], { groups: 2, outChannels: 4 })).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
    expect(shapeOf(convTranspose2d, [[-1, 2, 4, 4]], { stride: [1, 1], outputPadding: [1, 0] })).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
    // Allowed when dilation exceeds it (PyTorch's rule): (4−1)·1 + 2·(2−1) + 1 + 1 = 7.
    expect(shapeOf(convTranspose2d, [[-1, 2, 4, 4]], { outChannels: 2, stride: [1, 1], dilation: [2, 2], outputPadding: [1, 0] })).toEqual({ ok: true, shape: [-1, 2, 7, 6] });
  });

  it('Add and Concat name both shapes on a mismatch', () => {
    const a = shapeOf(add, [[-1, 3], [-1, 4]]);
    expect(a).toMatchObject({ ok: false, code: 'E_SHAPE_MISMATCH' });
    if (!a.ok) expect(a.message).toMatch(/N×3.*N×4/);
    const c = shapeOf(concat, [[-1, 3, 4], [-1, 5, 5]]);
    expect(c).toMatchObject({ ok: false, code: 'E_SHAPE_MISMATCH' });
    expect(shapeOf(concat, [[-1, 3]], { axis: 0 })).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
  });

  it('Reshape and LayerNorm reject impossible attrs', () => {
    expect(shapeOf(reshape, [[-1, 10]], { shape: [3, -1] })).toMatchObject({ ok: false, code: 'E_SHAPE_MISMATCH' });
    expect(shapeOf(reshape, [[-1, 10]], { shape: [-1, -1] })).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
    expect(shapeOf(reshape, [[-1, 10]], { shape: [2, 4] })).toMatchObject({ ok: false, code: 'E_SHAPE_MISMATCH' });
    expect(shapeOf(layerNorm, [[-1, 10]], { normalizedDims: 2 })).toMatchObject({ ok: false, code: 'E_ATTR_RANGE' });
    expect(shapeOf(batchNorm, [[-1, 1, 2, 3, 4]])).toMatchObject({ ok: false, code: 'E_RANK' });
  });
});

describe('parameter specs', () => {
  it("Linear and Conv2d use PyTorch's layouts and fans, and the init attr", () => {
    const args = { inputs: [[-1, 20]], attrs: withDefaults(linear, { outFeatures: 5 }) };
    expect(linear.params!(args)).toEqual([
      { name: 'weight', shape: [5, 20], init: 'torch_default', fanIn: 20, fanOut: 5, decay: true },
      { name: 'bias', shape: [5], init: 'torch_bias', fanIn: 20, fanOut: 5, decay: false },
    ]);
    const he = linear.params!({ inputs: [[-1, 20]], attrs: withDefaults(linear, { outFeatures: 5, init: 'he_normal' }) });
    expect(he.map((p) => p.init)).toEqual(['he_normal', 'zeros']);
    const conv = conv2d.params!({ inputs: [[-1, 4, 8, 8]], attrs: withDefaults(conv2d, { outChannels: 6, groups: 2 }) });
    expect(conv[0]).toMatchObject({ shape: [6, 2, 3, 3], fanIn: 18, fanOut: 54 });
    const convT = convTranspose2d.params!({ inputs: [[-1, 4, 8, 8]], attrs: withDefaults(convTranspose2d, { outChannels: 6 }) });
    expect(convT[0]).toMatchObject({ shape: [4, 6, 2, 2], fanIn: 24, fanOut: 16 });
  });

  it('every registered op declares attrs with a doc line and a shape rule', () => {
    for (const op of listOps()) {
      expect(typeof op.inferShape).toBe('function');
      for (const [k, spec] of Object.entries(op.attrs)) expect(spec.doc.length, `${op.name}.${k}`).toBeGreaterThan(5);
    }
  });
});

describe('Dropout (PyTorch RNG cannot be matched: statistics instead of goldens)', () => {
  const x = tensor([200, 100], new Float32Array(20000).fill(1));

  it('train mode keeps ≈(1−p) of the values, scaled by 1/(1−p), and backward uses the same mask', () => {
    const p = 0.3;
    const r = runOp(dropout, { inputs: [x], attrs: { p }, training: true, seed: 9 });
    const kept = r.output.data.filter((v) => v !== 0);
    // 20000 Bernoulli(0.7) draws: std of the kept fraction is √(0.21/20000) ≈ 0.0032; allow 5σ.
    expect(Math.abs(kept.length / 20000 - (1 - p))).toBeLessThan(0.016);
    for (const v of kept) expect(v).toBeCloseTo(1 / (1 - p), 6);
    // Expectation preserved (inverted dropout): mean ≈ 1.
    const mean = r.output.data.reduce((a, b) => a + b, 0) / 20000;
    expect(Math.abs(mean - 1)).toBeLessThan(0.03);
    // dOutput = ones: dx equals the mask, i.e. the output for x = 1.
    expect(Array.from(r.dInputs[0]!.data)).toEqual(Array.from(r.output.data));
  });

  it('the same seed gives the same mask; another seed a different one', () => {
    const a = runOp(dropout, { inputs: [x], attrs: { p: 0.5 }, training: true, seed: 1 }).output.data;
    const b = runOp(dropout, { inputs: [x], attrs: { p: 0.5 }, training: true, seed: 1 }).output.data;
    const c = runOp(dropout, { inputs: [x], attrs: { p: 0.5 }, training: true, seed: 2 }).output.data;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('eval mode is the identity; p = 1 zeroes everything in train mode', () => {
    const rng = new Rng(3);
    const y = tensor([4, 5], Float32Array.from({ length: 20 }, () => rng.normal()));
    const e = runOp(dropout, { inputs: [y], attrs: { p: 0.9 }, training: false });
    expect(Array.from(e.output.data)).toEqual(Array.from(y.data));
    expect(Array.from(e.dInputs[0]!.data)).toEqual(new Array(20).fill(1));
    const all = runOp(dropout, { inputs: [y], attrs: { p: 1 }, training: true });
    expect(all.output.data.every((v) => v === 0)).toBe(true);
  });
});

describe('MaxPool2d tie and NaN rules (PyTorch CPU: first maximum wins, NaN propagates)', () => {
  /** The definition, for any window geometry: first maximum in row-major order, NaN wins. */
  function naive(x: Float32Array, h: number, w: number, k: number, s: number, p: number): { y: number[]; arg: number[] } {
    const oh = Math.floor((h + 2 * p - k) / s) + 1;
    const ow = Math.floor((w + 2 * p - k) / s) + 1;
    const y: number[] = [];
    const arg: number[] = [];
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let best = -Infinity;
        let idx = -1;
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const yy = oy * s - p + i;
            const xx = ox * s - p + j;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            const v = x[yy * w + xx];
            if (idx < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
              best = v;
              idx = yy * w + xx;
            }
          }
        y.push(best);
        arg.push(idx);
      }
    return { y, arg };
  }

  for (const [k, s, p] of [
    [2, 2, 0], // the unrolled fast path
    [3, 2, 1], // the general loop
  ]) {
    it(`kernel ${k}, stride ${s}, padding ${p}: ties on ReLU-like data and a NaN`, () => {
      const rng = new Rng(k * 10 + p);
      const h = 6;
      const w = 6;
      // Rounded, half-zero values: many exact ties, as after a ReLU.
      const x = Float32Array.from({ length: h * w }, () => Math.max(0, Math.round(rng.normal() * 2)));
      x[14] = NaN;
      const r = runOp(maxPool2d, { inputs: [tensor([1, 1, h, w], x)], attrs: { kernelSize: [k, k], stride: [s, s], padding: [p, p] } });
      const want = naive(x, h, w, k, s, p);
      expect(Array.from(r.output.data)).toEqual(want.y.map((v) => Math.fround(v)));
      expect(Array.from(r.workspace.argmax.data)).toEqual(want.arg);
      // Each output's gradient goes to exactly its argmax.
      const dx = Array.from(r.dInputs[0]!.data);
      expect(dx.reduce((a, b) => a + b, 0)).toBe(want.y.length);
      for (const i of want.arg) expect(dx[i]).toBeGreaterThan(0);
    });
  }
});

