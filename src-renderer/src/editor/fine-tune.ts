import { hasClasses, type GraphIR } from '../../../src-engine/facade';
import type { DatasetPreview } from '../../../src-engine/protocol';
import { datasetPreviewKey } from './analysis';

// The fine-tuning rules live in the engine, which `netwright train --freeze` reads too.
export { backboneOf, holdsWeights } from '../../../src-engine/facade';

/**
 * How many classes a new head gets unless the user says: the Train dock's preview's, only while it
 * previews the design's own data (`datasetPreviewKey`). A preview of the data before (MNIST's 10,
 * before Use this data put the user's folder in) is no answer (#82).
 */
export function previewClasses(graph: GraphIR, ui: { preview?: DatasetPreview; previewKey?: string }): number | undefined {
  const p = ui.preview;
  if (!graph.training || !p || ui.previewKey !== datasetPreviewKey(graph) || !hasClasses(p.task)) return undefined;
  return p.classNames.length;
}
