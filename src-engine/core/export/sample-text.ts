import { isFeatureInput, predictionNodeId } from '../../base/ir/prediction';
import { Rng } from '../../base/rng';
import type { Backend } from '../backend/types';
import { contextTokenizer, decodeIds, fillContext, languageTokenizer, tokenIds, type Tokenizer } from '../data/tokenizer';
import { type TrainedModel } from './model';
import { inferencePlan } from './infer';

/** What `sampleText` is asked for. */
export interface TextSampleOptions {
  /** Text to continue, read by the model's tokenizer: CR LF and CR as LF, characters outside its vocabulary left out. */
  prompt: string;
  /** Characters to add. */
  length: number;
  /** Softmax temperature: 1 samples the model's own distribution, lower is more predictable, 0 always takes the likeliest character. */
  temperature: number;
  /** The same seed, prompt and weights give the same text. */
  seed: number;
}

/** A model that cannot continue text, with a stable code. */
export class TextSampleError extends Error {
  constructor(
    readonly code: 'E_SAMPLE_NOT_TEXT' | 'E_SAMPLE_OPTIONS',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Text continued from a prompt by a language model (a graph reading token ids `[T]` whose
 * prediction is next-token logits `[T, V]`, its vocabulary its class names, as a text set trains
 * it). The prompt is read by the model's tokenizer (`contextTokenizer`, kept with the model, or
 * made from its classes for a model saved without one; `tokenIds`: newlines as LF, a character
 * outside the vocabulary left out). One token at a time: the last T tokens fill the window from
 * its start (`fillContext`: a shorter text leaves the rest as id 0, which a causal model's earlier
 * positions never see) and the logits at the last filled position, divided by the temperature, are
 * sampled (`Rng(seed)`; temperature 0 takes the likeliest, the first of a tie). What the
 * Playground writes, `netwright predict` prints, and the PyTorch project's generate.py repeats.
 *
 * @throws TextSampleError `E_SAMPLE_NOT_TEXT` for a model that is not such a language model,
 *   `E_SAMPLE_OPTIONS` for a length outside 1…10,000 or a negative temperature.
 * @example
 * ```ts
 * continueText(model, { prompt: 'Q: ', length: 200, temperature: 0.8, seed: 1 }); // { prompt: 'Q: ', continuation: 'What …' }
 * ```
 */
export function continueText(model: TrainedModel, o: TextSampleOptions, backend?: Backend): { prompt: string; continuation: string } {
  if (!(Number.isInteger(o.length) && o.length >= 1 && o.length <= 10_000) || !(o.temperature >= 0)) {
    throw new TextSampleError('E_SAMPLE_OPTIONS', `Ask for 1 to 10,000 characters at a temperature ≥ 0 (got ${o.length} at ${o.temperature}).`);
  }
  const vocabulary = model.classNames ?? [];
  const input = model.graph.nodes.find(isFeatureInput);
  const pred = predictionNodeId(model.graph);
  const shape = input?.attrs.shape as number[] | undefined;
  const t = shape?.[0] ?? 0;
  const tokenizer = textTokenizer(model, t);
  const plan = input && pred && shape?.length === 1 && tokenizer ? inferencePlan(model, 1, backend) : undefined;
  const v = tokenizer?.vocabulary.length ?? 0;
  if (!plan || !tokenizer || tokenizer.length !== t || v !== vocabulary.length || plan.output(pred!).data.length !== t * v) {
    throw new TextSampleError('E_SAMPLE_NOT_TEXT', 'This model does not continue text: that takes a character-level language model (token ids [T] in, next-character scores [T, V] out, trained on a text set).');
  }
  const ids = tokenIds(o.prompt, tokenizer);
  const prompt = decodeIds(ids, tokenizer);
  const x = plan.input(input!.id).data;
  const rng = new Rng(o.seed);
  const added: number[] = [];
  for (let step = 0; step < o.length; step++) {
    const filled = fillContext(ids, tokenizer, x);
    plan.forward(false);
    const last = Math.max(filled, 1) - 1;
    const logits = plan.output(pred!).data.subarray(last * v, (last + 1) * v);
    const next = o.temperature === 0 || filled === 0 ? argmax(logits) : draw(logits, o.temperature, rng);
    ids.push(next);
    added.push(next);
  }
  return { prompt, continuation: decodeIds(added, tokenizer) };
}

/** `continueText`'s prompt and continuation as one text: the Playground's `model.sampleText`. */
export function sampleText(model: TrainedModel, o: TextSampleOptions, backend?: Backend): string {
  const { prompt, continuation } = continueText(model, o, backend);
  return prompt + continuation;
}

/** Whether `model` is a language model that `continueText` continues (it keeps a context tokenizer, or is a design on a text set). */
export function continuesText(model: TrainedModel): boolean {
  return model.tokenizer?.features === 'context' || languageTokenizer(model.graph, model.classNames) !== undefined;
}

/** The tokenizer a prompt is read with: the model's own, else one made from its classes and its window of `t`. */
function textTokenizer(model: TrainedModel, t: number): Tokenizer | undefined {
  if (model.tokenizer) return model.tokenizer.features === 'context' ? model.tokenizer : undefined;
  return (model.classNames?.length ?? 0) > 1 && t > 0 ? contextTokenizer(model.classNames!, t) : undefined;
}

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** A draw from softmax(logits / temperature). */
function draw(logits: Float32Array, temperature: number, rng: Rng): number {
  let m = -Infinity;
  for (const l of logits) m = Math.max(m, l);
  const p = Array.from(logits, (l) => Math.exp((l - m) / temperature));
  let u = rng.uniform() * p.reduce((s, q) => s + q, 0);
  for (let i = 0; i < p.length; i++) if ((u -= p[i]) <= 0) return i;
  return p.length - 1;
}
