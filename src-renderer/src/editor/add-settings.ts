import type { GraphIR } from '../../../src-engine/facade';
import { useEditor } from '../state/editor-store';
import { useRun, weightsFor } from '../state/training-store';
import { defaultTraining } from './training-defaults';

/**
 * "Add settings": give the open design the default training settings (one undoable edit). The
 * Train dock, the Inspector and the Problems list offer it while a design has none.
 */
export function addTrainingSettings(): void {
  const { edit, history, loadSeq } = useEditor.getState();
  // A design that came with trained weights (an imported model) fine-tunes from them.
  const loaded = weightsFor(useRun.getState().weights, loadSeq) !== undefined;
  edit({ kind: 'set-training', training: { ...defaultTraining(history.present.graph), ...(loaded ? { startFrom: { kind: 'loaded' } } : {}) } });
}

/** A design with nodes but no training section: no problem to list, and still nothing can train. */
export function needsTrainingSettings(graph: Pick<GraphIR, 'nodes' | 'training'>): boolean {
  return graph.nodes.length > 0 && !graph.training;
}
