/**
 * The integer forms of float ops on the CPU backend's int8 path (#85): HardSwish, HardSigmoid, Add
 * and Multiply as tables over their uint8 inputs, Concat as a requantisation table per input,
 * GlobalAvgPool as the float mean over a table of dequantised values — the same uint8 outputs as
 * `runInt8` (which runs each as the float op between a dequantise and a quantise), exactly, on a
 * MobileNet-like block: squeeze-and-excitation (a gate per channel times the feature map, gate
 * first as torchvision writes it), a residual Add, a Concat of two branches, odd channel counts
 * (not multiples of the eight lanes), random weights and zero points, 1, 7 and 45 samples (past a
 * prepared batch of 32). No float op is left in TypeScript. And ConvTranspose2d as an int8 layer
 * (weights per output channel, a BatchNorm folded and a ReLU fused as into a Conv2d): the
 * WebAssembly path (int8Dense over a gather of taps, or per tap where the kernel equals the stride) equals runInt8, onnxruntime-web on the QDQ
 * file is within one requantisation step of it, onnx's checker accepts the file.
 */
import { describe, expect, it } from 'vitest';
import type { GraphIR, NodeIR } from '../../../../src-engine/base/ir/types';
import { Rng } from '../../../../src-engine/base/rng';
import { quantizeModel, runInt8 } from '../../../../src-engine/core/quantize/int8';
import { int8Onnx } from '../../../../src-engine/core/quantize/qdq-onnx';
import { int8Inference } from '../../../../src-engine/core/quantize/runtime';
import { createCpuBackend } from '../../../../src-engine/node/cpu';
import { onnxCheck, runOrt, trainedModel } from '../export/onnx/harness';

const node = (id: string, op: string, inputs: string[], attrs: NodeIR['attrs'] = {}): NodeIR => ({ id, op, attrs, inputs });

/** A MobileNetV3-like block on a 3×11×9 image: every op of `QUANTIZE_RULES`' integer forms, channels 13, 5 and 21 (the Concat's second input: int8Table's sixteen values a step, then five one by one). */
const SE_BLOCK: GraphIR = {
  format: 'netwright.graph',
  version: 1,
  nodes: [
    node('x', 'Input', [], { shape: [3, 11, 9], source: 'features' }),
    node('label', 'Input', [], { shape: [], source: 'target' }),
    node('stem', 'Conv2d', ['x'], { outChannels: 13, kernelSize: [3, 3], padding: [1, 1] }),
    node('bn', 'BatchNorm', ['stem']),
    node('hs', 'HardSwish', ['bn']),
    node('squeeze', 'GlobalAvgPool', ['hs'], { keepDims: true }),
    node('fc1', 'Conv2d', ['squeeze'], { outChannels: 5, kernelSize: [1, 1] }),
    node('r1', 'ReLU', ['fc1']),
    node('fc2', 'Conv2d', ['r1'], { outChannels: 13, kernelSize: [1, 1] }),
    node('gate', 'HardSigmoid', ['fc2']),
    node('excite', 'Multiply', ['gate', 'hs']),
    node('proj', 'Conv2d', ['excite'], { outChannels: 13, kernelSize: [1, 1] }),
    node('res', 'Add', ['proj', 'hs']),
    node('side', 'Conv2d', ['hs'], { outChannels: 21, kernelSize: [3, 3], padding: [1, 1] }),
    node('join', 'Concat', ['res', 'side'], { axis: 1 }),
    node('pool', 'GlobalAvgPool', ['join']),
    node('fc', 'Linear', ['pool'], { outFeatures: 4 }),
    node('loss', 'CrossEntropyLoss', ['fc', 'label']),
  ],
  outputs: { logits: 'fc', loss: 'loss' },
} as GraphIR;

