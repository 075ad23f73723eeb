import { describe, expect, it } from 'vitest';
import type { InitKind, ParamSpec } from '../../../src-engine/core/ops/types';
import { initScale, initTensor } from '../../../src-engine/core/params/init';
import { Rng } from '../../../src-engine/base/rng';
import { tensor } from '../../../src-engine/base/tensor';

const N = 200_000;

function sample(init: InitKind, fanIn: number, fanOut: number, seed = 7, n = N): Float32Array {
  const spec: ParamSpec = { name: 'weight', shape: [n], init, fanIn, fanOut, decay: true };
  const t = tensor([n]);
  t.data.fill(123);
  initTensor(t, spec, new Rng(seed));
  return t.data;
}

function stats(d: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of d) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / d.length;
  let ss = 0;
  for (const v of d) ss += (v - mean) ** 2;
  return { mean, std: Math.sqrt(ss / d.length), min, max };
}

// PyTorch's torch.nn.init formulas, written out independently of init.ts.
const uniformCases: [InitKind, number, number, number][] = [
  ['torch_default', 784, 128, 1 / Math.sqrt(784)], // kaiming_uniform(a=√5): √3·√(2/(1+5))/√fanIn
  ['torch_bias', 50, 10, 1 / Math.sqrt(50)],
  ['he_uniform', 300, 100, Math.sqrt(3) * Math.sqrt(2) / Math.sqrt(300)],
  ['xavier_uniform', 300, 100, Math.sqrt(6 / 400)],
];
const normalCases: [InitKind, number, number, number][] = [
  ['he_normal', 300, 100, Math.sqrt(2) / Math.sqrt(300)],
  ['xavier_normal', 300, 100, Math.sqrt(2 / 400)],
];

describe('initTensor', () => {
  for (const [kind, fanIn, fanOut, bound] of uniformCases) {
    it(`${kind}: U(±${bound.toFixed(4)})`, () => {
      const s = stats(sample(kind, fanIn, fanOut));
      expect(initScale({ name: 'w', shape: [1], init: kind, fanIn, fanOut, decay: true })).toBeCloseTo(bound, 12);
      // Uniform(−b, b): std = b/√3; with 200k samples the std error of the mean is ≈ b/√(3N) ≈ 0.0013·b.
      expect(Math.abs(s.mean)).toBeLessThan(0.01 * bound);
      expect(s.std / (bound / Math.sqrt(3))).toBeCloseTo(1, 2);
      expect(s.min).toBeGreaterThanOrEqual(-bound);
      expect(s.max).toBeLessThanOrEqual(bound);
      expect(s.min).toBeLessThan(-0.999 * bound);
      expect(s.max).toBeGreaterThan(0.999 * bound);
    });
  }
  for (const [kind, fanIn, fanOut, std] of normalCases) {
    it(`${kind}: N(0, ${std.toFixed(4)}²)`, () => {
      const d = sample(kind, fanIn, fanOut);
      const s = stats(d);
      expect(Math.abs(s.mean)).toBeLessThan(0.02 * std);
      expect(s.std / std).toBeCloseTo(1, 2);
      // Gaussian tails: about 0.27 % beyond 3σ, none (at this N) beyond 6σ.
      const beyond3 = d.filter((v) => Math.abs(v) > 3 * std).length / d.length;
      expect(beyond3).toBeGreaterThan(0.0015);
      expect(beyond3).toBeLessThan(0.004);
      expect(Math.max(-s.min, s.max)).toBeLessThan(6 * std);
    });
  }

  it('zeros and ones are constants', () => {
    expect(sample('zeros', 1, 1).every((v) => v === 0)).toBe(true);
    expect(sample('ones', 1, 1).every((v) => v === 1)).toBe(true);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    expect(sample('he_normal', 10, 10, 1, 100)).toEqual(sample('he_normal', 10, 10, 1, 100));
    expect(sample('he_normal', 10, 10, 1, 100)).not.toEqual(sample('he_normal', 10, 10, 2, 100));
  });

  it('torch_bias with fanIn 0 is all zeros (PyTorch); weight inits need a positive fan', () => {
    expect(sample('torch_bias', 0, 3).every((v) => v === 0)).toBe(true);
    expect(() => sample('he_uniform', 0, 3)).toThrow(/INIT_BAD_FAN/);
  });
});
