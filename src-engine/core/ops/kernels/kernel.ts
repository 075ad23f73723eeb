import type { OpBackwardContext, OpForwardContext } from '../types';

/**
 * An op's reference kernels: the plain-TypeScript forward and backward every backend falls back
 * to, and the definition the op suite, the gradient checks and the backends' faster kernels are
 * measured against. They live in `ops/kernels/<op>.ts`, apart from the op's declaration
 * (`ops/<op>.ts`), so that what reads declarations only (the renderer's palette, inspector and
 * cards) never loads them.
 */
export interface ReferenceKernel {
  forward(ctx: OpForwardContext): void;
  /** Absent: no gradient flows through the op. */
  backward?(ctx: OpBackwardContext): void;
  /** The backward honours `OpBackwardContext.dInputsFresh` (assigns every element it is told to). */
  assignsFreshGradients?: boolean;
  /** The backward honours `OpBackwardContext.dParamsWanted` (writes no parameter gradient when it is false). */
  skipsUnwantedParamGradients?: boolean;
}

/**
 * Declare the reference kernels of `op` (its declaration, whose name keys the kernel table).
 *
 * @example
 * ```ts
 * export const linearKernel = defineKernel(linear, { forward(ctx) { … }, backward(ctx) { … } });
 * ```
 */
export function defineKernel<const N extends string>(op: { readonly name: N }, kernel: ReferenceKernel): ReferenceKernel & { readonly op: N } {
  return { ...kernel, op: op.name };
}
