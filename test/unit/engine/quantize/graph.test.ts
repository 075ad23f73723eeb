/**
 * int8 quantisation of a graph, not a chain (#85): a residual Add and a skip Concat (values read by
 * several layers, kept by id until their last reader), a ConvTranspose2d (an int8 layer, its
 * weights per output channel), a HardSwish and a GlobalAvgPool (float ops between a DequantizeLinear
 * and a QuantizeLinear, which the CPU backend runs in integer forms that give the same values).
 * Netwright's int8 reference and onnxruntime-web running the QDQ file give the same predictions,
 * onnx's full checker accepts the file, and the CPU backend's WebAssembly int8 path runs the graph
 * (its float ops as the reference runs them) to the same uint8 outputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR, NodeIR } from '../../../../src-engine/base/ir/types';
import { Rng } from '../../../../src-engine/base/rng';
import { exportOnnx } from '../../../../src-engine/core/export/onnx';
import { decodeModel } from '../../../../src-engine/core/export/onnx/proto';
import { normalized, quantizeModel, runInt8 } from '../../../../src-engine/core/quantize/int8';
import { int8Onnx } from '../../../../src-engine/core/quantize/qdq-onnx';
import { int8Inference } from '../../../../src-engine/core/quantize/runtime';
import { floatOutputs, sideBySide } from '../../../../src-engine/core/quantize/side-by-side';
import { createCpuBackend } from '../../../../src-engine/node/cpu';
import { onnxCheck, runOrt, trainedModel } from '../export/onnx/harness';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');

const node = (id: string, op: string, inputs: string[], attrs: NodeIR['attrs'] = {}): NodeIR => ({ id, op, attrs, inputs });

/** A residual block, a pooled branch brought back up by a ConvTranspose2d and joined by a skip Concat, a HardSwish, a classifier head. */
const GRAPH: GraphIR = {
  format: 'netwright.graph',
  version: 1,
  nodes: [
    node('x', 'Input', [], { shape: [2, 8, 8], source: 'features' }),
    node('label', 'Input', [], { shape: [], source: 'target' }),
    node('c1', 'Conv2d', ['x'], { outChannels: 4, kernelSize: [3, 3], padding: [1, 1] }),
    node('b1', 'BatchNorm', ['c1']),
    node('r1', 'ReLU', ['b1']),
    node('c2', 'Conv2d', ['r1'], { outChannels: 4, kernelSize: [3, 3], padding: [1, 1] }),
    node('b2', 'BatchNorm', ['c2']),
    node('res', 'Add', ['b2', 'r1']),
    node('act', 'HardSwish', ['res']),
    node('pool', 'MaxPool2d', ['act'], { kernelSize: [2, 2] }),
    node('up', 'ConvTranspose2d', ['pool'], { outChannels: 4, kernelSize: [2, 2], stride: [2, 2] }),
    node('skip', 'Concat', ['up', 'r1'], { axis: 1 }),
    node('c3', 'Conv2d', ['skip'], { outChannels: 6, kernelSize: [3, 3], padding: [1, 1] }),
    node('r3', 'ReLU', ['c3']),
    node('gap', 'GlobalAvgPool', ['r3']),
    node('fc', 'Linear', ['gap'], { outFeatures: 3 }),
    node('loss', 'CrossEntropyLoss', ['fc', 'label']),
  ],
  outputs: { logits: 'fc', loss: 'loss' },
} as GraphIR;

/** Argmax of each of `count` rows of `v`. */
const classes = (v: ArrayLike<number>, count: number): number[] => {
  const k = v.length / count;
  return Array.from({ length: count }, (_, i) => Array.from({ length: k }, (_, c) => v[i * k + c]).reduce((b, x, c, a) => (x > a[b] ? c : b), 0));
};

/** onnxruntime-web on the QDQ file against `runInt8`'s outputs `mine` for the [count, 2, 8, 8] inputs `x`: the same class per sample, every value within one requantisation step. */
async function expectOrtWithinStep(bytes: Uint8Array, mine: ReturnType<typeof runInt8>, x: Float32Array, count: number): Promise<void> {
  const ort = Object.values(await runOrt(bytes, { x: { data: x, dims: [count, 2, 8, 8] } }))[0];
  expect(classes(ort, count)).toEqual(classes(mine.values, count));
  let worst = 0;
  for (let j = 0; j < ort.length; j++) worst = Math.max(worst, Math.abs(ort[j] - mine.values[j]));
  expect(worst).toBeLessThanOrEqual(mine.step * (1 + 1e-5));
}

