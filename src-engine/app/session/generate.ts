import { Rng } from '../../base/rng';
import type { Backend } from '../../core/backend/types';
import { inferenceModel } from '../../core/export/inference-graph';
import { type TrainedModel } from '../../core/export/model';
import { inferModel } from '../../core/export/infer';
import type { ParamsOf, ResultOf } from '../../protocol';
import { compact } from '../probes';

/**
 * `model.generate`: a GAN's generator (the sub-graph its exports hold, `inferenceModel`) at the
 * model's weights, in eval mode, on `count` latent points drawn from N(0, 1) with `Rng(seed)` —
 * the same seed, the same samples. A conditional GAN draws `label` in every sample, or without
 * one the classes in turn (0, 1, …). The playground's "Generate".
 *
 * @throws `E_NOT_A_GAN` for a model that is not a GAN; `E_GENERATE_LABEL` for a class out of range;
 *   `E_GENERATE_INPUT` for a generator that also reads the dataset's samples (image to image).
 */
export function generateSamples(model: TrainedModel, p: Omit<ParamsOf<'model.generate'>, 'runId'>, backend?: Backend): ResultOf<'model.generate'> {
  const { model: g, generator } = inferenceModel(model);
  if (!generator) throw Object.assign(new Error('This model is not a GAN: it has no generator to draw samples from.'), { code: 'E_NOT_A_GAN' });
  const rng = new Rng(p.seed);
  const inputs: Record<string, Float32Array> = {};
  let labels: number[] | undefined;
  let classes: number | undefined;
  for (const input of generator.inputs) {
    if (input.kind === 'label') {
      classes = input.classes;
      if (p.label !== undefined && p.label >= input.classes) {
        throw Object.assign(new Error(`This generator draws classes 0 to ${input.classes - 1}; there is no class ${p.label}.`), { code: 'E_GENERATE_LABEL' });
      }
      labels = Array.from({ length: p.count }, (_, i) => p.label ?? i % input.classes);
      inputs[input.id] = Float32Array.from(labels);
    } else if (input.kind === 'features') {
      throw Object.assign(new Error(`This generator also reads the dataset's samples ("${input.id}"); it cannot draw from noise alone.`), { code: 'E_GENERATE_INPUT' });
    } else {
      const size = input.shape.reduce((a, b) => a * b, 1);
      inputs[input.id] = Float32Array.from({ length: p.count * size }, () => rng.normal());
    }
  }
  const out = inferModel(g, inputs, p.count, [generator.output.id], backend)[generator.output.id];
  return {
    samples: Array.from(out, compact),
    count: p.count,
    shape: generator.output.shape,
    ...(labels ? { labels, classes, ...(model.classNames?.length ? { classNames: model.classNames } : {}) } : {}),
  };
}
