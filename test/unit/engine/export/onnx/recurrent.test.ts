/**
 * The recurrent ops (LSTM, GRU) in and out of ONNX: Netwright's export runs in onnxruntime with
 * Netwright's outputs (one layer and stacked, one direction and both, the sequence and the last
 * state), python3-onnx's full check accepts it, the export reads back (but for both directions'
 * last state) as the same op with bit-identical outputs, and what torch.onnx writes for `nn.LSTM(28, 48, batch_first=True)` and
 * `nn.GRU(28, 48, batch_first=True)` (and a 2-layer GRU, a 2-layer bidirectional LSTM) imports with
 * PyTorch's outputs within 1e-4·max|y| + 1e-5.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../../src-engine/base/ir/types';
import { Rng } from '../../../../../src-engine/base/rng';
import { inferModel } from '../../../../../src-engine/core/export/infer';
import { exportOnnx, OnnxError } from '../../../../../src-engine/core/export/onnx';
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

const RECURRENT = ['RNN', 'LSTM', 'GRU'] as const;

function seqGraph(op: string, attrs: Attrs, t = 5, f = 3): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    name: `${op} ${JSON.stringify(attrs)}`,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [t, f], source: 'features' }, inputs: [] },
      { id: 'rnn', op, attrs, inputs: ['x'] },
    ],
    outputs: { y: 'rnn' },
  };
}

const VARIANTS: Attrs[] = [
  { hiddenSize: 4 },
  { hiddenSize: 3, output: 'last', bias: false },
  { hiddenSize: 3, numLayers: 2, bidirectional: true },
  { hiddenSize: 2, bidirectional: true, output: 'last' },
  { hiddenSize: 3, numLayers: 3, output: 'last' },
];

/** The largest |y|: the tolerance of the issue, 1e-4·max|y| + 1e-5. */
const maxAbsOf = (y: ArrayLike<number>) => Array.from(y).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe.each(RECURRENT)('%s and ONNX', (op) => {
  const files: Record<string, Uint8Array> = {};

  it('exports every variant as onnxruntime runs it with Netwright’s outputs', async () => {
    const rng = new Rng(3);
    for (const [i, attrs] of VARIANTS.entries()) {
      const model = randomModel(seqGraph(op, attrs), 11 + i);
      const batch = 3;
      const x = Float32Array.from({ length: batch * 15 }, () => rng.normal());
      const bytes = exportOnnx(model).bytes;
      files[JSON.stringify(attrs)] = bytes;
      const want = inferModel(model, { x }, batch, ['rnn']).rnn;
      const got = (await runOrt(bytes, { x: { data: x, dims: [batch, 5, 3] } })).y;
      const c = compare(got, want, 1e-5 + 1e-4 * maxAbsOf(want), 0);
      expect(c.excess, `${JSON.stringify(attrs)}: max |onnxruntime − Netwright| = ${c.maxAbs}`).toBeLessThanOrEqual(0);
      expect(decodeModel(bytes).graph.node.filter((n) => n.op_type === op).length).toBe((attrs.numLayers as number | undefined) ?? 1);
    }
  });

  it('writes files python3-onnx’s full check accepts', () => {
    expect(Object.keys(files).length).toBe(VARIANTS.length);
    expect(onnxCheck(files)).toEqual({});
  });

  it('reads its own export back from the nodes alone, bit for bit (all but the last state of both directions)', () => {
    for (const attrs of [VARIANTS[0], VARIANTS[1], VARIANTS[2], VARIANTS[4]]) {
      const model = randomModel(seqGraph(op, attrs), 5);
      const file = decodeModel(exportOnnx(model).bytes);
      file.metadata_props = [];
      const { model: back } = importOnnx(encodeModel(file));
      expect(back.graph.nodes.map((n) => [n.id, n.op])).toEqual([['x', 'Input'], ['rnn', op]]);
      expect(back.graph.nodes[1].attrs).toEqual({ hiddenSize: 4, numLayers: 1, bidirectional: false, bias: true, output: 'sequence', ...attrs });
      const x = Float32Array.from({ length: 2 * 15 }, (_, i) => Math.sin(i * 1.3));
      expect(Array.from(inferModel(back, { x }, 2, [back.graph.outputs.y])[back.graph.outputs.y])).toEqual(Array.from(inferModel(model, { x }, 2, ['rnn']).rnn));
    }
  });

  it('refuses the last state of both directions read from its nodes, saying what it reads', () => {
    const file = decodeModel(exportOnnx(randomModel(seqGraph(op, VARIANTS[3]), 5)).bytes);
    file.metadata_props = [];
    try {
      importOnnx(encodeModel(file));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(OnnxError);
      expect((e as OnnxError).diagnostics.map((d) => d.message).join(' ')).toMatch(new RegExp(`${op} is read only as torch.onnx writes nn.${op}\\(batch_first=True\\)`));
    }
  });
});

