import { applyNormalization } from '../../core/data';
import { cpuGradientPass, explainPrediction } from '../../core/explain/explain';
import type { TrainedModel } from '../../core/export/model';
import type { Backend } from '../../core/backend/types';
import type { ParamsOf, ResultOf } from '../../protocol';
import { compact } from '../probes';

/**
 * `model.explain` for one sample of `model` (a live run's current weights or a loaded model's) on
 * `backend`: the input in the dataset's units gets the model's normalisation, as `predictSample`'s.
 */
export async function explainSample(model: TrainedModel, featureShape: readonly number[], params: Omit<ParamsOf<'model.explain'>, 'runId'>, backend: Backend): Promise<ResultOf<'model.explain'>> {
  const size = featureShape.reduce((a, b) => a * b, 1);
  if (params.input.length !== size) {
    throw Object.assign(new Error(`The model takes ${size} values per sample (shape [${featureShape.join(', ')}]); got ${params.input.length}.`), { code: 'E_PREDICT_SHAPE' });
  }
  const x = Float32Array.from(params.input);
  if (!params.normalized && model.normalization) applyNormalization(model.normalization, x, x.length);
  const e = await explainPrediction(
    model,
    x,
    { method: params.method, normalization: model.normalization ?? null, ...(params.target !== undefined ? { target: params.target } : {}), ...(params.layer ? { layer: params.layer } : {}), ...(params.samples ? { samples: params.samples } : {}) },
    cpuGradientPass(model, backend),
  );
  const common = { values: Array.from(e.values, compact), target: e.target, score: compact(e.score), layers: e.layers };
  if (e.method === 'gradcam') return { kind: 'gradcam', ...common, shape: e.shape, layer: e.layer };
  return { kind: e.kind, ...common, shape: e.kind === 'features' ? e.shape : [e.values.length] };
}
