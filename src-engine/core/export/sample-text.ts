import { isFeatureInput, predictionNodeId } from '../../base/ir/prediction';
import { Rng } from '../../base/rng';
import type { Backend } from '../backend/types';
import { type TrainedModel } from './model';
import { inferencePlan } from './infer';

/** What `sampleText` is asked for. */
export interface TextSampleOptions {
  /** Text to continue; characters outside the model's vocabulary are left out. */
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
 * Text continued from a prompt by a character-level language model (a graph reading token ids
 * `[T]` whose prediction is next-token logits `[T, V]`, its vocabulary the model's class names, as
 * a character-level text set trains it). One character at a time: the last T characters fill the
 * window from its start (a shorter text leaves the rest as id 0, which a causal model's earlier
 * positions never see) and the logits at the last filled position, divided by the temperature,
 * are sampled.
 *
 * @throws TextSampleError `E_SAMPLE_NOT_TEXT` for a model that is not such a language model,
 *   `E_SAMPLE_OPTIONS` for a length outside 1…10,000 or a negative temperature.
 * @example
 * ```ts
 * sampleText(model, { prompt: 'Q: ', length: 200, temperature: 0.8, seed: 1 }); // 'Q: What …'
 * ```
 */
export function sampleText(model: TrainedModel, o: TextSampleOptions, backend?: Backend): string {
  if (!(Number.isInteger(o.length) && o.length >= 1 && o.length <= 10_000) || !(o.temperature >= 0)) {
    throw new TextSampleError('E_SAMPLE_OPTIONS', `Ask for 1 to 10,000 characters at a temperature ≥ 0 (got ${o.length} at ${o.temperature}).`);
  }
  const vocabulary = model.classNames ?? [];
  const input = model.graph.nodes.find(isFeatureInput);
  const pred = predictionNodeId(model.graph);
  const shape = input?.attrs.shape as number[] | undefined;
  const plan = input && pred && shape?.length === 1 && vocabulary.length > 1 ? inferencePlan(model, 1, backend) : undefined;
  const t = shape?.[0] ?? 0;
  if (!plan || plan.output(pred!).data.length !== t * vocabulary.length) {
    throw new TextSampleError('E_SAMPLE_NOT_TEXT', 'This model does not continue text: that takes a character-level language model (token ids [T] in, next-character scores [T, V] out, trained on a text set).');
  }
  const v = vocabulary.length;
  const id = new Map(vocabulary.map((c, i) => [c, i]));
  const ids = Array.from(o.prompt).flatMap((c) => (id.has(c) ? [id.get(c)!] : []));
  const x = plan.input(input!.id).data;
  const rng = new Rng(o.seed);
  let out = ids.map((i) => vocabulary[i]).join('');
  for (let step = 0; step < o.length; step++) {
    const window = ids.slice(-t);
    x.fill(0);
    x.set(window);
    plan.forward(false);
    const logits = plan.output(pred!).data.subarray((Math.max(window.length, 1) - 1) * v, Math.max(window.length, 1) * v);
    const next = o.temperature === 0 || window.length === 0 ? argmax(logits) : draw(logits, o.temperature, rng);
    ids.push(next);
    out += vocabulary[next];
  }
  return out;
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
