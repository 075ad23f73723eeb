import type { GraphIR } from '../../../src-engine/facade';
import { useEditor } from '../state/editor-store';
import { defaultTraining } from './training-defaults';

/**
 * "Add settings": give the open design the default training settings (one undoable edit). The
 * Train dock, the Inspector and the Problems list offer it while a design has none.
 */
export function addTrainingSettings(): void {
  const { edit, history } = useEditor.getState();
  edit({ kind: 'set-training', training: defaultTraining(history.present.graph) });
}

/** A design with nodes but no training section: no problem to list, and still nothing can train. */
export function needsTrainingSettings(graph: Pick<GraphIR, 'nodes' | 'training'>): boolean {
  return graph.nodes.length > 0 && !graph.training;
}
