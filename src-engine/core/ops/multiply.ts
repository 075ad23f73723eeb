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
 * The squeeze-excite case: one input has the output's shape, the other its leading dims and 1s
 * after ([N, C, 1, 1] against [N, C, H, W]), so each of its values scales one contiguous block.
 */
function gateBlock(a: readonly number[], b: readonly number[], out: readonly number[]): { gateIsB: boolean; block: number } | undefined {
  const blockOf = (full: readonly number[], gate: readonly number[]) => {
    if (full.join() !== out.join()) return undefined;
    let k = gate.length;
    while (k > 0 && gate[k - 1] === 1 && out[k - 1] !== 1) k--;
    return gate.slice(0, k).every((d, i) => d === out[i]) && gate.slice(k).every((d) => d === 1) ? out.slice(k).reduce((p, d) => p * d, 1) : undefined;
  };
  const ofB = blockOf(a, b);
  if (ofB !== undefined) return { gateIsB: true, block: ofB };
  const ofA = blockOf(b, a);
  return ofA !== undefined ? { gateIsB: false, block: ofA } : undefined;
}

/** For each output element, the index it reads in an input of `shape` broadcast to `out`. */
function sourceIndex(shape: readonly number[], out: readonly number[]): Int32Array {
  const n = out.reduce((p, d) => p * d, 1);
  const idx = new Int32Array(n);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  for (let o = 0; o < n; o++) {
    let rest = o;
    let src = 0;
    for (let i = out.length - 1; i >= 0; i--) {
      const c = rest % out[i];
      rest = (rest - c) / out[i];
      if (shape[i] !== 1) src += c * strides[i];
    }
    idx[o] = src;
  }
  return idx;
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
  attrs: {},
  inferShape({ inputs }) {
    const [a, b] = inputs;
    const out = broadcast(a, b);
    if (!out) return fail(ShapeCode.MISMATCH, `Multiply needs inputs of the same rank whose dims are equal or 1 in one of them; got ${fmt(a)} and ${fmt(b)}.`);
    return ok(out);
  },
  flops: ({ output }) => perSample(output),
  forward({ inputs, output }) {
    const [a, b] = inputs;
    const y = output.data;
    if (a.data.length === y.length && b.data.length === y.length) {
      for (let i = 0; i < y.length; i++) y[i] = a.data[i] * b.data[i];
      return;
    }
    const gate = gateBlock(a.shape, b.shape, output.shape);
    if (gate) {
      const [x, g] = gate.gateIsB ? [a.data, b.data] : [b.data, a.data];
      for (let i = 0; i < y.length; i++) y[i] = x[i] * g[Math.floor(i / gate.block)];
      return;
    }
    const ia = sourceIndex(a.shape, output.shape);
    const ib = sourceIndex(b.shape, output.shape);
    for (let i = 0; i < y.length; i++) y[i] = a.data[ia[i]] * b.data[ib[i]];
  },
  backward({ inputs, output, dOutput, dInputs }) {
    const [a, b] = inputs;
    const dy = dOutput.data;
    const gate = gateBlock(a.shape, b.shape, output.shape);
    if (gate) {
      const [x, g] = gate.gateIsB ? [a.data, b.data] : [b.data, a.data];
      const [dx, dg] = gate.gateIsB ? dInputs : [dInputs[1], dInputs[0]];
      for (let i = 0; i < dy.length; i++) {
        const j = Math.floor(i / gate.block);
        if (dx) dx.data[i] += dy[i] * g[j];
        if (dg) dg.data[j] += dy[i] * x[i];
      }
      return;
    }
    const ia = sourceIndex(a.shape, output.shape);
    const ib = sourceIndex(b.shape, output.shape);
    const [da, db] = dInputs;
    if (da) for (let i = 0; i < dy.length; i++) da.data[ia[i]] += dy[i] * b.data[ib[i]];
    if (db) for (let i = 0; i < dy.length; i++) db.data[ib[i]] += dy[i] * a.data[ia[i]];
  },
});
