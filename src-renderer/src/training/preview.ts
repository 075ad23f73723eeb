import { hasClasses, type DatasetConfig } from '../../../src-engine/facade';
import type { DatasetPreview } from '../../../src-engine/protocol';

/** What the train panel's dataset preview shows, given the data set as the design trains on it. */
export interface PreviewContent {
  /** The task the design learns from this data: classification, regression, or reconstruction (autoencoder). */
  task: string;
  /** Whether each sample is labelled with its class name (only when classes are what the network predicts). */
  classLabels: boolean;
  /** Whether to draw the per-class sample counts. */
  classBalance: boolean;
}

/**
 * The preview's content for a dataset config. The engine describes the data set itself (MNIST
 * is a classification set); with `target: 'features'` the design's target is the clean input
 * image (an autoencoder), so class names and class balance say nothing about what it learns.
 *
 * @example previewContent(mnistPreview, { name: DEFAULT_DATASET, target: 'features' }).task // 'reconstruction (autoencoder)'
 */
export function previewContent(p: DatasetPreview, dataset: Pick<DatasetConfig, 'target'>): PreviewContent {
  if (dataset.target === 'features') return { task: 'reconstruction (autoencoder)', classLabels: false, classBalance: false };
  const classes = hasClasses(p.task);
  return { task: p.task, classLabels: classes, classBalance: classes && p.classBalance.length > 0 };
}
