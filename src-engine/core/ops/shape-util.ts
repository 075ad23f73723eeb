import type { Conv2dGeometry } from '../backend/primitives';
import { formatShape } from '../../base/tensor';
import type { ErrorCode } from '../../base/errors';
import type { Attrs, InitKind, ShapeArgs, ShapeResult } from './types';
import type { AttrSpec } from '../../catalog/attr-spec';

/**
 * Helpers shared by the layer ops' shape rules and kernels: stable error codes, attr readers and
 * window geometry. Not an op; nothing here is registered.
 */

/** Stable codes of shape-rule failures (docs/ir.md lists them). */
export const ShapeCode = {
  /** The input has the wrong number of dims for this op. */
  RANK: 'E_RANK',
  /** Two inputs, or an input and the op's attrs, disagree on a size. */
  MISMATCH: 'E_SHAPE_MISMATCH',
  /** An attr is out of the range this input allows (a kernel larger than the image, …). */
  ATTR_RANGE: 'E_ATTR_RANGE',
  /** The op would produce an empty output (a window that does not fit). */
  EMPTY: 'E_OUTPUT_EMPTY',
} as const;

export function ok(shape: number[]): ShapeResult {
  return { ok: true, shape };
}

export function fail(code: ErrorCode, message: string): ShapeResult {
  return { ok: false, code, message };
}

/** `2×28×28` with the batch dim shown as `N`. */
export const fmt = formatShape;

export function intAttr(attrs: Attrs, name: string): number {
  return attrs[name] as number;
}

export function floatAttr(attrs: Attrs, name: string): number {
  return attrs[name] as number;
}

export function boolAttr(attrs: Attrs, name: string): boolean {
  return attrs[name] as boolean;
}

/** A pair attr (`kernelSize`, `stride`, …); a single value means the same for height and width. */
export function pairAttr(attrs: Attrs, name: string, fallback?: readonly number[]): [number, number] {
  let v = attrs[name] as readonly number[] | number | undefined;
  if (typeof v === 'number') v = [v];
  if (!v || v.length === 0) v = fallback ?? [];
  return [v[0], v.length > 1 ? v[1] : v[0]];
}

/** Shape rule of elementwise ops: the output has the input's shape. */
export function sameShape({ inputs }: ShapeArgs): ShapeResult {
  return ok([...inputs[0]]);
}

/** Per-sample size: product of dims 1.. (the batch dim excluded). */
export function perSample(shape: readonly number[]): number {
  let n = 1;
  for (let i = 1; i < shape.length; i++) n *= shape[i];
  return n;
}

/** The `init` attr shared by Linear and the convolutions. */
export const WEIGHT_INIT_ATTR: AttrSpec = {
  kind: 'enum',
  default: 'torch_default',
  values: ['torch_default', 'he_uniform', 'he_normal', 'xavier_uniform', 'xavier_normal', 'zeros'],
  doc: "Weight initialisation. torch_default = PyTorch's (U(±1/√fanIn), bias too); with any other choice the bias starts at zero.",
};

/** Bias init that goes with a weight init: PyTorch's U(±1/√fanIn) for torch_default, zeros otherwise. */
export function biasInit(weightInit: string): InitKind {
  return weightInit === 'torch_default' ? 'torch_bias' : 'zeros';
}

/** Output size of a sliding window (PyTorch's floor formula, ceil_mode = false). */
export function windowOut(size: number, kernel: number, stride: number, pad: number, dilation = 1): number {
  return Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

export function convGeometry(
  channels: number,
  height: number,
  width: number,
  k: readonly [number, number],
  s: readonly [number, number],
  p: readonly [number, number],
  d: readonly [number, number],
  outH: number,
  outW: number,
): Conv2dGeometry {
  return {
    channels, height, width,
    kernelH: k[0], kernelW: k[1],
    strideH: s[0], strideW: s[1],
    padH: p[0], padW: p[1],
    dilationH: d[0], dilationW: d[1],
    outH, outW,
  };
}

/** Checks an image input is `[N, C, H, W]`; returns a failure naming the op and the shape otherwise. */
export function expectImage(op: string, shape: readonly number[]): ShapeResult | null {
  if (shape.length === 4) return null;
  const hint = shape.length === 2 ? ' — add a Reshape to [C, H, W] before it' : shape.length === 3 ? ' — is the channel dim missing? Reshape to [1, H, W]' : '';
  return fail(ShapeCode.RANK, `${op} expects an image batch [N, C, H, W]; got ${fmt(shape)}${hint}.`);
}

/** An attribute as a node card shows it: lists as `3×3`, the rest as text; `?` when unset. */
export function showAttr(v: unknown): string {
  return v === undefined ? '?' : Array.isArray(v) ? v.join('×') : String(v);
}

/** Divergence advice for ops whose weights can grow until their output blows up (Linear, convolutions). */
export function weightsBlewUp(nodeId: string): string {
  return `the weights of ${nodeId} grew until its output blew up. BatchNorm after it or gradient clipping also help.`;
}
