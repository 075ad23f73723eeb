import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { fail, fmt, ok, perSample, ShapeCode } from './shape-util';
import { defineOp } from './types';
import { dynamic, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

function mulRule(n: OnnxNode, cx: RuleContext): RuleResult {
  if (dynamic(n, cx, 2)) return { unsupported: 'multiplying by a constant tensor (outside a layer) is not supported' };
  return { op: 'Multiply', inputs: [n.input[0], n.input[1]] };
}

/**
 * The output shape of `a · b` with broadcasting: same rank, each dim equal or 1 in one of them
 * (a squeeze-excite gate [N, C, 1, 1] times features [N, C, H, W]); undefined otherwise.
 */
function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  if (a.length !== b.length) return undefined;
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (i === 0 || a[i] === b[i]) out.push(a[i]);
    else if (a[i] === 1) out.push(b[i]);
    else if (b[i] === 1) out.push(a[i]);
    else return undefined;
  }
  return out;
}

/**
 * Elementwise product of two inputs, broadcasting dims of size 1 (same rank): a gate times the
 * features it scales, as `a * b` in PyTorch (squeeze-excite blocks of MobileNetV3, EfficientNet).
 */
export const multiply = defineOp({
  name: 'Multiply',
  category: 'structure',
  onnx: { opType: 'Mul' },
  onnxImport: { Mul: mulRule },
  torch: { none: 'not a module: forward() multiplies the inputs (a * b)', expr: '{inputs| * }' },
  doc: 'Elementwise product of two inputs; a dim of size 1 in one is repeated (a gate × features).',
  inputs: [{ name: 'a' }, { name: 'b' }],
  // Drawn as a gate: the node times a branch from it.
  testDomain: { graph: { join: { inputs: 2 }, draw: () => ({}) } },
  attrs: {},
  inferShape({ inputs }) {
    const [a, b] = inputs;
    const out = broadcast(a, b);
    if (!out) return fail(ShapeCode.MISMATCH, `Multiply needs inputs of the same rank whose dims are equal or 1 in one of them; got ${fmt(a)} and ${fmt(b)}.`);
    return ok(out);
  },
  flops: ({ output }) => perSample(output),
  // Broadcasting is the printers' (core/elementwise): each input read at its broadcast index, its
  // gradient summed over the dims it was repeated along. The CPU backend's kernel is printed from
  // this too (node/cpu/kernels/broadcast-gen.ts: equal shapes, or one input repeated along the
  // trailing dims, as a gate; other broadcasts run the reference kernel).
  ...elementwise({ forms: { main: { forward: E.mul(E.x, E.x2) } }, binary: {}, cost: 1 }),
});
