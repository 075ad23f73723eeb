import { applyNormalization, encodeWithTokenizer, restoreTargets, type Normalization, type TargetNormalization, type Tokenizer } from '../../core/data';
import { argmax, maskOf, segmentationMask, type GraphBinding, type Predictor } from '../../core/train';
import type { ResultOf } from '../../protocol';
import { compact } from '../probes';
import { hasClasses, showsProbabilities, taskOf } from '../../catalog/tasks';

/** What one prediction reads: a predictor over a batch-1 plan, and how its answer is told. */
export interface PredictionPlan {
  predictor: Predictor;
  task: GraphBinding['task'];
  featureShape: readonly number[];
  normalization: Normalization | null | undefined;
  /** A regression learnt standardised: its output is put back in the target's units before it is answered. */
  targetNormalization?: TargetNormalization;
  classNames: readonly string[];
  /** How the training texts were encoded (a labelled-text set): what a typed text is encoded with. */
  tokenizer?: Tokenizer;
}

/**
 * A typed text as the model's input (the text field of `model.predict` and `model.explain`): encoded as
 * the training texts were, by the model's tokenizer (`encodeText`, core/data/tokenizer.ts) — a
 * live run's, or the one a loaded model file carries.
 *
 * @throws `E_PREDICT_TEXT` for a model not trained on labelled texts (or saved without its tokenizer).
 */
export function textSample(p: Pick<PredictionPlan, 'tokenizer' | 'featureShape'>, text: string): number[] {
  const t = p.tokenizer;
  if (!t || p.featureShape.length !== 1 || p.featureShape[0] !== t.length) {
    throw Object.assign(new Error('This model was not trained on labelled texts (or was saved without its tokenizer): it has no vocabulary to read a typed text with. Pick a test sample.'), { code: 'E_PREDICT_TEXT' });
  }
  return Array.from(encodeWithTokenizer(text, t));
}

/**
 * Throws `E_PREDICT_NOT_FINITE` where `values` (the input as the network reads it, float32 and
 * normalised, or what it answered) hold NaN or ±Infinity: a value past float32's range (1e300 is
 * Infinity there) or an overflow inside the network. The answer cannot carry them: it reached the
 * app as E_PROTOCOL_BAD_RESULT ('The engine's answer … has the wrong shape').
 */
export function checkFinite(values: ArrayLike<number>, what: 'input' | 'output' | 'explanation', input?: readonly number[]): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) continue;
    const message =
      what === 'input'
        ? `Input value ${i} (${input?.[i]}) is ${values[i]} as the network reads it (float32, normalised): a float32 holds up to ±3.4e38. Give values of the range the model was trained on.`
        : `The model's ${what === 'output' ? 'output' : 'explanation'} ${i} for this input is ${values[i]}: an overflow inside the network${what === 'output' ? '' : ' or its gradients'}, or weights that hold NaN or infinities.`;
    throw Object.assign(new Error(message), { code: 'E_PREDICT_NOT_FINITE' });
  }
}

/**
 * `model.predict` for one sample, a live run's (`TrainingSession.predict`) or a loaded model's.
 * `input` is in the dataset's units (pixels in [0, 1] for MNIST) and gets the model's
 * normalisation, unless `normalized` (values already fed to the network: `probeSamples`).
 */
export function predictSample(p: PredictionPlan, input: readonly number[], normalized: boolean): ResultOf<'model.predict'> {
  const { plan, binding } = p.predictor;
  const x = plan.input(binding.featureInput).data;
  if (input.length !== x.length) {
    throw Object.assign(new Error(`The model takes ${x.length} values per sample (shape [${p.featureShape.join(', ')}]); got ${input.length}.`), { code: 'E_PREDICT_SHAPE' });
  }
  x.set(input);
  // A drawn digit arrives in the dataset's own units; the network was trained on standardised ones.
  if (!normalized && p.normalization) applyNormalization(p.normalization, x, x.length);
  checkFinite(x, 'input', input);
  const row = p.predictor.predict(undefined, 1);
  checkFinite(row, 'output');
  const mask = hasClasses(p.task) ? segmentationMask(p.predictor.binding) : null;
  if (mask) {
    const m = maskOf(row, row.length / mask.reduce((a, b) => a * b, 1));
    return { kind: 'mask', mask: Array.from(m.mask), confidence: Array.from(m.confidence, compact), shape: [...mask], classNames: [...p.classNames] };
  }
  if (showsProbabilities(p.task)) {
    const probs = p.predictor.probabilities(0);
    return { kind: 'probabilities', values: probs.map(compact), predicted: argmax(probs), classNames: [...p.classNames] };
  }
  const out = plan.output(binding.predictionNode);
  const values = Array.from(out.data);
  if (p.targetNormalization && taskOf(p.task).targets === 'values') restoreTargets(p.targetNormalization, values);
  return { kind: 'output', values: values.map(compact), shape: out.shape.slice(1) };
}