/** The CPU backend's WebAssembly int8 path runs `q`'s graph, float ops included, to `runInt8`'s uint8 outputs exactly. */
async function expectWasmEqual(q: Parameters<typeof int8Inference>[0], x: Float32Array, count: number, reference: Uint8Array): Promise<void> {
  const cpu = await createCpuBackend({ threads: 1 });
  try {
    const inference = int8Inference(q, cpu);
    // Every step on the int8 kernels or an integer form of its float op: none in float32.
    expect(inference.kind).toBe('WebAssembly SIMD');
    expect(Array.from(inference.run(x, count).quantized)).toEqual(Array.from(reference));
  } finally {
    cpu.dispose?.();
  }
}

describe('int8 quantisation of a graph', () => {
  it('a residual Add and a skip Concat: the reference and onnxruntime-web on the QDQ file agree, onnx accepts it', async () => {
    const model = trainedModel(GRAPH, 3);
    const rng = new Rng(7);
    const n0 = 2 * 8 * 8;
    const sample = (count: number) => Float32Array.from({ length: count * n0 }, () => rng.uniform());
    const q = quantizeModel(model, sample(64), 64, 'minmax');
    expect(q.plan.steps.map((s) => `${s.id}:${s.kind}`)).toEqual(['c1:dense', 'c2:dense', 'res:float', 'act:float', 'pool:pool', 'up:dense', 'skip:float', 'c3:dense', 'gap:float', 'fc:dense']);
    // The Add reads the folded c2 and the fused r1 (kept for the Concat after it), by the ids that carry them.
    expect(q.plan.steps.find((s) => s.id === 'res')!.inputs).toEqual(['c2', 'c1']);
    expect(q.plan.steps.find((s) => s.id === 'skip')!.inputs).toEqual(['up', 'c1']);
    const bytes = int8Onnx(q);
    expect(onnxCheck({ graph: bytes })).toEqual({});
    const ops = decodeModel(bytes).graph.node.map((n) => n.op_type);
    for (const op of ['ConvTranspose', 'Concat', 'Add', 'HardSwish', 'GlobalAveragePool']) expect(ops).toContain(op);

    const count = 48;
    const x = sample(count);
    const mine = runInt8(q, x, count);
    // NOTE: the float islands run in float32 on both sides with different summation orders, so a
    // value can land one requantisation step apart (measured: 1.0 step, never more); the predictions stay the same.
    await expectOrtWithinStep(bytes, mine, x, count);
    // int8 tracks the float model.
    const float = floatOutputs(model, q.plan, x, count);
    const agree = classes(float, count).filter((c, i) => c === classes(mine.values, count)[i]).length;
    expect(agree).toBeGreaterThanOrEqual(count - 2);

    await expectWasmEqual(q, x, count, mine.quantized);
  }, 30_000);

  it('an image whose channels share one mean and std (grey images read as RGB): written per channel, not per pixel, and onnxruntime-web still agrees', async () => {
    // Fashion-MNIST's grey PNGs into an imported RGB mobilenet_v3_small: 12,288 equal figures per statistic, which made
    // 96 KiB of its 1,964 KiB int8 file (31 % of the float one) until they were written as [3, 1, 1].
    const n0 = 2 * 8 * 8;
    const normalization = { kind: 'per-feature' as const, mean: new Array<number>(n0).fill(0.3), std: new Array<number>(n0).fill(0.4) };
    const model = { ...trainedModel(GRAPH, 3), normalization };
    const rng = new Rng(11);
    const sample = (count: number) => Float32Array.from({ length: count * n0 }, () => rng.uniform());
    const q = quantizeModel(model, normalized(model, sample(64), 64), 64, 'minmax');
    const bytes = int8Onnx(q);
    expect(onnxCheck({ bytes })).toEqual({});
    const file = decodeModel(bytes);
    for (const name of ['x.mean', 'x.std']) expect(file.graph.initializer.find((t) => t.name === name)!.dims).toEqual([2, 1, 1]);
    const count = 16;
    const x = sample(count);
    const mine = runInt8(q, x, count);
    await expectOrtWithinStep(bytes, mine, x, count);
  }, 30_000);

  it('the U-Net template: quantised, its QDQ file accepted by onnx, and onnxruntime-web predicts the pixels as Netwright does', async () => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'shapes-segmentation.json'), 'utf8')) as GraphIR;
    // Its classes, as training on shape-masks names them, and an image's statistics: one mean and std per channel, repeated over its pixels.
    const perChannel = (v: number[]) => v.flatMap((c) => new Array<number>(32 * 32).fill(c));
    const normalization = { kind: 'per-feature' as const, mean: perChannel([0.4, 0.5, 0.6]), std: perChannel([0.2, 0.25, 0.3]) };
    const model = { ...trainedModel(graph, 3, 4), classNames: ['background', 'circle', 'square', 'triangle'], normalization };
    const rng = new Rng(3);
    const n0 = 3 * 32 * 32;
    const sample = (count: number) => Float32Array.from({ length: count * n0 }, () => rng.uniform());
    const q = quantizeModel(model, sample(16), 16, 'minmax');
    // The ConvTranspose2d layers are int8 layers of their own (weights per output channel); the Concat skips are float ops in the file.
    expect(q.plan.steps.filter((s) => s.kind === 'float').map((s) => s.id)).toEqual(['skip2', 'skip1']);
    expect(q.plan.steps.filter((s) => s.kind === 'dense' && s.transposed).map((s) => s.id)).toEqual(['up2', 'up1']);
    const bytes = int8Onnx(q);
    expect(onnxCheck({ unet: bytes })).toEqual({});
    // The statistics are written per channel ([3, 1, 1] initializers, runs in the metadata), not 3,072 figures each twice over.
    const file = decodeModel(bytes);
    expect(file.graph.initializer.find((t) => t.name === 'image.mean')!.dims).toEqual([3, 1, 1]);
    expect(file.metadata_props!.find((p) => p.key === 'netwright.normalization')!.value.length).toBeLessThan(200);
    // The ConvTranspose2d weights are stored in int8 (read through a DequantizeLinear on their output-channel axis, 1): the file is at most 30 % of the float one.
    for (const up of ['up2', 'up1']) expect(file.graph.initializer.find((t) => t.name === `${up}.weight_quantized`)?.data_type).toBe(3);
    expect(bytes.length).toBeLessThanOrEqual(0.3 * exportOnnx(model).bytes.length);
    const count = 4;
    const x = sample(count);
    const mine = runInt8(q, x, count);
    const ort = Object.values(await runOrt(bytes, { image: { data: x, dims: [count, 3, 32, 32] } }))[0];
    // Per pixel: the class (argmax over the 4 channels) of each of the 4 × 32 × 32 pixels.
    const pixels = 32 * 32;
    let differ = 0;
    let worst = 0;
    for (let i = 0; i < count; i++) {
      for (let p = 0; p < pixels; p++) {
        const best = (v: ArrayLike<number>) => [0, 1, 2, 3].reduce((b, c) => (v[(i * 4 + c) * pixels + p] > v[(i * 4 + b) * pixels + p] ? c : b), 0);
        if (best(ort) !== best(mine.values)) differ++;
      }
    }
    for (let j = 0; j < ort.length; j++) worst = Math.max(worst, Math.abs(ort[j] - mine.values[j]));
    expect(worst).toBeLessThanOrEqual(mine.step * (1 + 1e-5));
    await expectWasmEqual(q, x, count, mine.quantized);
    // Side by side, a segmenter is scored per pixel (its [4, 32, 32] scores against a [32, 32] mask), not as a regression.
    const masks = Float32Array.from({ length: count * pixels }, () => rng.int(4));
    const float = floatOutputs(model, q.plan, x, count);
    const right = (v: ArrayLike<number>) => {
      let n = 0;
      for (let i = 0; i < count; i++) for (let p = 0; p < pixels; p++) if ([0, 1, 2, 3].reduce((b, c) => (v[(i * 4 + c) * pixels + p] > v[(i * 4 + b) * pixels + p] ? c : b), 0) === masks[i * pixels + p]) n++;
      return n / (count * pixels);
    };
    const side = sideBySide(q, x, masks, count, { float: 1, int8: 1 }, undefined, { speed: false });
    expect(side).toMatchObject({ metric: 'accuracy', positions: pixels, float: { metric: right(float) }, int8: { metric: right(mine.values) } });
    expect(side.confusion!.int8.flat().reduce((a, b) => a + b, 0)).toBe(count * pixels);
    // A pixel whose two best scores are one step apart may swap: at most 1 in 1,000.
    expect(differ).toBeLessThanOrEqual((count * pixels) / 1000);
  }, 30_000);
});
