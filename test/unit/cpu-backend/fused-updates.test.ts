/**
 * The CPU backend's optimizer kernels (kernels/optim.wat, printed by optim-gen.ts from each
 * optimizer's declared update) against the reference loop printed from the same statements.
 *
 * NOTE (tolerance): the kernels compute in float32 in the statements' order (PyTorch's, as PyTorch
 * computes on the CPU); the reference computes each element in float64 and rounds at the stores.
 * Each step differs by float32 rounding, a few ulps on the scale of the inputs (m = β1·m + (1−β1)·g
 * can cancel to near 0, so element-wise relative error is meaningless there). Over 5 steps we
 * assert max |a − b| ≤ 2e-6 × the tensor's scale (max |w| for the weights; for a state slot the
 * larger of its own and the gradient's, squared where the slot holds squares), or the bound the
 * optimizer's file declares for a form (centered RMSprop: 1e-5, rmsprop.ts says why).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OptimizerConfig } from '../../../src-engine/base/ir/types';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { OPTIMIZER_DEFS, createOptimizer, type OptimParam } from '../../../src-engine/core/optim';
import { updateKernelName } from '../../../src-engine/core/elementwise/update';
import { resolveSettings } from '../../../src-engine/core/optim/declared';
import { OPTIM_WAT_PATH, optimWat } from '../../../src-engine/node/cpu/kernels/optim-gen';
import { tensor } from '../../../src-engine/base/tensor';
import { Rng } from '../../../src-engine/base/rng';
import { optimizerCases } from '../optim-golden-cases';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

/** max |a − b| / max(max |b|, floor) (Infinity on NaN). */
function scaledError(a: Float32Array, b: Float32Array, floor = 0): number {
  let e = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= e)) e = Number.isNaN(d) ? Infinity : d;
  }
  return e / scale;
}

/**
 * One setting per form of every optimizer, from its file's `testDomain` (the settings that pick the
 * form, and its bound); an optimizer declaring none runs its `plain` form at its defaults. Each form
 * with no settings declared is a line saying which file to edit.
 */
function declaredForms(): { forms: [string, OptimizerConfig, number][]; missing: string[] } {
  const forms: [string, OptimizerConfig, number][] = [];
  const missing: string[] = [];
  for (const d of OPTIMIZER_DEFS) {
    for (const form of Object.keys(d.update.forms)) {
      const declared = d.testDomain?.forms[form] ?? (form === 'plain' && !d.testDomain ? { settings: { lr: d.knownGoodLr } } : undefined);
      if (!declared) missing.push(`src-engine/core/optim/${d.kind}.ts: declare testDomain.forms.${form} (the settings that pick its form ${form})`);
      else forms.push([`${d.kind} ${form}`, { kind: d.kind, ...declared.settings } as OptimizerConfig, declared.tolerance ?? 2e-6]);
    }
  }
  return { forms, missing };
}
const FORMS = declaredForms().forms;

/** Two parameters of n values (the second without decay), on the heap or in plain arrays. */
function params(n: number, heap: boolean, seed: number): OptimParam[] {
  const arr = (src: Float32Array): Float32Array => {
    if (!heap) return Float32Array.from(src);
    const a = cpu.alloc(src.length);
    a.set(src);
    return a;
  };
  return [0, 1].map((k) => ({ nodeId: 'p', name: String(k), value: tensor([n], arr(randn(n, seed + k))), grad: tensor([n], arr(new Float32Array(n))), decay: k === 0 }));
}

describe('CPU backend optimizer kernels', () => {
  it('optim.wat is what kernels/optim-gen.ts writes from the declarations (run it, then scripts/build-kernels.mjs), one kernel per form, each in the backend', () => {
    expect(readFileSync(OPTIM_WAT_PATH, 'utf8')).toBe(optimWat());
    const { missing } = declaredForms();
    expect(missing, `forms the tests cannot run:\n${missing.join('\n')}`).toEqual([]);
    // Each form's declared settings pick that form, and the backend has its kernel.
    for (const [label, cfg] of FORMS) {
      const def = OPTIMIZER_DEFS.find((d) => d.kind === cfg.kind)!;
      const form = label.slice(cfg.kind.length + 1);
      expect(def.update.pick(resolveSettings(def, cfg as never) as never), `${label}: the settings declared for it pick it`).toBe(form);
      expect(cpu.fusedUpdate(updateKernelName(cfg.kind, form)), label).toBeTypeOf('function');
    }
    expect(cpu.fusedUpdate('update_nothing_plain')).toBeUndefined();
  });

  for (const [label, cfg, bound] of FORMS) {
    for (const [n, heap] of [[7, false], [1001, true]] as [number, boolean][]) {
      it(`${label}, ${n} values${heap ? '' : ' (outside the heap)'}: the kernel matches the reference loop over 5 steps`, () => {
        const ref = params(n, false, 1);
        const got = params(n, heap, 1);
        const a = createOptimizer(cfg, ref);
        const b = createOptimizer(cfg, got, cpu);
        let gMax = 0;
        for (let t = 1; t <= 5; t++) {
          for (let k = 0; k < 2; k++) {
            const g = randn(n, 10 * t + k, t === 3 ? 1e-4 : 1);
            for (const v of g) gMax = Math.max(gMax, Math.abs(v));
            ref[k].grad.data.set(g);
            got[k].grad.data.set(g);
          }
          a.step(t === 4 ? cfg.lr / 2 : undefined);
          b.step(t === 4 ? cfg.lr / 2 : undefined);
        }
        const sa = a.state(true).slots;
        const sb = b.state(true).slots;
        for (let k = 0; k < 2; k++) {
          // (maxima computed here, not with toEqual: a diff of 100k-element arrays takes minutes)
          expect(scaledError(got[k].value.data, ref[k].value.data), `w ${k}`).toBeLessThan(bound);
          for (const [slot, want] of Object.entries(sa[`p.${k}`])) {
            const squares = /Sq|square|sum/.test(slot);
            expect(scaledError(sb[`p.${k}`][slot] as Float32Array, want as Float32Array, squares ? gMax * gMax : gMax), `${slot} ${k}`).toBeLessThan(bound);
          }
          // Not vacuous: the steps moved the weights by far more than the tolerance.
          expect(scaledError(ref[k].value.data, randn(n, 1 + k))).toBeGreaterThan(1e-4);
        }
      });
    }
  }
});

