import { Rng } from '../../base/rng';
import type { Backend } from '../../core/backend/types';
import { applyTransform, featureSize, type Dataset, type FeatureTransform, type PreparedData } from '../../core/data';
import { checkModelGraph, type TrainedModel } from '../../core/export/model';
import { inferencePlan } from '../../core/export/infer';
import { Predictor, argmax, bindGraph } from '../../core/train';
import type { LessonReportRow } from '../../protocol';

/** A trained network as a function: `count` samples in (row-major), its output rows out. */
export type BatchModel = (x: Float32Array, count: number) => Float32Array;

/** One digit class's share of test images a judge classifier reads as their label: clean, masked, and masked then in-painted. */
export interface InpaintingClassSuccess {
  label: number;
  count: number;
  clean: number;
  masked: number;
  inpainted: number;
}

/**
 * How well an in-painting network restores digits, per class: each test image is masked (the
 * run's `transform`, e.g. a 12 × 12 block at a random place, seeded), in-painted by `inpaint`,
 * and given to `judge`, a classifier trained on clean digits; success is the judge reading the
 * in-painted image as its label. As in-painting is used, only the hidden pixels are taken from the
 * network's output; the pixels the network was shown stay as they were. The judge's reading of the clean and of the masked images is
 * reported beside it: the first is the ceiling, the second what in-painting has to improve on.
 *
 * @param test clean images (`featureShape` `[C, H, W]`) with their labels as `targets`.
 * @param classes number of classes (the judge's logits per sample).
 */
export function inpaintingSuccess(test: Dataset, transform: FeatureTransform, inpaint: BatchModel, judge: BatchModel, classes: number, seed = 1, batch = 250): InpaintingClassSuccess[] {
  const fs = test.features.length / test.count;
  const rows = Array.from({ length: classes }, (_, label) => ({ label, count: 0, clean: 0, masked: 0, inpainted: 0 }));
  // Two generators with one seed: the second masks an image of ones the same way, marking the hole.
  const rng = new Rng(seed);
  const holeRng = new Rng(seed);
  for (let start = 0; start < test.count; start += batch) {
    const n = Math.min(batch, test.count - start);
    const clean = test.features.slice(start * fs, (start + n) * fs);
    const masked = clean.slice();
    applyTransform(transform, masked, rng, masked.length, test.featureShape);
    const hole = new Float32Array(masked.length).fill(1);
    applyTransform(transform, hole, holeRng, hole.length, test.featureShape);
    const output = inpaint(masked, n);
    const restored = masked.map((v, j) => (hole[j] === 0 ? output[j]! : v));
    const readings = { clean: judge(clean, n).slice(), masked: judge(masked, n).slice(), inpainted: judge(restored, n).slice() };
    for (let i = 0; i < n; i++) {
      const row = rows[test.targets[start + i]!]!;
      row.count++;
      for (const k of ['clean', 'masked', 'inpainted'] as const) if (argmax(readings[k].subarray(i * classes, (i + 1) * classes)) === row.label) row[k]++;
    }
  }
  return rows.map((r) => ({ ...r, clean: r.clean / r.count, masked: r.masked / r.count, inpainted: r.inpainted / r.count }));
}

/** A report that cannot be computed from the runs given: stable code `E_LESSON_REPORT_RUNS`, and what to train instead. */
export class LessonReportError extends Error {
  readonly code = 'E_LESSON_REPORT_RUNS';
}

/**
 * A trained model as a batch function (eval mode: Dropout off, BatchNorm on its running
 * statistics): the one `Predictor` over its binding, read at its prediction node. Compiled once
 * for up to `batch` samples; a smaller batch fills the first rows (the others keep stale values,
 * which nothing reads).
 */
export function batchModel(model: TrainedModel, backend: Backend, batch: number): BatchModel {
  const checked = checkModelGraph(model.graph);
  const predictor = new Predictor(inferencePlan(model, batch, backend, checked), bindGraph(checked));
  return (input, count) => predictor.predict(input, count);
}

/**
 * The in-painting lesson's figure from its two trained networks: `inpaintingSuccess` on the
 * in-painter's test split with the mask it was trained with (`data`: the in-painter's prepared
 * data), read by the judge. The lessons accuracy suite (networks it trains) and the engine's
 * `lessons.report` (stored runs) both compute it here.
 *
 * @throws LessonReportError when the runs do not fit their roles: a judge that is not a
 *   classifier of the test split's classes, an in-painter that does not output an image of its
 *   input's size or was trained without a mask, or either trained on normalised pixels (the
 *   judge reads the in-painter's output as it is: both must work on pixels in [0, 1]).
 */
export function inpaintingReport(judge: TrainedModel, inpainter: TrainedModel, data: Pick<PreparedData, 'test' | 'transform' | 'normalization'>, backend: Backend, batch = 250): InpaintingClassSuccess[] {
  const { test, transform } = data;
  const classes = test.numClasses;
  if (transform.kind === 'none') throw new LessonReportError('The in-painter was trained without a mask (Data panel: corruption), so there is nothing to in-paint; train it with a block mask.');
  if (data.normalization || judge.normalization || inpainter.normalization) {
    throw new LessonReportError('The in-painter or the judge was trained on normalised pixels; the judge reads the in-painter’s output as it is, so train both with scale 0–1 and no normalisation.');
  }
  if (!classes || (judge.classNames?.length ?? 0) !== classes) {
    throw new LessonReportError(`The judge must be a classifier of the in-painter’s ${classes || 'test'} classes (it has ${judge.classNames?.length ?? 0}); train it on the same dataset.`);
  }
  const inpaint = batchModel(inpainter, backend, batch);
  const read = batchModel(judge, backend, batch);
  const fs = featureSize(test);
  if (inpaint(test.features.subarray(0, fs), 1).length !== fs) throw new LessonReportError('The in-painter’s output is not an image of its input’s size; use an autoencoder whose target is the clean input.');
  if (read(test.features.subarray(0, fs), 1).length !== classes) throw new LessonReportError(`The judge does not output one score per class (${classes}); use a classifier of the same dataset.`);
  return inpaintingSuccess(test, transform, inpaint, read, classes, 1, batch);
}

/** The report's rows (`lessons.report`): one per digit class, its shares read clean, masked and in-painted. */
export function inpaintingRows(perClass: readonly InpaintingClassSuccess[], classNames: readonly string[] = []): LessonReportRow[] {
  return perClass.map((r) => ({ label: classNames[r.label] ?? String(r.label), count: r.count, values: { clean: r.clean, masked: r.masked, inpainted: r.inpainted } }));
}
