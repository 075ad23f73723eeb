/**
 * The expression language's `log` (a primitive: its rule 1/u, JavaScript's Math.log, WGSL's log) and
 * `sign` (composed of selects, so every printer lowers it), as KLDivLoss and Lion use them, and
 * `batchmean`, the reduction that divides a loss's sum by the batch (KLDivLoss's).
 */
import { describe, expect, it } from 'vitest';
import * as E from '../../../src-engine/core/elementwise/expr';
import { printJs } from '../../../src-engine/core/elementwise/js';
import { divisor, gradientScale, reduced } from '../../../src-engine/core/elementwise/loss';
import { printWgsl } from '../../../src-engine/core/gpu/kernels/activations';

/** `e` as a float64 JavaScript function of x, as the reference kernels print it. */
function js(e: E.Expr): (x: number) => number {
  const { lines, result } = printJs(e, { x: 'x' });
  return new Function('x', `${lines.join('\n')}\nreturn ${result};`) as (x: number) => number;
}

describe('log and sign in the expression language', () => {
  it('sign is torch.sign (1.13, CPU): 0 for ±0 and NaN, +0 not −0; its derivative is 0', () => {
    const sign = js(E.sign(E.x));
    const got = [NaN, -0, 0, -2, 3, -Infinity, 1e-40].map(sign);
    expect(got).toEqual([0, 0, 0, -1, 1, -1, 1]);
    expect(Object.is(sign(-0), 0)).toBe(true);
    expect(E.keyOf(E.derivative(E.sign(E.x)))).toBe('0');
  });

  it('log is the natural log with derivative 1/u, printed for the reference and the GPU', () => {
    const f = js(E.log(E.x));
    expect([1, Math.E, 0, -1].map(f)).toEqual([0, 1, -Infinity, NaN]);
    const d = js(E.derivative(E.log(E.mul(2, E.x))));
    expect(d(0.25)).toBeCloseTo(4, 12);
    expect(printWgsl(E.log(E.x))).toBe('log(x)');
  });
});

describe('batchmean', () => {
  it('divides the sum of the terms by the batch, where mean divides by every element', () => {
    // 20 terms of a [4, 5] batch summing to 10.
    expect(reduced('batchmean', 10, 20, 4)).toBe(2.5);
    expect(reduced('mean', 10, 20, 4)).toBe(0.5);
    expect(reduced('sum', 10, 20, 4)).toBe(10);
    expect(gradientScale('batchmean', 1, 20, 4)).toBe(0.25);
    expect(divisor('batchmean', 20, 4)).toBe(4);
  });
});