/** Bitwise equality of two float arrays (NaN payloads aside), without vitest's slow array diff. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

describe('CPU backend optimizer kernels: every parameter in shared parallel rounds', () => {
  // Sizes: on the caller alone (1, 7 outside the heap, 1001), split (6,000 in 2 tasks, 100,003 in
  // 8), and enough more split items (8 × 8 tasks) to need a second round of MAX_TASKS = 63.
  const sizes = [1, 7, 1001, 6000, 100_003, ...Array<number>(8).fill(16_387)];
  // Split parameters run in tasks (the per-form checks above use one task each): one kernel with L2
  // decay and AMSGrad's extra slot, and one with a first-step scalar (SGD's momentum).
  for (const [label, cfg] of FORMS.filter(([l]) => l === 'adam amsgrad' || l === 'sgd momentum')) {
    it(`${label}: the same bits as one optimizer per parameter, in two rounds a step`, () => {
      const build = (): OptimParam[] =>
        sizes.map((n, i) => {
          const arr = (src: Float32Array): Float32Array => {
            if (n === 7) return Float32Array.from(src);
            const a = cpu.alloc(n);
            a.set(src);
            return a;
          };
          return { nodeId: 'p', name: String(i), value: tensor([n], arr(randn(n, 100 + i))), grad: tensor([n], arr(new Float32Array(n))), decay: i % 2 === 0 };
        });
      const one = build();
      const many = build();
      const alone = one.map((p) => createOptimizer(cfg, [p], cpu));
      const together = createOptimizer(cfg, many, cpu);
      let roundsMany = 0;
      for (let t = 1; t <= 3; t++) {
        sizes.forEach((n, i) => {
          const g = randn(n, 1000 * t + i);
          one[i].grad.data.set(g);
          many[i].grad.data.set(g);
        });
        for (const o of alone) o.step();
        const l0 = cpu.launches;
        together.step();
        roundsMany += cpu.launches - l0;
      }
      const sa = together.state(true).slots;
      const so = alone.map((o) => o.state(true).slots);
      sizes.forEach((_, i) => {
        expect(firstDifference(many[i].value.data, one[i].value.data), `item ${i} w`).toBe(-1);
        for (const [slot, a] of Object.entries(sa[`p.${i}`])) expect(firstDifference(a as Float32Array, so[i][`p.${i}`][slot] as Float32Array), `item ${i} ${slot}`).toBe(-1);
      });
      // Two rounds of at most 63 tasks per step, however many parameters.
      expect(roundsMany).toBe(3 * 2);
    });
  }
});

describe('CPU backend optimizers match PyTorch 1.13 for 5 steps (the goldens of engine/optim-golden.test.ts)', () => {
  // The bound of the GPU's golden test (gpu/optim-golden.test.ts): these kernels compute in float32 as its do.
  for (const c of optimizerCases()) {
    it(c.case, () => {
      const ps: OptimParam[] = c.params.map((p) => {
        const value = tensor(p.shape, cpu.alloc(p.data.length));
        value.data.set(p.data);
        return { nodeId: 'fc', name: p.name, value, grad: tensor(p.shape, cpu.alloc(p.data.length)), decay: p.decay };
      });
      const opt = createOptimizer(c.config, ps, cpu);
      c.grads.forEach((stepGrads, s) => {
        ps.forEach((p, i) => p.grad.data.set(stepGrads[i]));
        opt.step();
        ps.forEach((p, i) =>
          c.trajectory[s][i].forEach((want, j) => {
            const tol = 1e-4 * Math.abs(want) + 1e-6;
            if (!(Math.abs(p.value.data[j] - want) <= tol)) expect.fail(`${p.name}[${j}] after step ${s + 1}: got ${p.value.data[j]}, PyTorch ${want}`);
          }),
        );
      });
    });
  }
});
