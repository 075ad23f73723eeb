/**
 * The op suite run against the WebAssembly CPU backend: for every registered op, (1) a
 * finite-difference gradient check through this backend, (2) forward and backward compared with
 * the reference backend, and (3) every PyTorch golden fixture (test/golden/ops, when present).
 *
 * NOTE (tolerances): gradchecks use the same bounds as the reference suite (5e-3 smooth, 1e-2
 * through normalisations; see harness.gradcheck). Reference-vs-CPU comparisons allow 1e-5 scaled
 * error: GEMM sums in a different order (blocked, four lanes, FMA where relaxed SIMD is on), which
 * moves results by float32 reassociation only (≈ k·2⁻²⁴ relative for the small k used here).
 * Goldens use the harness default (1e-4), the same as for the reference backend.
 *
 * The cases and the skip list are engine/op-suite-cases.ts's (the GPU runs them too).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { getOp } from '../../../src-engine/core/ops/registry';
import { checkGolden, gradcheck, loadGoldens, runOp } from '../engine/harness';
import { allCases, missingCases } from '../engine/op-suite-cases';
import { scaledDiff } from './scaled-diff';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

describe('op suite on the CPU (WebAssembly) backend', () => {
  it('every registered op has a case or an explicit skip', () => {
    const missing = missingCases();
    expect(missing, `ops the suite cannot test yet:\n${missing.join('\n')}`).toEqual([]);
    // An op without one is named by the file to edit.
    expect(missingCases(allCases().filter((c) => c.op !== 'Linear'))).toEqual([
      'src-engine/core/ops/linear.ts: declare testDomain.shapes (its canonical case\'s input shapes), or add a case to CASES / a reason to SKIP in test/unit/engine/op-suite-cases.ts',
    ]);
  });

  for (const c of allCases()) {
    const def = getOp(c.op)!;
    it(`gradcheck: ${c.label}`, async () => {
      const r = await gradcheck(def, { seed: 5, ...c.opts, backend: cpu });
      expect(r.checked).toBeGreaterThan(0);
      expect(r.maxError, r.worst).toBeLessThan(c.tol);
    });
    it(`matches the reference backend: ${c.label}`, () => {
      const ref = runOp(def, { seed: 5, ...c.opts, backend: createReferenceBackend() });
      const got = runOp(def, { seed: 5, ...c.opts, backend: cpu });
      expect(scaledDiff(got.output.data, ref.output.data), 'output').toBeLessThan(1e-5);
      ref.dInputs.forEach((d, i) => {
        if (d) expect(scaledDiff(got.dInputs[i]!.data, d.data), `dInputs[${i}]`).toBeLessThan(1e-5);
      });
      for (const [k, v] of Object.entries(ref.dParams)) expect(scaledDiff(got.dParams[k].data, v.data), `dParams.${k}`).toBeLessThan(1e-5);
      for (const [k, v] of Object.entries(ref.buffers)) expect(scaledDiff(got.buffers[k].data, v.data), `buffers.${k}`).toBeLessThan(1e-5);
    });
  }

  const goldenDir = join(__dirname, '../../golden/ops');
  const goldens = existsSync(goldenDir) ? loadGoldens(goldenDir) : [];
  for (const g of goldens) {
    const def = getOp(g.op);
    if (!def) continue;
    it(`PyTorch golden: ${g.file ?? g.case}`, () => {
      for (const r of checkGolden(def, g, cpu)) expect(r.ok, r.message).toBe(true);
    });
  }
});
