/**
 * Issue #45: elementwise maths written once (core/elementwise). The expression language's
 * derivative rules and gradient form, the backends printed from one declaration, the tables
 * derived from the registry, and Mish — added as one declaration in its op file — in the palette,
 * on every backend (its training, ONNX and PyTorch round trip are in new-activation.test.ts).
 * Its PyTorch goldens (test/golden/ops/act_mish.json) run in golden.test.ts and the op suites, its
 * gradcheck in activations.test.ts (every registered activation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from '../../../src-engine/core/elementwise/expr';
import { backwardSource, binaryReferenceKernels, elementwise, forwardSource } from '../../../src-engine/core/elementwise/js';
import { simdKinds, simdOps } from '../../../src-engine/core/elementwise/simd';
import { wgslOf } from '../../../src-engine/core/gpu/kernels/activations';
import { CPU_KERNEL_OPS, HAND_CPU_KERNEL_OPS, coverageOf } from '../../../src-engine/core/backend/coverage';
import { getOp, listOps } from '../../../src-engine/core/ops/registry';
import { kernelFor } from '../../../src-engine/core/ops/kernel-set';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { Rng } from '../../../src-engine/base/rng';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

describe('the expression language', () => {
  it('derives with one rule per primitive and folds what the chain rule leaves', () => {
    // d/dx x·tanh(softplus(x)) = tanh(sp(x)) + x·(1 − tanh²(sp(x)))·σ(x)
    const mish = E.mul(E.x, E.tanh(E.softplus(E.x)));
    const t = E.tanh(E.softplus(E.x));
    expect(E.keyOf(E.derivative(mish))).toBe(E.keyOf(E.add(t, E.mul(E.x, E.mul(E.tanhGrad(t), E.sigmoid(E.x))))));
    // ReLU: max's derivative takes x's side only where x > 0 (relu'(0) = 0, as PyTorch)
    expect(E.keyOf(E.derivative(E.max(E.x, 0)))).toBe(E.keyOf(E.select(E.gt(E.x, 0), 1, 0)));
    // ELU: the constant branch and p's derivative fold away
    expect(E.keyOf(E.derivative(E.select(E.gt(E.x, 0), E.x, E.mul(E.p, E.expm1(E.x)))))).toBe(E.keyOf(E.select(E.gt(E.x, 0), 1, E.mul(E.p, E.exp(E.x)))));
  });

  it('multiplies dy into select branches, so a blocked branch passes exactly 0 even for an infinite dy', () => {
    const g = E.gradient(E.select(E.gt(E.x, 0), 1, 0));
    expect(E.keyOf(g)).toBe(E.keyOf(E.select(E.gt(E.x, 0), E.dy, 0)));
    const relu = getOp('ReLU')!;
    const dx = tensor([3]);
    relu.backward!({ inputs: [tensor([3], Float32Array.from([-1, 0, 2]))], output: tensor([3]), dOutput: tensor([3], Float32Array.from([Infinity, NaN, 5])), dInputs: [dx], attrs: {} } as never);
    expect(Array.from(dx.data)).toEqual([0, 0, 5]);
  });

  it('reads the saved output where the derivative is written in it (Tanh), and prints each backend from the same tree', () => {
    const tanh = simdKinds().find((k) => k.op === 'Tanh')!;
    expect(tanh.usesOutput).toBe(true);
    expect(E.keyOf(tanh.backward)).toBe(E.keyOf(E.tanhGrad(E.y)));
    expect(backwardSource(tanh.backward)).toContain('dx[i] += (dy[i] * (1 - y[i] * y[i]))');
    expect(forwardSource(getOp('ReLU')!.elementwise!.forms.main.forward)).toContain('Math.max(v, 0)');
    // WGSL has no saved output: y is the forward again.
    expect(wgslOf(getOp('Tanh')!.elementwise!, 'main').gradient).toBe('(dy * (1.0 - tanhSafe(x) * tanhSafe(x)))');
  });
});

describe('binary declarations', () => {
  /** L = Σ w·f(a, b) over the output, in float64, through the printed reference forward. */
  const loss = (k: ReturnType<typeof binaryReferenceKernels>, a: Tensor, b: Tensor, out: number[], w: Float32Array): number => {
    const y = tensor(out);
    k.forward({ inputs: [a, b], output: y, attrs: {} } as never);
    return y.data.reduce((s, v, i) => s + v * w[i], 0);
  };

  it('derives both inputs\' gradients, which match finite differences with each input broadcast along a different axis', () => {
    // f = x·σ(x2) − x2/(1 + x²): both partials read both inputs.
    const decl = { forms: { main: { forward: E.sub(E.mul(E.x, E.sigmoid(E.x2)), E.div(E.x2, E.add(1, E.mul(E.x, E.x)))) } }, binary: {}, cost: 1 };
    expect(E.keyOf(E.derivative(E.mul(E.x, E.x2), 'x2'))).toBe(E.keyOf(E.x));
    const k = binaryReferenceKernels(decl);
    const rng = new Rng(7);
    const randn = (shape: number[]) => tensor(shape, Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal()));
    // a [2, 3, 1] and b [2, 1, 4] broadcast against each other (out [2, 3, 4]), then b [2, 3, 4] against a gate a [2, 1, 1].
    for (const [sa, sb] of [
      [[2, 3, 1], [2, 1, 4]],
      [[2, 1, 1], [2, 3, 4]],
    ]) {
      const out = sa.map((d, i) => Math.max(d, sb[i]));
      const [a, b] = [randn(sa), randn(sb)];
      const w = randn(out).data;
      const [da, db] = [tensor(sa), tensor(sb)];
      k.backward({ inputs: [a, b], output: tensor(out), dOutput: tensor(out, w), dInputs: [da, db], attrs: {} } as never);
      for (const [t, d] of [
        [a, da],
        [b, db],
      ]) {
        for (let i = 0; i < t.data.length; i++) {
          const v = t.data[i];
          const h = 1e-2;
          t.data[i] = v + h;
          const up = loss(k, a, b, out, w);
          t.data[i] = v - h;
          const down = loss(k, a, b, out, w);
          t.data[i] = v;
          // float32 storage of y: central differences good to ~1e-3 at h = 1e-2.
          expect(Math.abs(d.data[i] - (up - down) / (2 * h)), `${sa} × ${sb} at ${i}`).toBeLessThan(5e-3 * (1 + Math.abs(d.data[i])));
        }
      }
    }
  });

  it('refuses a variadic declaration whose derivative reads an input (the fold would need each step\'s value)', () => {
    expect(() => elementwise({ forms: { main: { forward: E.mul(E.x, E.x2) } }, binary: { variadic: true }, cost: 1 })).toThrow(/variadic/);
  });
});

