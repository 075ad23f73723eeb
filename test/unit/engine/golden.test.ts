/**
 * Every PyTorch golden fixture under test/golden/ops (layers from gen_layers.py, activations and
 * losses from E2's generator) run through the op the registry names, on the reference backend.
 * Tolerance: |a − b| ≤ 1e-4·max(1, |b|) per element (harness.compareGolden).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getOp } from '../../../src-engine/ops/registry';
import { checkGolden, loadGoldens } from './harness';

const DIR = join(__dirname, '..', '..', 'golden', 'ops');
const goldens = loadGoldens(DIR);

describe('PyTorch goldens', () => {
  it('the fixture folder is not empty', () => {
    expect(goldens.length).toBeGreaterThan(20);
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