/** The folder of recurrent-fixtures.py's files of nn.RNN, nn.LSTM, nn.GRU and the fixed-batch LSTM: one python run for both tests (pythonFixtures). */
function torchFiles(): string {
  return pythonFixtures(join(import.meta.dirname, 'recurrent-fixtures.py'), [[...RECURRENT.map((o) => o.toLowerCase()), 'lstm_fixed'].join(',')], ['torch', 'onnx']);
}

describe('torch.onnx files of nn.RNN, nn.LSTM and nn.GRU (PyTorch 1.13, opset 17)', () => {
  it('import and predict within 1e-4·max|y| + 1e-5 of PyTorch: the sequence, the last state, stacked (and bidirectional)', () => {
    const dir = torchFiles();
    for (const op of RECURRENT) {
      const stacked = op === 'LSTM' ? { hiddenSize: 16, numLayers: 2, bidirectional: true } : { numLayers: 2 };
      const cases = [
        [`${op.toLowerCase()}_seq`, {}],
        [`${op.toLowerCase()}_last`, { output: 'last' }],
        [`${op.toLowerCase()}_stacked`, stacked],
      ] as const;
      for (const [name, attrs] of cases) {
        const fixture = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as TorchFixture;
        const { model } = importOnnx(readFileSync(join(dir, `${name}.onnx`)));
        expect(model.graph.nodes.map((n) => [n.op, n.attrs])).toEqual([
          ['Input', { shape: [28, 28], source: 'features' }],
          [op, { hiddenSize: 48, numLayers: 1, bidirectional: false, bias: true, output: 'sequence', ...attrs }],
        ]);
        const y = model.graph.outputs.y;
        const out = inferModel(model, { x: Float32Array.from(fixture.input) }, fixture.inputShape[0], [y])[y];
        const c = compare(out, fixture.output, 1e-5 + 1e-4 * maxAbsOf(fixture.output), 0);
        expect(c.excess, `${name}: max |Netwright − PyTorch| = ${c.maxAbs}`).toBeLessThanOrEqual(0);
        console.info(`${name}: max |Netwright − PyTorch| = ${c.maxAbs.toExponential(2)}`);
      }
    }
  });
});

describe('an nn.LSTM classifier exported as tutorials do: one sample, no dynamic_axes (#44)', () => {
  it('imports with a free batch, says so, and predicts a batch of 3 within 1e-4·max|y| + 1e-5 of PyTorch', () => {
    const dir = torchFiles();
    const file = readFileSync(join(dir, 'lstm_fixed.onnx'));
    expect(decodeModel(file).graph.input[0].type?.tensor_type?.shape?.dim.map((d) => d.dim_value)).toEqual([1, 28, 28]);
    const { model, warnings } = importOnnx(file);
    expect(model.graph.nodes.map((n) => n.op)).toEqual(['Input', 'LSTM', 'SequencePool', 'Linear', 'Input', 'CrossEntropyLoss']);
    expect(warnings.find((w) => w.code === 'W_IMPORT_BATCH')?.message).toMatch(/fixes the batch size at 1 \(exported without dynamic_axes\); Netwright reads it for any batch size/);
    const fixture = JSON.parse(readFileSync(join(dir, 'lstm_fixed.json'), 'utf8')) as TorchFixture;
    expect(fixture.inputShape[0]).toBe(3);
    const input = model.graph.nodes[0].id;
    const logits = model.graph.nodes.find((n) => n.op === 'Linear')!.id;
    const out = inferModel(model, { [input]: Float32Array.from(fixture.input) }, 3, [logits])[logits];
    const c = compare(out, fixture.output, 1e-5 + 1e-4 * maxAbsOf(fixture.output), 0);
    expect(c.excess, `max |Netwright − PyTorch| = ${c.maxAbs}`).toBeLessThanOrEqual(0);
  });
});
