import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { fail, fmt, ok, ShapeCode, perSample } from './shape-util';
import { defineOp } from './types';
import { dynamic, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';
import { positionalRule } from './positional-embedding';

function addRule(n: OnnxNode, cx: RuleContext): RuleResult {
  if (dynamic(n, cx, 2)) return positionalRule(n, cx) ?? { unsupported: 'adding a constant tensor (outside a Linear layer or a positional table [T, E] on a sequence) is not supported' };
  return { op: 'Add', inputs: [n.input[0], n.input[1]] };
}

/** Elementwise sum of two or more inputs of the same shape (residual connections). */
export const add = defineOp({
  name: 'Add',
  category: 'structure',
  onnx: {
    opType: 'Add',
    note: 'more than two inputs: a chain of Adds, left to right',
    emit(ctx) {
      let sum = ctx.inputs[0];
      for (let i = 1; i < ctx.inputs.length; i++) sum = ctx.node('Add', [sum, ctx.inputs[i]]);
      return sum;
    },
  },
  onnxImport: { Add: addRule },
  torch: { none: 'not a module: forward() adds the inputs (x0 + x1 + …)', expr: '{inputs| + }' },
  doc: 'Elementwise sum of inputs with the same shape (e.g. residual connections).',
  inputs: [{ name: 'x', variadic: true }],
  // Drawn as a residual: the node plus a branch from it, sometimes that branch twice (three inputs).
  testDomain: { graph: { join: { inputs: 3 }, draw: () => ({}) } },
  attrs: {},
  inferShape({ inputs }) {
    const first = inputs[0];
    for (let i = 1; i < inputs.length; i++) {
      const s = inputs[i];
      if (s.length !== first.length || s.some((d, j) => j > 0 && d !== first[j])) {
        return fail(ShapeCode.MISMATCH, `Add needs inputs of the same shape; input 1 is ${fmt(first)} but input ${i + 1} is ${fmt(s)}.`);
      }
    }
    return ok([...first]);
  },
  flops: ({ inputs, output }) => (inputs.length - 1) * perSample(output),
  // NOTE: the CPU backend keeps its hand kernel (shape-ops.ts `addOverride`: elementwise.wat's
  // f32x4 `accumulate`, one pass per input, the same float32 sums): the generated f32x4 kernels are
  // unary, and a binary one would add nothing here — the sum is memory-bound and already SIMD.
  ...elementwise({ forms: { main: { forward: E.add(E.x, E.x2) } }, binary: { variadic: true }, cost: 1, handCpuKernel: true }),
});
