import type { GraphIR } from '../../../src-engine/facade';
import { weightsFor } from '../state/training-store';
import { defaultTraining } from './training-defaults';
import type { WindowStores } from '../state/window-stores';

/**
 * "Add settings": give the open design the default training settings (one undoable edit). The
 * Train dock, the Inspector and the Problems list offer it while a design has none.
 */
export function addTrainingSettings(w: Pick<WindowStores, 'editor' | 'run'>): void {
  const { edit, history, loadSeq } = w.editor.getState();
  // A design that came with trained weights (an imported model) fine-tunes from them.
  const loaded = weightsFor(w.run.getState().weights, loadSeq) !== undefined;
  edit({ kind: 'set-training', training: { ...defaultTraining(history.present.graph), ...(loaded ? { startFrom: { kind: 'loaded' } } : {}) } });
}

/** A design with nodes but no training section: no problem to list, and still nothing can train. */
export function needsTrainingSettings(graph: Pick<GraphIR, 'nodes' | 'training'>): boolean {
  return graph.nodes.length > 0 && !graph.training;
}
