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
import { backwardSource, forwardSource } from '../../../src-engine/core/elementwise/js';
import { simdKinds, simdOps } from '../../../src-engine/core/elementwise/simd';
import { wgslOf } from '../../../src-engine/core/gpu/kernels/activations';
import { CPU_KERNEL_OPS, HAND_CPU_KERNEL_OPS, coverageOf } from '../../../src-engine/core/backend/coverage';
import { getOp, listOps } from '../../../src-engine/core/ops/registry';
import { kernelFor } from '../../../src-engine/core/ops/kernel-set';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { tensor } from '../../../src-engine/base/tensor';

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

describe('tables derived from the registry', () => {
  it('gives every declared op a generated CPU kernel unless it keeps a hand one, and lists it among the CPU kernels', () => {
    const declared = listOps().filter((d) => d.elementwise && !d.elementwise.handCpuKernel).map((d) => d.name);
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
