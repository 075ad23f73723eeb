/** The checked graph (checkGraph → CheckedGraph) and the one predictor over its binding. */
import { describe, expect, it } from 'vitest';
import { CheckedGraph, checkGraph, checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { analyzeGraph } from '../../../src-engine/core/analysis/validate';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import { MetricAccumulator } from '../../../src-engine/core/metrics';
import { Predictor, TrainError, argmax, bindGraph, checkBinding, rowProbabilities } from '../../../src-engine/core/train';
import { twoMoonsGraph } from '../session/fixtures';

describe('checkGraph', () => {
  it('answers a CheckedGraph with the normalised IR, the order and shapes at any batch size, or the diagnostics', () => {
    const json = twoMoonsGraph();
    const r = checkGraph(json);
    expect(r.graph).toBeInstanceOf(CheckedGraph);
    const g = r.graph!;
    expect(g.ir).toEqual(analyzeGraph(json).graph);
    expect(g.order).toEqual(analyzeGraph(json).order);
    // shapesAt infers without validating again, and agrees with a full analysis at that size.
    expect(g.shapesAt(7)).toEqual(analyzeGraph(json, { batchSize: 7 }).shapes);
    expect(g.shapesAt(7)).toBe(g.shapesAt(7));
    expect(() => g.shapesAt(0)).toThrow(/positive whole number/);

    const bad = { ...json, nodes: json.nodes.map((n) => (n.id === 'fc2' ? { ...n, inputs: ['nope'] } : n)) };
    const failed = checkGraph(bad);
    expect(failed.graph).toBeUndefined();
    expect(failed.diagnostics.map((d) => d.code)).toContain('E_DANGLING_INPUT');
    expect(() => checkedOrThrow(bad)).toThrow(/nope/);
  });

  it('cannot be made but by checking', () => {
    // Checked by the compiler (tsc -b): each @ts-expect-error below is itself an error the day
    // the constructor becomes public or compile takes a plain IR.
    // @ts-expect-error the constructor is private: a CheckedGraph only comes from checkGraph.
    const forge = () => new CheckedGraph(twoMoonsGraph(), [], [], 0, 0, new Map());
    expect(forge).toBeTypeOf('function');
    // @ts-expect-error a GraphIR is not a CheckedGraph
    expect(() => compileGraph(twoMoonsGraph(), { batchSize: 2, backend: createReferenceBackend(), seed: 1 })).toThrow();
  });

  it('withTraining keeps the check for new numbers and checks again when what is trained changes', () => {
    const g = checkedOrThrow(twoMoonsGraph());
    const shapes = g.shapesAt(5);
    const faster = g.withTraining({ ...g.training!, epochs: 9, batchSize: 5 });
    expect(faster.training!.epochs).toBe(9);
    expect(faster.shapesAt(5)).toBe(shapes);
    expect(() => g.withTraining({ ...g.training!, loss: 'fc3' })).toThrow(/must be a loss node/);
  });
});

describe('bindGraph, checkBinding and the Predictor', () => {
  const json = twoMoonsGraph({}, 80);
  const data = prepareData(loadBuiltinDataset(json.training!.dataset, 1)!, json.training!.dataset, 1);

  it('binds the graph from its structure, then fits it to the data', () => {
    const checked = checkedOrThrow(json);
    const s = bindGraph(checked);
    expect(s).toMatchObject({ featureInput: 'xy', featureShape: [2], targetInput: 'label', targetSize: 1, predictionNode: 'fc3', predictionWidth: 2, generative: false, scores: 'logits' });
    expect(checkBinding(s, data)).toMatchObject({ task: 'classification', metricTarget: { kind: 'classes', outputSize: 2, numClasses: 2 } });
    const wide = checkedOrThrow({ ...json, nodes: json.nodes.map((n) => (n.id === 'xy' ? { ...n, attrs: { ...n.attrs, shape: [3] } } : n)) });
    expect(() => checkBinding(bindGraph(wide), data)).toThrow(TrainError);
  });

  it('a loss that compares class labels refuses data of values to predict (a regression), with a coded message', () => {
    const housing = prepareData(loadBuiltinDataset({ name: 'housing' }, 1)!, { name: 'housing' }, 1);
    const width = housing.train.featureShape;
    const classifier = checkedOrThrow({ ...json, nodes: json.nodes.map((n) => (n.id === 'xy' ? { ...n, attrs: { ...n.attrs, shape: [...width] } } : n)) });
    const s = bindGraph(classifier);
    expect(s.labelLosses).toEqual(s.lossNodes);
    let thrown: unknown;
    try {
      checkBinding(s, housing);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TrainError);
    expect(thrown).toMatchObject({ code: 'TRAIN_TASK_MISMATCH' });
    expect((thrown as Error).message).toMatch(/compares class labels but .* holds values to predict \(a regression\)\. Use MSELoss/);
  });

  it('predicts, reads probabilities and classifies with the one argmax, as the metrics do', () => {
    const checked = checkedOrThrow(json);
    const plan = compileGraph(checked, { batchSize: 8, backend: createReferenceBackend(), seed: 3 });
    const binding = checkBinding(bindGraph(checked), data);
    const p = new Predictor(plan, binding);
    const rows = p.predict(data.test.features, 8).slice();
    expect(rows.length).toBe(16);
    const acc = new MetricAccumulator(['accuracy'], binding.metricTarget);
    const labels = data.test.targets.slice(0, 8);
    acc.add(8, 0, rows, Float32Array.from(labels));
    let right = 0;
    for (let i = 0; i < 8; i++) {
      expect(p.probabilities(i, rows)).toEqual(rowProbabilities(rows.subarray(2 * i, 2 * i + 2), 'logits'));
      expect(p.classify(i, rows)).toBe(argmax(rows.subarray(2 * i, 2 * i + 2)));
      if (p.classify(i, rows) === labels[i]) right++;
    }
    expect(acc.result().accuracy).toBe(right / 8);
  });

  it('a single probability (a Sigmoid head) is class 1 above one half, in the metrics too', () => {
    const acc = new MetricAccumulator(['accuracy'], { kind: 'classes', outputSize: 1, numClasses: 2, threshold: 0.5 });
    acc.add(4, 0, Float32Array.of(0.2, 0.7, 0.4, 0.9), Float32Array.of(0, 1, 0, 1));
    // Read as logits (above 0), every probability would be class 1: half right.
    expect(acc.result().accuracy).toBe(1);
    expect(argmax(rowProbabilities(Float32Array.of(0.4), 'single-probability'))).toBe(0);
  });
});
