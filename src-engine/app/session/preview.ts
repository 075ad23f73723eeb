import { applyAugmentation, applyTransform, augments, featureSize, isStreamed, prepareData, restoredTargets, sampleFeatures, type LoadedDataset, type Samples } from '../../core/data';
import { Rng } from '../../base/rng';
import type { DatasetConfig } from '../../base/ir/types';
import { compact } from '../probes';
import type { DatasetPreview } from '../../protocol';
import { hasClasses, taskOf } from '../../catalog/tasks';
import { heldDataBytes } from '../../core/analysis/memory';

const MAX_POINTS = 2000;

/** Samples per class of a split (all zeros for a set without one class per sample). */
function perClass(s: Samples): number[] {
  const counts = new Array<number>(s.numClasses).fill(0);
  if (hasClasses(s.task)) for (let i = 0; i < s.targets.length; i++) counts[s.targets[i]]++;
  return counts;
}

/**
 * What the train panel shows before a run: split sizes, class names and balance, the first
 * `samples` training samples as the network receives them (after normalisation, augmentation and
 * the input transform; `clean` is the sample before augmentation and transform, when they change
 * it), the range of values fed, and, for 2-D sets, up to 2,000 points for a scatter plot.
 */
export function datasetPreview(loaded: LoadedDataset<Samples>, config: DatasetConfig, seed: number, samples = 8): DatasetPreview {
  const data = prepareData(loaded, config, seed);
  const ds = data.train;
  const fs = featureSize(ds);
  const ts = ds.targetShape.reduce((a, b) => a * b, 1);
  const balance = perClass(ds);
  const shown = Math.min(samples, ds.count);
  const out: DatasetPreview['samples'] = [];
  const altered = data.transform.kind !== 'none' || augments(data.augment);
  const rng = new Rng((seed ^ 0x9e3779b9) >>> 0);
  const scratch = new Float32Array(fs);
  let lo = Infinity;
  let hi = -Infinity;
  // (A streamed folder: only the samples shown are read.)
  const first = sampleFeatures(ds, 0, shown);
  for (let i = 0; i < shown; i++) {
    const clean = first.slice(i * fs, (i + 1) * fs);
    const fed = clean.slice();
    if (data.augment) applyAugmentation(data.augment, fed, rng, fs, ds.featureShape, scratch);
    applyTransform(data.transform, fed, rng, fs, ds.featureShape);
    for (const v of fed) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // A regression's targets read in their own units (#83), though the network learns them standardised.
    const target = hasClasses(ds.task) && ts === 1 ? ds.targets[i] : taskOf(ds.task).targets === 'features' ? [] : Array.from(restoredTargets(data.targetNormalization, ds.targets.slice(i * ts, (i + 1) * ts)), compact);
    out.push({ features: Array.from(fed, compact), target, ...(altered ? { clean: Array.from(clean, compact) } : {}) });
  }
  const preview: DatasetPreview = {
    name: ds.name.replace(/ \(.*\)$/, ''),
    task: ds.task,
    featureShape: [...ds.featureShape],
    counts: { train: ds.count, val: data.val.count, test: data.test.count },
    classNames: [...ds.classNames],
    classBalance: balance,
    // Each split's classes (#83): a split short of a class, or a test split of 25 rows, is seen before training.
    ...(hasClasses(ds.task) && ds.targetShape.length === 0 ? { splitBalance: { val: perClass(data.val), test: perClass(data.test) } } : {}),
    samples: out,
    ...(shown > 0 ? { range: [compact(lo), compact(hi)] as [number, number] } : {}),
  };
  // The data's part of what a run would hold; the handler adds the engine's base as it answers.
  preview.engine = { baseBytes: 0, dataBytes: heldDataBytes(data, loaded.owned ? undefined : loaded) + (data.memoryBudget ?? 0) };
  const r = loaded.report;
  if (r) {
    preview.source = { kind: r.kind, fingerprint: r.fingerprint, files: r.files, skipped: r.skipped.slice(0, 200), skippedTotal: r.skipped.length, notes: [...r.notes], ...(r.columns ? { columns: r.columns } : {}) };
  }
  if (fs === 2 && !isStreamed(ds)) {
    const k = Math.min(MAX_POINTS, ds.count);
    preview.points = [];
    for (let i = 0; i < k; i++) preview.points.push([compact(ds.features[2 * i]), compact(ds.features[2 * i + 1]), hasClasses(ds.task) ? ds.targets[i] : 0]);
  }
  return preview;
}
