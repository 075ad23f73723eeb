import { tensor, type Tensor } from '../../../base/tensor';
import type { OpBackwardContext, OpForwardContext } from '../types';
import { conv2dKernel } from './conv2d';
import { conv1d, as2d } from '../conv1d';
import { defineKernel } from './kernel';

/** [N, C, L] as [N, C, 1, L] (the same values), and a weight [O, C/g, k] as [O, C/g, 1, k]. */
const view = (t: Tensor, at: number): Tensor => tensor([...t.shape.slice(0, at), 1, ...t.shape.slice(at)], t.data);

const params2d = (p: Readonly<Record<string, Tensor>>) => Object.fromEntries(Object.entries(p).map(([k, t]) => [k, k === 'weight' ? view(t, 2) : t]));

function ctx2d<C extends OpForwardContext>(ctx: C): C {
  return { ...ctx, inputs: [view(ctx.inputs[0], 2)], output: view(ctx.output, 2), params: params2d(ctx.params), attrs: as2d(ctx.attrs) };
}

/** Conv1d's reference kernels (the op's declaration: ops/conv1d.ts). */
export const conv1dKernel = defineKernel(conv1d, {
  forward: (ctx) => conv2dKernel.forward(ctx2d(ctx)),
  backward: (ctx: OpBackwardContext) => {
    const c = ctx2d(ctx);
    conv2dKernel.backward!({ ...c, dOutput: view(ctx.dOutput, 2), dInputs: ctx.dInputs.map((d) => d && view(d, 2)), dParams: params2d(ctx.dParams) });
  },
});
