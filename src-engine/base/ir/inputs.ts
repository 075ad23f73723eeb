import type { NodeIR } from './types';

/**
 * The graph's inputs: `Input` nodes, fed by the trainer (the dataset's features, or the target a
 * loss compares against) or by the caller of a plan. The one place outside the op files that knows
 * the op's name: everything else asks these helpers.
 */
export const INPUT_OP = 'Input';

/** Whether `node` is a graph input (an `Input` node; a sampled source such as Noise is not). */
export function isGraphInput(node: Pick<NodeIR, 'op'>): boolean {
  return node.op === INPUT_OP;
}

/** Whether `node` is an Input the dataset's features feed (`source` "features", the default), not a target. */
export function isFeatureInput(node: Pick<NodeIR, 'op' | 'attrs'>): boolean {
  return isGraphInput(node) && (node.attrs.source ?? 'features') === 'features';
}

/** Whether `node` is an Input the targets feed (`source` "target": labels, or the clean features of an autoencoder). */
export function isTargetInput(node: Pick<NodeIR, 'op' | 'attrs'>): boolean {
  return isGraphInput(node) && node.attrs.source === 'target';
}

/** Every graph input, in node order. */
export function graphInputs<N extends Pick<NodeIR, 'op'>>(graph: { readonly nodes: readonly N[] }): N[] {
  return graph.nodes.filter(isGraphInput);
}

/** Every feature Input, in node order (a graph the trainer can feed has exactly one). */
export function featureInputs<N extends Pick<NodeIR, 'op' | 'attrs'>>(graph: { readonly nodes: readonly N[] }): N[] {
  return graph.nodes.filter(isFeatureInput);
}

/** The graph's feature Input: the first one, or undefined when it has none. */
export function featureInput<N extends Pick<NodeIR, 'op' | 'attrs'>>(graph: { readonly nodes: readonly N[] }): N | undefined {
  return graph.nodes.find(isFeatureInput);
}

/** Every target Input, in node order (at most one for the trainer). */
export function targetInputs<N extends Pick<NodeIR, 'op' | 'attrs'>>(graph: { readonly nodes: readonly N[] }): N[] {
  return graph.nodes.filter(isTargetInput);
}

/** Per-sample shape of an Input (its `shape` attribute; [1] when unset, the op's default). */
export function inputShape(node: Pick<NodeIR, 'attrs'>): number[] {
  return [...((node.attrs.shape as readonly number[] | undefined) ?? [1])];
}

