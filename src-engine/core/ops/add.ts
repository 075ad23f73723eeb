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
  forward({ inputs, output }) {
    const y = output.data;
    y.set(inputs[0].data);
    for (let k = 1; k < inputs.length; k++) {
      const x = inputs[k].data;
      for (let i = 0; i < y.length; i++) y[i] += x[i];
    }
  },
  backward({ dOutput, dInputs }) {
    const dy = dOutput.data;
    for (const dx of dInputs) {
      if (!dx) continue;
      for (let i = 0; i < dy.length; i++) dx.data[i] += dy[i];
    }
  },
});