describe('tables derived from the registry', () => {
  it('gives every declared op a generated CPU kernel unless it keeps a hand one, and lists it among the CPU kernels', () => {
    // The f32x4 generator is unary: a binary declaration (Add, Multiply) keeps its hand kernel or runs its reference.
    const declared = listOps().filter((d) => d.elementwise && !d.elementwise.handCpuKernel && !d.elementwise.binary).map((d) => d.name);
    expect(simdOps().sort()).toEqual(declared.sort());
    for (const op of simdOps()) {
      expect(CPU_KERNEL_OPS).toContain(op);
      expect(kernelFor(cpu.overrides, op), op).toBeDefined();
    }
    expect(CPU_KERNEL_OPS).toEqual(expect.arrayContaining([...HAND_CPU_KERNEL_OPS]));
    // one kind code per form, in order (GELU has two)
    expect(simdKinds().map((k) => k.kind)).toEqual(simdKinds().map((_, i) => i));
    expect(simdKinds().filter((k) => k.op === 'GELU').map((k) => k.form)).toEqual(['none', 'tanh']);
  });
});

describe('Mish, one declaration', () => {
  it('is in the palette, with every backend and both exporters covered', () => {
    expect(listOps().filter((d) => d.category === 'activations').map((d) => d.name)).toContain('Mish');
    expect(coverageOf('Mish')).toMatchObject({ reference: true, cpu: true, gpu: true, onnxExport: true, onnxImport: ['Mish'], pytorch: true, gaps: [] });
  });

});
