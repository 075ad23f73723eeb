import type { ErrorCode } from '../../base/errors';
import { fail, fmt, ok, ShapeCode } from './shape-util';
import type { ShapeResult } from './types';

/**
 * Helpers shared by the loss ops: target shape rules and runtime label checks. Not an op;
 * nothing here is registered.
 */

/** Stable code of a runtime failure: a class label outside [0, classes) or not an integer. */
export const LABEL_RANGE = 'E_LABEL_RANGE';

/** Where a loss's target comes from, for messages. */
export const TARGET_SOURCE = "the Input node with source 'target'";

/** Batch dims are equal when either is still unknown (−1). */
function sameDim(a: number, b: number, isBatch: boolean): boolean {
  return a === b || (isBatch && (a < 0 || b < 0));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => sameDim(d, b[i], i === 0));
}

/**
 * Shape rule of an elementwise loss (MSE, L1, Huber, BCE): prediction and target must have the
 * same shape; `[N, 1]` against `[N]` is accepted both ways (one value per sample either way).
 * The output is a scalar `[]`.
 */
export function elementwiseLossShape(op: string, pred: readonly number[] | undefined, target: readonly number[] | undefined): ShapeResult {
  if (!pred || !target) return fail(ShapeCode.MISMATCH, `${op} needs two inputs: the prediction and the target (${TARGET_SOURCE}).`);
  const squeeze = (s: readonly number[]): readonly number[] => (s.length === 2 && s[1] === 1 ? [s[0]] : s);
  if (sameShape(pred, target) || sameShape(squeeze(pred), squeeze(target))) return ok([]);
  const perSample = pred.slice(1);
  return fail(
    ShapeCode.MISMATCH,
    `${op}: the prediction is ${fmt(pred)} but the target is ${fmt(target)}; they must have the same shape. ` +
      `The target comes from ${TARGET_SOURCE}: set its shape to [${perSample.join(', ')}], or change the layer that feeds the loss.`,
  );
}

/** A runtime error with a stable `code` (the executor and the protocol pass `code` on to the UI). */
export function opError(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
