import { featureSize, prepareData, type LoadedDataset } from '../../core/data';
import type { DatasetConfig } from '../../base/ir/types';
import { compact } from '../probes';
import type { DatasetPreview } from '../../protocol/messages';

const MAX_POINTS = 2000;

/**
 * What the train panel shows before a run: split sizes, class names and balance, the first
 * `samples` training samples (as the network receives them, after normalisation) and, for 2-D
 * sets, up to 2,000 points for a scatter plot.
 */
export function datasetPreview(loaded: LoadedDataset, config: DatasetConfig, seed: number, samples = 8): DatasetPreview {
  const data = prepareData(loaded, config, seed);
  const ds = data.train;
  const fs = featureSize(ds);
  const ts = ds.targetShape.reduce((a, b) => a * b, 1);
  const balance = new Array<number>(ds.numClasses).fill(0);
  if (ds.task === 'classification') for (let i = 0; i < ds.count; i++) balance[ds.targets[i]]++;
  const shown = Math.min(samples, ds.count);
  const out: DatasetPreview['samples'] = [];
  for (let i = 0; i < shown; i++) {
    const features = Array.from(ds.features.subarray(i * fs, (i + 1) * fs), compact);
    const target = ds.task === 'classification' ? ds.targets[i] : ds.task === 'reconstruction' ? [] : Array.from(ds.targets.subarray(i * ts, (i + 1) * ts), compact);
    out.push({ features, target });
  }
  const preview: DatasetPreview = {
    name: ds.name.replace(/ \(.*\)$/, ''),
    task: ds.task,
    featureShape: [...ds.featureShape],
    counts: { train: ds.count, val: data.val.count, test: data.test.count },
    classNames: [...ds.classNames],
    classBalance: balance,
    samples: out,
  };
  if (fs === 2) {
    const k = Math.min(MAX_POINTS, ds.count);
    preview.points = [];
    for (let i = 0; i < k; i++) preview.points.push([compact(ds.features[2 * i]), compact(ds.features[2 * i + 1]), ds.task === 'classification' ? ds.targets[i] : 0]);
  }
  return preview;
}
