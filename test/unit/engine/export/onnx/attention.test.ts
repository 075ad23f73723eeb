/**
 * MultiHeadAttention (with PositionalEmbedding and SequencePool around it) in and out of ONNX:
 * Netwright's export runs in onnxruntime with Netwright's outputs, python3-onnx's full check
 * accepts it, the export reads back from its nodes alone as the same ops with identical outputs,
 * and what torch.onnx writes for an `nn.MultiheadAttention(batch_first=True)` classifier over
 * MNIST rows (mean over the steps; causal with learned positions and the last step; one head
 * without biases) imports and predicts within 1e-4·max|y| + 1e-5 of PyTorch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../../src-engine/base/ir/types';
import { Rng } from '../../../../../src-engine/base/rng';
import { inferModel } from '../../../../../src-engine/core/export/infer';
import { exportOnnx } from '../../../../../src-engine/core/export/onnx';
import { importOnnx } from '../../../../../src-engine/core/import/onnx';
import { decodeModel, encodeModel } from '../../../../../src-engine/core/export/onnx/proto';
import type { Attrs } from '../../../../../src-engine/core/ops/types';
import { compare, onnxCheck, randomModel, runOrt } from './harness';
import { pythonFixtures } from './python-fixtures';

interface TorchFixture {
  input: number[];
  inputShape: number[];
  output: number[];
}

const T = 5;
const E = 6;

function attentionGraph(attrs: Attrs, pool: 'mean' | 'last'): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    name: `attention ${JSON.stringify(attrs)}`,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [T, E], source: 'features' }, inputs: [] },
      { id: 'pos', op: 'PositionalEmbedding', attrs: {}, inputs: ['x'] },
      { id: 'att', op: 'MultiHeadAttention', attrs, inputs: ['pos'] },
      { id: 'pool', op: 'SequencePool', attrs: { mode: pool }, inputs: ['att'] },
    ],
    outputs: { y: 'pool' },
  };
}

const VARIANTS: [Attrs, 'mean' | 'last'][] = [
  [{ numHeads: 2 }, 'mean'],
  [{ numHeads: 3, causal: true }, 'last'],
  [{ numHeads: 1, causal: true, bias: false }, 'mean'],
];

const maxAbsOf = (y: ArrayLike<number>) => Array.from(y).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('MultiHeadAttention and ONNX', () => {
  const files: Record<string, Uint8Array> = {};

  it('exports every variant as onnxruntime runs it with Netwright’s outputs', async () => {
    const rng = new Rng(3);
    for (const [i, [attrs, pool]] of VARIANTS.entries()) {
      const model = randomModel(attentionGraph(attrs, pool), 11 + i);
      const batch = 3;
      const x = Float32Array.from({ length: batch * T * E }, () => rng.normal());
      const bytes = exportOnnx(model).bytes;
      files[JSON.stringify(attrs)] = bytes;
      const want = inferModel(model, { x }, batch, ['pool']).pool;
      const got = (await runOrt(bytes, { x: { data: x, dims: [batch, T, E] } })).y;
      const c = compare(got, want, 1e-5 + 1e-4 * maxAbsOf(want), 0);
      expect(c.excess, `${JSON.stringify(attrs)}: max |onnxruntime − Netwright| = ${c.maxAbs}`).toBeLessThanOrEqual(0);
      expect(decodeModel(bytes).graph.node.filter((n) => n.op_type === 'Softmax').length).toBe(1);
    }
  });

  it('writes files python3-onnx’s full check accepts', () => {
    expect(Object.keys(files).length).toBe(VARIANTS.length);
    expect(onnxCheck(files)).toEqual({});
  });

  it('reads its own export back from the nodes alone, with the same outputs', () => {
    for (const [attrs, pool] of VARIANTS) {
      const model = randomModel(attentionGraph(attrs, pool), 5);
      const file = decodeModel(exportOnnx(model).bytes);
      file.metadata_props = [];
      const { model: back } = importOnnx(encodeModel(file));
      expect(back.graph.nodes.map((n) => [n.op, n.attrs])).toEqual([
        ['Input', { shape: [T, E], source: 'features' }],
        ['PositionalEmbedding', {}],
        ['MultiHeadAttention', { causal: false, bias: true, ...attrs }],
        ['SequencePool', { mode: pool }],
      ]);
      const x = Float32Array.from({ length: 2 * T * E }, (_, i) => Math.sin(i * 1.3));
      expect(Array.from(inferModel(back, { x }, 2, [back.graph.outputs.y])[back.graph.outputs.y])).toEqual(Array.from(inferModel(model, { x }, 2, ['pool']).pool));
    }
  });
});

describe('torch.onnx files of nn.MultiheadAttention classifiers over MNIST rows (PyTorch 1.13, opset 17)', () => {
  it('import and predict within 1e-4·max|y| + 1e-5 of PyTorch', () => {
    const dir = pythonFixtures(join(import.meta.dirname, 'recurrent-fixtures.py'), ['mha'], ['torch', 'onnx']);
    // Each ends in a Linear of 10 logits: recognised as a classifier, given a label Input and a loss (classifier.ts).
    const cases: [string, string[], Attrs][] = [
      ['mha_mean', ['Input', 'MultiHeadAttention', 'SequencePool', 'Linear', 'Input', 'CrossEntropyLoss'], { numHeads: 4, causal: false, bias: true }],
      ['mha_causal_last_pos', ['Input', 'PositionalEmbedding', 'MultiHeadAttention', 'SequencePool', 'Linear', 'Input', 'CrossEntropyLoss'], { numHeads: 7, causal: true, bias: true }],
      ['mha_nobias_1head', ['Input', 'MultiHeadAttention', 'SequencePool', 'Linear', 'Input', 'CrossEntropyLoss'], { numHeads: 1, causal: false, bias: false }],
    ];
    for (const [name, ops, attrs] of cases) {
      const fixture = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as TorchFixture;
      const { model } = importOnnx(readFileSync(join(dir, `${name}.onnx`)));
      expect(model.graph.nodes.map((n) => n.op)).toEqual(ops);
      expect(model.graph.nodes.find((n) => n.op === 'MultiHeadAttention')!.attrs).toEqual(attrs);
      const y = model.graph.outputs.y;
      const out = inferModel(model, { x: Float32Array.from(fixture.input) }, fixture.inputShape[0], [y])[y];
      const c = compare(out, fixture.output, 1e-5 + 1e-4 * maxAbsOf(fixture.output), 0);
      expect(c.excess, `${name}: max |Netwright − PyTorch| = ${c.maxAbs}`).toBeLessThanOrEqual(0);
      console.info(`${name}: max |Netwright − PyTorch| = ${c.maxAbs.toExponential(2)} (max |y| ${maxAbsOf(fixture.output).toFixed(3)})`);
    }
  });
});
