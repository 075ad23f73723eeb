import { describe, expect, it } from 'vitest';
import { listOps } from '../../../src-engine/core/ops/registry';
import { referenceKernel } from '../../../src-engine/core/ops/kernels/registry';

/** Every op runs somewhere: its reference kernels are in ops/kernels/<op>.ts, or (an elementwise op) in its declaration, never both (#45). */
describe('reference kernels', () => {
  it('every registered op has one, in one place', () => {
    for (const op of listOps()) {
      const kernel = referenceKernel(op);
      expect(typeof kernel.forward, op.name).toBe('function');
      if (kernel !== op) expect(op.forward ?? op.backward, `${op.name}: kernels in ops/kernels/ and in its declaration`).toBeUndefined();
    }
  });

  it('a kernel for a differentiable op has a backward', () => {
    for (const op of listOps()) if (op.differentiable !== false) expect(referenceKernel(op).backward, op.name).toBeDefined();
  });
});
