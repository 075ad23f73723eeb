/**
 * Issue #32 item 12: before a design has training settings, the Problems list and the Inspector
 * point to "Add settings" (they said "No problems." and "open a template" while nothing could train).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { addTrainingSettings, needsTrainingSettings } from '../../../src-renderer/src/editor/add-settings';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

describe('a design without training settings', () => {
  const graph = () => w.editor.getState().history.present.graph;

  it('an empty canvas needs nothing; a design with nodes and no settings is told to add them', () => {
    expect(needsTrainingSettings(graph())).toBe(false);
    w.editor.getState().addOp('Input', { x: 0, y: 0 });
    expect(needsTrainingSettings(graph())).toBe(true);
  });

  it('Add settings gives the design its default settings, in one undoable edit', () => {
    w.editor.getState().addOp('Input', { x: 0, y: 0 });
    addTrainingSettings(w);
    expect(graph().training?.dataset.name).toBeTruthy();
    expect(needsTrainingSettings(graph())).toBe(false);
    w.editor.getState().undo();
    expect(graph().training).toBeUndefined();
  });

  it('on a design that came with weights (an imported model), Add settings starts its runs from them; another design does not, and cannot train from them', async () => {
    w.editor.getState().addOp('Input', { x: 0, y: 0 });
    w.run.getState().weightsLoaded('resnet18.onnx', w.editor.getState().loadSeq);
    addTrainingSettings(w);
    expect(graph().training?.startFrom).toEqual({ kind: 'loaded' });
    // Another design opened: the engine's weights are not its own.
    const withLoaded = graph();
    w.editor.getState().load(emptyDoc(), { name: 'Other' });
    w.editor.getState().addOp('Input', { x: 0, y: 0 });
    addTrainingSettings(w);
    expect(graph().training?.startFrom).toBeUndefined();
    await w.runs.start(withLoaded);
    expect(w.run.getState().error).toMatchObject({ code: 'E_TRAIN_NO_LOADED_MODEL', message: expect.stringMatching(/none were loaded with it/) });
  });
});
