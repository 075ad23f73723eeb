/**
 * Issue #32 item 12: before a design has training settings, the Problems list and the Inspector
 * point to "Add settings" (they said "No problems." and "open a template" while nothing could train).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { addTrainingSettings, needsTrainingSettings } from '../../../src-renderer/src/editor/add-settings';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { useEditor } from '../../../src-renderer/src/state/editor-store';

describe('a design without training settings', () => {
  beforeEach(() => useEditor.getState().load(emptyDoc(), { name: 'Untitled' }));
  const graph = () => useEditor.getState().history.present.graph;

  it('an empty canvas needs nothing; a design with nodes and no settings is told to add them', () => {
    expect(needsTrainingSettings(graph())).toBe(false);
    useEditor.getState().addOp('Input', { x: 0, y: 0 });
    expect(needsTrainingSettings(graph())).toBe(true);
  });

  it('Add settings gives the design its default settings, in one undoable edit', () => {
    useEditor.getState().addOp('Input', { x: 0, y: 0 });
    addTrainingSettings();
    expect(graph().training?.dataset.name).toBeTruthy();
    expect(needsTrainingSettings(graph())).toBe(false);
    useEditor.getState().undo();
    expect(graph().training).toBeUndefined();
  });
});
