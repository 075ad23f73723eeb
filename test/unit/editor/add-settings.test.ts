/**
 * Issue #32 item 12: before a design has training settings, the Problems list and the Inspector
 * point to "Add settings" (they said "No problems." and "open a template" while nothing could train).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { addTrainingSettings, needsTrainingSettings } from '../../../src-renderer/src/editor/add-settings';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { useEditor } from '../../../src-renderer/src/state/editor-store';
import { useRun } from '../../../src-renderer/src/state/training-store';
import { runController } from '../../../src-renderer/src/state/run-controller';

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

  it('on a design that came with weights (an imported model), Add settings starts its runs from them; another design does not, and cannot train from them', async () => {
    useEditor.getState().addOp('Input', { x: 0, y: 0 });
    useRun.getState().weightsLoaded('resnet18.onnx');
    addTrainingSettings();
    expect(graph().training?.startFrom).toEqual({ kind: 'loaded' });
    // Another design opened: the engine's weights are not its own.
    const withLoaded = graph();
    useEditor.getState().load(emptyDoc(), { name: 'Other' });
    useEditor.getState().addOp('Input', { x: 0, y: 0 });
    addTrainingSettings();
    expect(graph().training?.startFrom).toBeUndefined();
    await runController.start(withLoaded);
    expect(useRun.getState().error).toMatchObject({ code: 'E_TRAIN_NO_LOADED_MODEL', message: expect.stringMatching(/none were loaded with it/) });
  });
});
