import { beforeEach, describe, expect, it } from 'vitest';

import { defaultTraining } from '../../../src-renderer/src/editor/training-defaults';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

/** Building the MNIST MLP from an empty canvas the way a newcomer does (issue #18 item 4). */
describe('building from scratch has no traps', () => {
  const s = () => w.editor.getState();
  const node = (id: string) => s().history.present.graph.nodes.find((n) => n.id === id)!;
  const codes = () => {
    s().analyzeNow();
    return s().analysis.diagnostics.map((d) => d.code);
  };

  it('an empty canvas is no problem', () => {
    expect(codes()).toEqual([]);
  });

  it('the second Input is the class-label target; choosing MNIST shapes the features', () => {
    const x = s().addOp('Input', { x: 0, y: 0 })!;
    const y = s().addOp('Input', { x: 0, y: 100 })!;
    expect(node(x).attrs).toMatchObject({ source: 'features', shape: [1] });
    expect(node(y).attrs).toMatchObject({ source: 'target', shape: [] });
    // A third Input is features again: the design has its target.
    expect(node(s().addOp('Input', { x: 0, y: 200 })!).attrs.source).toBe('features');
    s().edit({ kind: 'set-training', training: defaultTraining(s().history.present.graph) });
    expect(node(x).attrs.shape).toEqual([1, 28, 28]);
    expect(node(y).attrs.shape).toEqual([]);
  });

  it('with the housing table (regression) chosen, the target Input takes its one-number price shape', () => {
    const x = s().addOp('Input', { x: 0, y: 0 })!;
    s().edit({ kind: 'set-training', training: { ...defaultTraining(s().history.present.graph), dataset: { name: 'housing' } } });
    expect(node(x).attrs.shape).toEqual([4]);
    expect(node(s().addOp('Input', { x: 0, y: 100 })!).attrs).toMatchObject({ source: 'target', shape: [1] });
  });

  it('a features shape the user set is kept when the dataset changes', () => {
    const x = s().addOp('Input', { x: 0, y: 0 })!;
    s().edit({ kind: 'set-attrs', nodeIds: [x], attrs: { shape: [784] } });
    s().edit({ kind: 'set-training', training: defaultTraining(s().history.present.graph) });
    expect(node(x).attrs.shape).toEqual([784]);
  });

  it('settings added before the loss train the loss added after, and E_NO_LOSS goes', () => {
    const x = s().addOp('Input', { x: 0, y: 0 })!;
    const y = s().addOp('Input', { x: 0, y: 100 })!;
    s().edit({ kind: 'set-training', training: defaultTraining(s().history.present.graph) });
    expect(codes()).toContain('E_NO_LOSS');
    const flat = s().addOp('Flatten', { x: 0, y: 200 })!;
    const fc = s().addOp('Linear', { x: 0, y: 300 })!;
    const loss = s().addOp('CrossEntropyLoss', { x: 0, y: 400 })!;
    expect(s().history.present.graph.training?.loss).toBe(loss);
    for (const [source, target, slot] of [[x, flat, 0], [flat, fc, 0], [fc, loss, 0], [y, loss, 1]] as const) {
      expect(s().edit({ kind: 'connect', edge: { source, target, slot } }).ok).toBe(true);
    }
    expect(codes().filter((c) => c.startsWith('E_'))).toEqual([]);
    // A second loss does not take over from the one the settings name.
    s().addOp('MSELoss', { x: 300, y: 400 });
    expect(s().history.present.graph.training?.loss).toBe(loss);
  });

  it('settings added after the loss name it', () => {
    const loss = s().addOp('CrossEntropyLoss', { x: 0, y: 0 })!;
    expect(defaultTraining(s().history.present.graph).loss).toBe(loss);
  });
});
