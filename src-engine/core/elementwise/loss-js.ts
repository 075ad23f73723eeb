/**
 * The reference kernels of a pointwise loss, printed from its declaration (loss.ts) as JavaScript
 * (float64, rounded once when stored, as every op file's reference kernel) and compiled once per
 * op on first use: the forward sums the terms in index order in float64; each backward adds
 * `scale·∂term/∂input` into the gradient it writes, scale = dLoss/N for a mean.
 *
 * NOTE: compiled with `new Function` on first use, in the engine's process only, as js.ts.
 */
import { erf, sigmoid, softplus } from '../ops/special';
import type { Attrs, OpBackwardContext, OpForwardContext } from '../ops/types';
import { gradient } from './expr';
import { printJs } from './js';
import { gradientScale, lossGradients, lossParams, reduced, type PointwiseLossDecl } from './loss';

/** A loss loop: prediction, target, the gradient written (backward), the scale, p per class, q. */
type LossLoop = (x: Float32Array, t: Float32Array, d: Float32Array | undefined, g: number, P: readonly number[], q: number) => number;

const LEAVES = { x: 'v', x2: 'w', p: 'p', q: 'q', dy: 'g' };

/** The loop's head: the inputs at i, and p (per class: at i mod the classes). */
function head(perClass: boolean): string {
  return `  const v = x[i];\n  const w = t[i];\n${perClass ? '  const p = P[i % P.length];\n' : ''}`;
}

/** The forward loop's source: `Σ term(x[i], t[i])` in float64, in index order. */
export function lossForwardSource(term: Parameters<typeof printJs>[0], perClass: boolean): string {
  const { lines, result } = printJs(term, LEAVES);
  return `${perClass ? '' : 'const p = P[0];\n'}let sum = 0;\nfor (let i = 0; i < x.length; i++) {\n${head(perClass)}${lines.map((l) => `  ${l}\n`).join('')}  sum += ${result};\n}\nreturn sum;`;
}

/** A backward loop's source: `d[i] += g·∂term/∂input`. */
export function lossBackwardSource(partial: Parameters<typeof printJs>[0], perClass: boolean): string {
  const { lines, result } = printJs(gradient(partial), LEAVES);
  return `${perClass ? '' : 'const p = P[0];\n'}for (let i = 0; i < x.length; i++) {\n${head(perClass)}${lines.map((l) => `  ${l}\n`).join('')}  d[i] += ${result};\n}\nreturn 0;`;
}

function compile(body: string): LossLoop {
  const make = new Function('erf', 'sigmoid', 'softplus', `return function lossKernel(x, t, d, g, P, q) {\n${body}\n};`) as (...fns: unknown[]) => LossLoop;
  return make(erf, sigmoid, softplus);
}

type Kernels = { forward(ctx: OpForwardContext): void; backward(ctx: OpBackwardContext): void };

/** The reference `forward` and `backward` of a pointwise loss, printed from its declaration. */
export function lossReferenceKernels(decl: PointwiseLossDecl): Kernels {
  const perClass = decl.perClass !== undefined;
  let loops: { forward: LossLoop; prediction: LossLoop; target: LossLoop } | undefined;
  const compiled = () => {
    if (loops) return loops;
    const g = lossGradients(decl);
    return (loops = {
      forward: compile(lossForwardSource(decl.term, perClass)),
      prediction: compile(lossBackwardSource(g.prediction, perClass)),
      target: compile(lossBackwardSource(g.target, perClass)),
    });
  };
  const params = (attrs: Attrs) => lossParams(decl, attrs);
  return {
    forward({ inputs, output, attrs }) {
      const { p, q } = params(attrs);
      const x = inputs[0].data;
      output.data[0] = reduced(decl.reduction, compiled().forward(x, inputs[1].data, undefined, 0, p, q), x.length, inputs[0].shape[0]);
    },
    backward({ inputs, dOutput, dInputs, attrs }) {
      const { p, q } = params(attrs);
      const x = inputs[0].data;
      const g = gradientScale(decl.reduction, dOutput.data[0], x.length, inputs[0].shape[0]);
      const [dp, dt] = dInputs;
      if (dp) compiled().prediction(x, inputs[1].data, dp.data, g, p, q);
      if (dt) compiled().target(x, inputs[1].data, dt.data, g, p, q);
    },
  };
}

/**
 * A pointwise loss's declaration with its reference kernels printed from it: what its op file
 * spreads into `defineOp` (`...pointwiseLoss({ term: abs(sub(prediction, target)), reduction: 'mean' })`).
 */
export function pointwiseLoss(decl: PointwiseLossDecl): { pointwiseLoss: PointwiseLossDecl } & Kernels {
  return { pointwiseLoss: decl, ...lossReferenceKernels(decl) };
}
