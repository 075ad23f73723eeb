/**
 * Every PyTorch golden fixture under test/golden/ops (layers from gen_layers.py, activations and
 * losses from E2's generator) run through the op the registry names, on the reference backend.
 * Tolerance: |a − b| ≤ 1e-4·max(1, |b|) per element (harness.compareGolden).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getOp } from '../../../src-engine/core/ops/registry';
import { tensor } from '../../../src-engine/base/tensor';
import { checkGolden, compareGolden, loadGoldens } from './harness';

const DIR = join(__dirname, '..', '..', 'golden', 'ops');
const goldens = loadGoldens(DIR);

describe('PyTorch goldens', () => {
  it('the fixture folder is not empty', () => {
    expect(goldens.length).toBeGreaterThan(20);
  });

  it('compareGolden: |a − b| ≤ 1e-4·max(1, |b|), shapes and NaN must match', () => {
    const want = { shape: [3], data: [0.5, 200, NaN] };
    expect(compareGolden('ok', tensor([3], Float32Array.of(0.50009, 200.019, NaN)), want).ok).toBe(true);
    expect(compareGolden('abs', tensor([3], Float32Array.of(0.5002, 200, NaN)), want).ok).toBe(false);
    expect(compareGolden('rel', tensor([3], Float32Array.of(0.5, 200.03, NaN)), want).ok).toBe(false);
    expect(compareGolden('nan', tensor([3], Float32Array.of(0.5, 200, 0)), want).ok).toBe(false);
    expect(compareGolden('shape', tensor([1, 3], Float32Array.of(0.5, 200, NaN)), want).ok).toBe(false);
    expect(compareGolden('missing', null, want).ok).toBe(false);
  });

  for (const g of goldens) {
    it(`${g.case} (${g.op}, ${g.training ? 'train' : 'eval'})`, () => {
      const def = getOp(g.op);
      expect(def, `${g.file}: op "${g.op}" is not in the registry`).toBeDefined();
      const results = checkGolden(def!, g);
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) expect(r.ok, r.message).toBe(true);
    });
  }
});
