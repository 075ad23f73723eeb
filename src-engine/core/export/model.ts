import type { GraphIR } from '../../base/ir/types';
import { compileGraph, type CompiledGraph } from '../autodiff/executor';
import type { Backend } from '../backend/types';
import { createReferenceBackend } from '../backend/reference';
import type { Normalization } from '../data/normalize';
import type { Checkpoint } from '../train/types';

/**
 * A trained network as it leaves (or enters) the app: the graph, its weights, and what inference
 * needs besides them. Every exporter (JSON, ONNX, PyTorch) takes one and every importer makes one
 * (docs/export.md).
 */
export interface TrainedModel {
  /** The graph that was trained (current IR version, its `training` section included). */
  graph: GraphIR;
  /** Trainable tensors, keyed `nodeId.name` as in `Checkpoint.params`. */
  params: Record<string, Float32Array>;
  /** Non-trainable state (BatchNorm running mean/var), keyed `nodeId.name`. */
  buffers: Record<string, Float32Array>;
  /** The input standardisation fitted on the training split, applied before the first layer. */
  normalization?: Normalization;
  /** Class names of a classifier's outputs, in order. */
  classNames?: string[];
  /** Where the weights came from. */
  origin?: { runId?: string; step?: number; epoch?: number; which?: 'last' | 'best' };
  /** Final metrics by split, as the training loop reported them. */
  metrics?: Record<string, Record<string, unknown>>;
}

/** A model from a graph and a checkpoint of it. */
export function modelFromCheckpoint(graph: GraphIR, ck: Pick<Checkpoint, 'params' | 'buffers' | 'step' | 'epoch'>, extra: Omit<TrainedModel, 'graph' | 'params' | 'buffers'> = {}): TrainedModel {
  return { graph, params: ck.params, buffers: ck.buffers, ...extra, origin: { step: ck.step, epoch: ck.epoch, ...extra.origin } };
}

/** Error thrown when a model's weights do not fit its graph. */
export class ModelError extends Error {
  constructor(
    readonly code: 'E_MODEL_WEIGHTS',
    message: string,
  ) {
    super(message);
  }
}

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
  const plan = compileGraph(model.graph, { batchSize, backend, seed: 0 });
  loadWeights(plan, model);
  for (const n of model.graph.nodes) {
    if (n.op !== 'Input') continue;
    const x = plan.input(n.id).data;
    const given = inputs[n.id];
    if (given && given.length !== x.length) throw new ModelError('E_MODEL_WEIGHTS', `Input "${n.id}" takes ${x.length} values for a batch of ${batchSize}; got ${given.length}.`);
    if (given) x.set(given);
    else x.fill(0);
  }
  plan.forward(false);
  return Object.fromEntries(nodes.map((id) => [id, plan.output(id).data.slice()]));
}
