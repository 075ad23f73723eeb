import { applyNormalization } from '../../core/data';
import { cpuGradientPass, explainPrediction } from '../../core/explain/explain';
import { columnAttributions, featureAttributions, textAttributions, type ColumnAttribution, type TextAttribution } from '../../core/explain/attribution';
import { tableWidth } from '../../core/data/table-encoding';
import type { TrainedModel } from '../../core/export/model';
import type { Backend } from '../../core/backend/types';
import type { ParamsOf, ResultOf } from '../../protocol';
import { compact } from '../probes';
import { checkFinite, textSample } from './predict';

/**
 * `model.explain` for one sample of `model` (a live run's current weights or a loaded model's) on
 * `backend`: the input in the dataset's units (or a typed text, encoded by the model's tokenizer)
 * gets the model's normalisation, as `predictSample`'s.
 */
export async function explainSample(model: TrainedModel, featureShape: readonly number[], params: Omit<ParamsOf<'model.explain'>, 'runId'>, backend: Backend): Promise<ResultOf<'model.explain'>> {
  // A typed text is encoded as `model.predict` encodes it (the model's tokenizer), and is raw input.
  const input = params.text !== undefined ? textSample({ featureShape, ...(model.tokenizer ? { tokenizer: model.tokenizer } : {}) }, params.text) : params.input;
  const normalized = params.text === undefined && params.normalized;
  const size = featureShape.reduce((a, b) => a * b, 1);
  if (input.length !== size) {
    throw Object.assign(new Error(`The model takes ${size} values per sample (shape [${featureShape.join(', ')}]); got ${input.length}.`), { code: 'E_PREDICT_SHAPE' });
  }
  const x = Float32Array.from(input);
  if (!normalized && model.normalization) applyNormalization(model.normalization, x, x.length);
  checkFinite(x, 'input', input);
  const e = await explainPrediction(
    model,
    x,
    { method: params.method, normalization: model.normalization ?? null, ...(params.target !== undefined ? { target: params.target } : {}), ...(params.layer ? { layer: params.layer } : {}), ...(params.samples ? { samples: params.samples } : {}) },
    cpuGradientPass(model, backend),
  );
  checkFinite([e.score], 'output');
  checkFinite(e.values, 'explanation');
  const common = { values: Array.from(e.values, compact), target: e.target, score: compact(e.score), layers: e.layers };
  if (e.method === 'gradcam') return { kind: 'gradcam', ...common, shape: e.shape, layer: e.layer };
  return { kind: e.kind, ...common, shape: e.kind === 'features' ? e.shape : [e.values.length], ...inputsNamed(model, featureShape, e.values, input, params.text) };
}

/**
 * The scores given back in what the user gave (core/explain/attribution.ts): a text model's per
 * word or character through its tokenizer, a table model's per column through its table encoding,
 * a vector's per feature; an image's stay per pixel (`values`).
 */
function inputsNamed(model: TrainedModel, featureShape: readonly number[], scores: Float32Array, input: readonly number[], text: string | undefined): Pick<ResultOf<'model.explain'>, 'columns' | 'text'> {
  const t = model.tokenizer;
  const compactText = (a: TextAttribution) => ({ unit: a.unit, pieces: a.pieces.map((p) => ({ text: p.text, value: p.value === null ? null : compact(p.value) })) });
  if (t && t.features !== 'context' && featureShape.length === 1 && featureShape[0] === t.length) return { text: compactText(textAttributions(scores, t, input, text)) };
  const compactColumns = (c: ColumnAttribution[]) => c.map((a) => ({ name: a.name, value: compact(a.value) }));
  if (model.table && tableWidth(model.table) === scores.length) return { columns: compactColumns(columnAttributions(scores, model.table)) };
  if (featureShape.length === 1 && scores.length === featureShape[0]) return { columns: compactColumns(featureAttributions(scores)) };
  return {};
}
