/**
 * Fine-tuning (issue #29 item 3): an imported classifier is recognised as one (its head found,
 * a label Input and a loss added, so a loaded model predicts class probabilities), and "Replace
 * head" swaps the head for one sized to other classes, rewiring what read it.
 */
import { describe, expect, it } from 'vitest';
import type { GraphIR, NodeIR } from '../../../src-engine/base/ir/types';
import { findClassifierHead, replaceHead, withClassificationLoss } from '../../../src-engine/core/analysis/classifier';
import { analyzeGraph } from '../../../src-engine/core/analysis/validate';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { LoadedModel } from '../../../src-engine/app/session/loaded-model';
import { randomModel } from './export/onnx/harness';

const graph = (nodes: NodeIR[], outputs: Record<string, string>): GraphIR => ({ format: 'netwright.graph', version: 3, nodes, outputs });
const image: NodeIR = { id: 'x', op: 'Input', attrs: { shape: [3, 8, 8], source: 'features' }, inputs: [] };
const features: NodeIR[] = [image, { id: 'conv', op: 'Conv2d', attrs: { outChannels: 6, kernelSize: 3, padding: 1 }, inputs: ['x'] }, { id: 'relu', op: 'ReLU', attrs: {}, inputs: ['conv'] }];

const mlpSoftmax = graph(
  [...features, { id: 'pool', op: 'GlobalAvgPool', attrs: {}, inputs: ['relu'] }, { id: 'fc', op: 'Linear', attrs: { outFeatures: 5 }, inputs: ['pool'] }, { id: 'prob', op: 'Softmax', attrs: {}, inputs: ['fc'] }],
  { y: 'prob' },
);
/** SqueezeNet's head: a 1×1 convolution to K channels, ReLU, global pooling, Flatten. */
const convHead = graph(
  [
    ...features,
    { id: 'final_conv', op: 'Conv2d', attrs: { outChannels: 4, kernelSize: 1 }, inputs: ['relu'] },
    { id: 'act', op: 'ReLU', attrs: {}, inputs: ['final_conv'] },
    { id: 'gap', op: 'GlobalAvgPool', attrs: {}, inputs: ['act'] },
    { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['gap'] },
  ],
  { y: 'flat' },
);

const find = (g: GraphIR) => {
  const a = analyzeGraph(g, { batchSize: 1 });
  expect(a.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return findClassifierHead(a.graph!, a.shapes);
};

describe('classifier heads', () => {
  it('finds a Linear head under a Softmax, and a 1×1 convolution head under ReLU, pooling and Flatten', () => {
    expect(find(mlpSoftmax)).toEqual({ head: 'fc', logits: 'fc', softmax: 'prob', classes: 5 });
    expect(find(convHead)).toEqual({ head: 'final_conv', logits: 'flat', classes: 4 });
  });

  it('finds none for one output, an image output, or a parameterless end that changes the width', () => {
    const one = graph([...mlpSoftmax.nodes.slice(0, 4), { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['pool'] }], { y: 'fc' });
    expect(find(one)).toBeUndefined();
    expect(find(graph(features, { y: 'relu' }))).toBeUndefined();
    const reshaped = graph([...features, { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['relu'] }], { y: 'flat' });
    expect(find(reshaped)).toBeUndefined();
  });

  it('finds none for a regression of several values (every loss compares values), and the head where a loss compares classes', () => {
    const trained = (loss: string): GraphIR => ({
      ...graph(
        [
          ...mlpSoftmax.nodes.slice(0, 5),
          { id: 'y', op: 'Input', attrs: { shape: loss === 'MSELoss' ? [5] : [], source: 'target' }, inputs: [] },
          { id: 'loss', op: loss, attrs: {}, inputs: ['fc', 'y'] },
        ],
        { logits: 'fc', loss: 'loss' },
      ),
      training: { dataset: { name: 'iris' }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 4, epochs: 1, seed: 1, metrics: [] },
    });
    expect(find(trained('MSELoss'))).toBeUndefined();
    expect(find(trained('CrossEntropyLoss'))).toEqual({ head: 'fc', logits: 'fc', classes: 5 });
  });

  it('withClassificationLoss puts the loss on the logits, not on the Softmax; a graph with a loss is left alone', () => {
    const g = withClassificationLoss(mlpSoftmax, { logits: 'fc' });
    expect(g.nodes.slice(-2)).toEqual([
      { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ]);
    expect(g.outputs).toEqual({ y: 'prob', logits: 'fc', loss: 'loss' });
    expect(analyzeGraph(g).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(withClassificationLoss(g, { logits: 'fc' })).toBe(g);
  });

  it('replaceHead: a new layer of K outputs under a new id, read by everything that read the old one', () => {
    const g = replaceHead(withClassificationLoss(mlpSoftmax, { logits: 'fc' }), 'fc', 10, 'head');
    expect(g.nodes.find((n) => n.id === 'fc')).toBeUndefined();
    expect(g.nodes.find((n) => n.id === 'head')).toEqual({ id: 'head', op: 'Linear', attrs: { outFeatures: 10 }, inputs: ['pool'] });
    expect(g.nodes.find((n) => n.id === 'prob')!.inputs).toEqual(['head']);
    expect(g.nodes.find((n) => n.id === 'loss')!.inputs).toEqual(['head', 'label']);
    expect(g.outputs).toEqual({ y: 'prob', logits: 'head', loss: 'loss' });
    expect(find(g)).toMatchObject({ head: 'head', classes: 10 });
    const conv = replaceHead(convHead, 'final_conv', 7, 'final_conv_new');
    expect(find(conv)).toEqual({ head: 'final_conv_new', logits: 'flat', classes: 7 });
    expect(() => replaceHead(convHead, 'relu', 3, 'h')).toThrow(/no output width/);
    expect(() => replaceHead(convHead, 'final_conv', 3, 'relu')).toThrow(/already exists/);
  });

  it('a loaded model with a class-label loss predicts class probabilities, even without class names', () => {
    const g = withClassificationLoss(mlpSoftmax, { logits: 'fc' });
    const loaded = new LoadedModel('run-1', randomModel(g, 1), createReferenceBackend());
    expect(loaded.task).toBe('classification');
    const r = loaded.predict(Array.from({ length: 3 * 8 * 8 }, (_, i) => Math.sin(i)));
    expect(r.kind).toBe('probabilities');
    if (r.kind === 'probabilities') expect(r.values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // Without the loss it stays what it was: raw outputs.
    expect(new LoadedModel('run-2', randomModel(mlpSoftmax, 1), createReferenceBackend()).task).toBe('regression');
  });
});
