import type { GraphIR } from '../../base/ir/types';

/**
 * Datasets of text, whose designs are language models that `sampleText` (core/export/sample-text.ts)
 * continues. Apart from it so that the renderer asks this without loading the executor.
 */
const TEXT_DATASETS: ReadonlySet<string> = new Set(['text', 'fortunes']);

/** Whether a design trains on text (a `text` or `fortunes` set): the Playground writes with it. */
export function writesText(graph: Pick<GraphIR, 'training'>): boolean {
  return TEXT_DATASETS.has(graph.training?.dataset.name ?? '');
}
