import type { KernelFusion } from '../../../core/backend/fusion';
import type { KernelSet } from '../../../core/ops/kernel-set';
import type { CpuContext } from '../context';
import { linearRows } from '../overrides/linear';

/**
 * Linear → ReLU with the ReLU as the GEMM's epilogue: one parallel round in which each GEMM task
 * fills its block of the Linear output with the bias, multiplies onto it and writes the block's
 * ReLU while it is in cache (`CpuContext.linearForward`), where the ops one by one take a serial
 * bias fill, a round and a ReLU pass over memory. The Linear output is still written (the ReLU's
 * backward reads it), so nothing is left to materialize; the backward is the two ops' own, in
 * order. The results are the same bits as the ops one by one (`fusions.test.ts`).
 */
export function linearReluFusions(cpu: CpuContext, overrides: KernelSet): KernelFusion[] {
  const rows = linearRows(cpu);
  const linear = overrides.Linear!;
  const relu = overrides.ReLU!;
  return [
    {
      ops: ['Linear', 'ReLU'],
      build(steps) {
        const [fc, act] = steps;
        const x = fc.inputs[0];
        const inF = x.shape[x.shape.length - 1];
        const outF = fc.output.shape[fc.output.shape.length - 1];
        const n = x.data.length / inF;
        return {
          forward: () => rows.project(x.data, fc.params.weight.data, fc.params.bias?.data, fc.output.data, n, outF, act.output.data),
          backward() {
            relu.backward!(act);
            linear.backward!(fc);
          },
          // Both written by forward and backward themselves.
          materializeOutputs() {},
          materializeGrads() {},
        };
      },
    },
  ];
}
