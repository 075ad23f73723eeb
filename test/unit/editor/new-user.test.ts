import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/facade';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { previewClasses } from '../../../src-renderer/src/editor/fine-tune';
import { datasetPreviewKey } from '../../../src-renderer/src/editor/analysis';
import type { DatasetPreview } from '../../../src-engine/protocol';

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

/** Add settings reads the design: never a fixed MNIST (#82). */
describe('Add settings picks data the design takes', () => {
  const s = () => w.editor.getState();
  const node = (id: string) => s().history.present.graph.nodes.find((n) => n.id === id)!;
  const errors = () => {
    s().analyzeNow();
    return s().analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
  };
  const load = (graph: Omit<GraphIR, 'format' | 'version'>) => s().load({ graph: { ...emptyDoc().graph, ...graph }, layout: Object.fromEntries(graph.nodes.map((n, i) => [n.id, { x: 0, y: 100 * i }])) }, { name: graph.name ?? 'design' });
  const addSettings = () => s().edit({ kind: 'set-training', training: defaultTraining(s().history.present.graph) });

  it('a drawn MLP with its Input not set yet (a wine classifier): not MNIST fed at 1×28×28 into a Linear (E_RANK, "add a Flatten"), but a set it takes', () => {
    load({
      name: 'wine MLP',
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [1], source: 'features' }, inputs: [] },
        { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
        { id: 'fc1', op: 'Linear', attrs: { outFeatures: 16 }, inputs: ['x'] },
        { id: 'relu', op: 'ReLU', attrs: {}, inputs: ['fc1'] },
        { id: 'fc2', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['relu'] },
        { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc2', 'y'] },
      ],
      outputs: { logits: 'fc2', loss: 'loss' },
    });
    expect(errors()).toEqual([]);
    addSettings();
    expect(s().history.present.graph.training?.dataset.name).toBe('iris');
    expect(node('x').attrs.shape).toEqual([4]);
    expect(errors()).toEqual([]);
  });

  it('an imported photo classifier (Input [3, 224, 224], 1000 classes): your image folder, not MNIST; the Input stays', () => {
    load({
      name: 'resnet-like',
      nodes: [
        { id: 'image', op: 'Input', attrs: { shape: [3, 224, 224], source: 'features' }, inputs: [] },
        { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
        { id: 'conv', op: 'Conv2d', attrs: { outChannels: 8, kernelSize: [7, 7], stride: [16, 16] }, inputs: ['image'] },
        { id: 'gap', op: 'GlobalAvgPool', attrs: {}, inputs: ['conv'] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 1000 }, inputs: ['gap'] },
        { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
      ],
      outputs: { logits: 'fc', loss: 'loss' },
    });
    addSettings();
    expect(s().history.present.graph.training?.dataset.name).toBe('image-folder');
    expect(node('image').attrs.shape).toEqual([3, 224, 224]);
    expect(errors()).toEqual([]);
  });

  it('a regression MLP gets the housing prices; the denoising autoencoder MNIST with its features as targets; a set Input of a shape no set has, a table', () => {
    load({
      name: 'prices',
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [1], source: 'features' }, inputs: [] },
        { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['x'] },
        { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc', 'y'] },
      ],
      outputs: { prediction: 'fc', loss: 'loss' },
    });
    addSettings();
    expect(s().history.present.graph.training?.dataset.name).toBe('housing');
    const ae = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/mnist-denoise-ae.json'), 'utf8')) as GraphIR;
    delete ae.training;
    expect(defaultTraining(ae).dataset).toEqual({ name: 'mnist', target: 'features' });
    const wide = { nodes: [{ id: 'x', op: 'Input', attrs: { shape: [13], source: 'features' }, inputs: [] }], outputs: {} };
    expect(defaultTraining(wide).dataset).toEqual({ name: 'csv' });
  });

  it("a new head's classes come from a preview of the design's own data only: MNIST's 10 are not offered once Use this data put a folder in", () => {
    const graph = (dataset: { name: string; options?: Record<string, unknown> }): GraphIR => ({ ...emptyDoc().graph, nodes: [{ id: 'x', op: 'Input', attrs: { shape: [1, 28, 28], source: 'features' }, inputs: [] }], training: { ...defaultTraining({ nodes: [], outputs: {} }), dataset } });
    const mnist = graph({ name: 'mnist' });
    const preview = { name: 'mnist', task: 'classification', featureShape: [1, 28, 28], counts: { train: 1, val: 0, test: 0 }, classNames: [...'0123456789'], classBalance: [1], samples: [] } as unknown as DatasetPreview;
    const ui = { preview, previewKey: datasetPreviewKey(mnist) };
    expect(previewClasses(mnist, ui)).toBe(10);
    expect(previewClasses(graph({ name: 'image-folder', options: { path: '/photos/icons' } }), ui)).toBeUndefined();
  });
});
