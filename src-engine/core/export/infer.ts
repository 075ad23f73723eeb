/**
 * Running a trained model on the reference or a given backend: its plan with the weights loaded,
 * and one batch's inference. Apart from model.ts (what a model is, its checks), which the
 * renderer reads, so that the UI never loads the executor and the ops' kernels.
 */
import { isGraphInput } from '../../base/ir/inputs';
import { checkedOrThrow, type CheckedGraph } from '../analysis/checked';
import { compileGraph, type CompiledGraph } from '../autodiff/executor';
import type { Backend } from '../backend/types';
import { createReferenceBackend } from '../backend/reference';
import { ModelError, type TrainedModel } from './model';

/**
 * Copy a model's weights into a compiled plan of its graph. Every parameter and buffer the plan
 * has must be present with the right size.
 *
 * @throws ModelError naming the first missing or mis-sized tensor.
 */
export function loadWeights(plan: CompiledGraph, model: Pick<TrainedModel, 'params' | 'buffers'>): void {
  const copy = (kind: 'parameter' | 'buffer', from: Record<string, Float32Array>, entries: CompiledGraph['params'] | CompiledGraph['buffers']) => {
    for (const e of entries) {
      const key = `${e.nodeId}.${e.name}`;
      const w = from[key];
      if (!w) throw new ModelError('E_MODEL_WEIGHTS', `The model has no ${kind} "${key}".`);
      if (w.length !== e.value.data.length) throw new ModelError('E_MODEL_WEIGHTS', `The ${kind} "${key}" has ${w.length} values; node "${e.nodeId}" needs ${e.value.data.length}.`);
      e.value.data.set(w);
    }
  };
  copy('parameter', model.params, plan.params);
  copy('buffer', model.buffers, plan.buffers);
}

/** A plan of `model` for `batchSize` samples with its weights and buffers loaded; run it with `plan.forward(false)` (eval mode). */
export function inferencePlan(model: TrainedModel, batchSize: number, backend: Backend = createReferenceBackend(), checked?: CheckedGraph): CompiledGraph {
  // Every weight and buffer is loaded next: none drawn at random first.
  const plan = compileGraph(checked ?? checkedOrThrow(model.graph), { batchSize, backend, seed: 0, init: false });
  loadWeights(plan, model);
  return plan;
}

/**
 * Inference (eval mode: Dropout off, BatchNorm on its running statistics) of a model on one batch.
 * `inputs` are in the network's own units (already normalised); Inputs not given (a loss's
 * target) are zeros. Returns the activation of each requested node, `[batch, ...shape]` flattened.
 *
 * @example
 * ```ts
 * const { fc3 } = inferModel(model, { image: pixels }, 32, ['fc3']);
 * ```
 */
export function inferModel(model: TrainedModel, inputs: Record<string, Float32Array>, batchSize: number, nodes: readonly string[], backend: Backend = createReferenceBackend()): Record<string, Float32Array> {
  const plan = inferencePlan(model, batchSize, backend);
  for (const n of model.graph.nodes) {
    if (!isGraphInput(n)) continue;
    const x = plan.input(n.id).data;
    const given = inputs[n.id];
    if (given && given.length !== x.length) throw new ModelError('E_MODEL_WEIGHTS', `Input "${n.id}" takes ${x.length} values for a batch of ${batchSize}; got ${given.length}.`);
    if (given) x.set(given);
    else x.fill(0);
  }
  plan.forward(false);
  return Object.fromEntries(nodes.map((id) => [id, plan.output(id).data.slice()]));
}
