import { checkedOrThrow } from '../analysis/checked';
import { compileGraph } from '../autodiff/executor';
import { createReferenceBackend } from '../backend/reference';
import { ExportError } from './bundle';
import type { TrainedModel } from './model';

/**
 * A design's initial weights as a model to export before training (#60: "export a design before
 * training"): the parameters and buffers its run would start from, drawn as training draws them
 * (`compileGraph` with the design's `training.seed`, 1 without one: each node from its own stream),
 * marked `origin.untrained` so every format says what they are. No normalisation and no class
 * names: those come from the data a run reads.
 *
 * @throws ExportError `E_EXPORT_GRAPH` when the design does not compile (the message names why).
 * @example exportFormat('onnx')!.export(initialModel(design), {}) // an .onnx whose metadata says `untrained: true`
 */
export function initialModel(json: unknown): TrainedModel {
  let checked;
  try {
    checked = checkedOrThrow(json);
  } catch (e) {
    throw new ExportError('E_EXPORT_GRAPH', `The design cannot be exported yet: ${(e as Error).message}`);
  }
  const seed = checked.ir.training?.seed ?? 1;
  const plan = compileGraph(checked, { batchSize: 1, backend: createReferenceBackend(), seed, onDemand: true });
  const params: Record<string, Float32Array> = {};
  const buffers: Record<string, Float32Array> = {};
  for (const p of plan.params) params[`${p.nodeId}.${p.name}`] = Float32Array.from(p.value.data);
  for (const b of plan.buffers) buffers[`${b.nodeId}.${b.name}`] = Float32Array.from(b.value.data);
  return { graph: checked.ir, params, buffers, origin: { step: 0, epoch: 0, untrained: true, seed } };
}