describe('integer forms of float ops', () => {
  it('HardSwish, HardSigmoid, Add, Multiply (a gate per channel), Concat and GlobalAvgPool run as tables to runInt8’s uint8 outputs exactly', async () => {
    const model = trainedModel(SE_BLOCK, 3);
    const rng = new Rng(11);
    const n0 = 3 * 11 * 9;
    const sample = (count: number) => Float32Array.from({ length: count * n0 }, () => 2 * rng.uniform() - 0.5);
    const q = quantizeModel(model, sample(32), 32, 'minmax');
    const forms = q.plan.steps.flatMap((s) => (s.kind === 'float' ? [`${s.id}:${s.form}`] : []));
    expect(forms).toEqual(['hs:table', 'squeeze:mean', 'gate:table', 'excite:table', 'res:table', 'join:concat', 'pool:mean']);
    // Zero points away from 0 on the joins' inputs, so the tables shift values.
    expect(['hs', 'res', 'join'].map((id) => q.paramsOf.get(id)!.zeroPoint).every((z) => z > 0)).toBe(true);
    for (const threads of [1, 2]) {
      const cpu = await createCpuBackend({ threads });
      try {
        const inference = int8Inference(q, cpu);
        expect(inference.kind).toBe('WebAssembly SIMD');
        for (const count of [1, 7, 45]) {
          const x = sample(count);
          expect(Array.from(inference.run(x, count).quantized), `${count} samples, ${threads} threads`).toEqual(Array.from(runInt8(q, x, count).quantized));
        }
      } finally {
        cpu.dispose?.();
      }
    }
  }, 60_000);

  it('ConvTranspose2d in int8 (3×3 stride 2 pad 1 output padding 1, BatchNorm folded, ReLU fused; 2×2 dilated 2; 2×3 stride 2×3 by phases, 19 channels: a sixteen-channel tile of int8DensePairs and an eight): the WebAssembly path equals runInt8, onnxruntime-web is within a step', async () => {
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 1,
      nodes: [
        node('x', 'Input', [], { shape: [3, 7, 5], source: 'features' }),
        node('label', 'Input', [], { shape: [], source: 'target' }),
        node('c1', 'Conv2d', ['x'], { outChannels: 9, kernelSize: [3, 3], padding: [1, 1] }),
        node('up1', 'ConvTranspose2d', ['c1'], { outChannels: 5, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 1] }),
        node('bn', 'BatchNorm', ['up1']),
        node('r', 'ReLU', ['bn']),
        node('up2', 'ConvTranspose2d', ['r'], { outChannels: 11, kernelSize: [2, 2], dilation: [2, 2] }),
        node('up3', 'ConvTranspose2d', ['up2'], { outChannels: 19, kernelSize: [2, 3], stride: [2, 3] }),
        node('pool', 'GlobalAvgPool', ['up3']),
        node('fc', 'Linear', ['pool'], { outFeatures: 3 }),
        node('loss', 'CrossEntropyLoss', ['fc', 'label']),
      ],
      outputs: { logits: 'fc', loss: 'loss' },
    } as GraphIR;
    const model = trainedModel(graph, 3);
    const rng = new Rng(5);
    const n0 = 3 * 7 * 5;
    const sample = (count: number) => Float32Array.from({ length: count * n0 }, () => 2 * rng.uniform() - 0.5);
    const q = quantizeModel(model, sample(32), 32, 'minmax');
    expect(q.plan.steps.map((s) => `${s.id}:${s.kind}${s.kind === 'dense' && s.transposed ? ' transposed' : ''}`)).toEqual(['c1:dense', 'up1:dense transposed', 'up2:dense transposed', 'up3:dense transposed', 'pool:float', 'fc:dense']);
    expect(q.plan.steps.find((s) => s.id === 'up1')).toMatchObject({ merged: ['bn', 'r'], relu: true, outShape: [5, 14, 10] });
    const bytes = int8Onnx(q);
    expect(onnxCheck({ transposed: bytes })).toEqual({});
    const count = 24;
    const x = sample(count);
    const mine = runInt8(q, x, count);
    const ort = Object.values(await runOrt(bytes, { x: { data: x, dims: [count, 3, 7, 5] } }))[0];
    let worst = 0;
    for (let j = 0; j < ort.length; j++) worst = Math.max(worst, Math.abs(ort[j] - mine.values[j]));
    expect(worst).toBeLessThanOrEqual(mine.step * (1 + 1e-5));
    const cpu = await createCpuBackend({ threads: 2 });
    try {
      const inference = int8Inference(q, cpu);
      expect(inference.kind).toBe('WebAssembly SIMD');
      for (const n of [1, 7, 45]) {
        const xs = sample(n);
        expect(Array.from(inference.run(xs, n).quantized), `${n} samples`).toEqual(Array.from(runInt8(q, xs, n).quantized));
      }
    } finally {
      cpu.dispose?.();
    }
  }, 60_000);
});
