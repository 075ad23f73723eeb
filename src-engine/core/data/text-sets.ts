import type { GraphIR } from '../../base/ir/types';
import { getDataset } from '../../catalog/datasets/registry';

/**
 * Whether a design trains on text (a dataset declared `text: true`): the Playground writes with it, and
 * `sampleText` (core/export/sample-text.ts) continues it. Apart from that module so that the renderer
 * asks this without loading the executor.
 */
export function writesText(graph: Pick<GraphIR, 'training'>): boolean {
  return getDataset(graph.training?.dataset.name ?? '')?.text === true;
}
