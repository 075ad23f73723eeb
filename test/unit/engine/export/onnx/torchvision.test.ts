/**
 * Issue #29: models people use, written by torch.onnx (PyTorch 1.13, opset 17; mobilenet_v2 also at
 * 13) from torchvision with random weights, and small idiom models (test/golden/gen_torchvision_onnx.py,
 * run once into a cache keyed by the script). Each imports, gives PyTorch's eval output within
 * 1e-4·max|y| + 1e-5 on the reference and CPU backends, and exported again runs in onnxruntime
 * within the same bound of Netwright. Each family fine-tunes one epoch with a new head; what cannot
 * be read (an unsupported op, weights in another file) is said once per node.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../../src-engine/base/ir/types';
import { Rng } from '../../../../../src-engine/base/rng';
import { compileGraph } from '../../../../../src-engine/core/autodiff/executor';
import { gpuKernelGaps } from '../../../../../src-engine/core/gpu/executor';
import { checkedOrThrow } from '../../../../../src-engine/core/analysis/checked';
import { type TrainedModel } from '../../../../../src-engine/core/export/model';
import { inferModel } from '../../../../../src-engine/core/export/infer';
import { exportOnnx } from '../../../../../src-engine/core/export/onnx';
import { importOnnx } from '../../../../../src-engine/core/import/onnx';
import { decodeModel, encodeModel } from '../../../../../src-engine/core/export/onnx/proto';
import { createCpuBackend, type CpuBackend } from '../../../../../src-engine/node/cpu';
import { findClassifierHead, replaceHead } from '../../../../../src-engine/core/analysis/classifier';
import { analyzeGraph } from '../../../../../src-engine/core/analysis/validate';
import { freezeNodes, upstreamNodeIds } from '../../../../../src-engine/base/ir/freeze';
import { prepareData } from '../../../../../src-engine/core/data';
import { TrainingLoop } from '../../../../../src-engine/core/train';
import { loadDataset } from '../../../../../src-engine/node/datasets';
import { writeDigitFolder } from '../../data/user-data-fixtures';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { compare, importRefusal, runOrt } from './harness';
import { sgdStep } from '../../harness';
import { torchvisionFixtures } from './torchvision-fixtures';
import { F43 } from '../../../../../src-engine/node/cpu/kernels/winograd4-gen';

interface Fixture {
  input: number[];
  inputShape: number[];
  /** PyTorch's float32 output. */
  output: number[];
  /** The same model and input in float64 (test/golden/gen_torchvision_onnx.py). */
  output64: number[];
}

let dir: string;
let cpu: CpuBackend;
beforeAll(async () => {
  dir = torchvisionFixtures();
  cpu = await createCpuBackend({ threads: 2 });
}, 300_000);
afterAll(() => cpu?.dispose());

/**
 * The bound for a whole network computed in float32, against its float64 result. The old bound of
 * issue #29, 1e-4·max|y| + 1e-5, held for the shallow families but is a figure, not arithmetic:
 * resnet50 amplifies rounding more than resnet18 (PyTorch's own float32 result is 3.6e-5 of max|y|
 * from its float64 one, against 1.9e-6 for resnet18), and on an AVX-512 Zen 4 ours came out at
 * 1.13e-4 of max|y| and failed it.
 *
 * NOTE (bound): both PyTorch and Netwright compute in float32 with first-order rounding errors that
 * the network propagates the same way, so PyTorch's measured error e₃₂ = max|y₃₂ − y₆₄| (the
 * fixture's `output64`, same model, same input) is the network's sensitivity at a direct
 * convolution's per-layer error. Ours differs in one way that matters: 3×3 convolutions run as
 * Winograd F(4×4, 3×3), whose per-layer error is larger by the transforms' noise gain (see
 * winogradNoiseGain: 31.4 for the worst of a tile's outputs, from the matrices). So each result
 * must lie within max(1e-4, gain·e₃₂/max|y₆₄|)·max|y| + 1e-5 of y₆₄ — the old bound where the network is
 * well conditioned, the arithmetic's where it is not. A wrong op mapping gives errors of percents.
 * Against another float32 result instead of y₆₄ (`against`: onnxruntime's output against ours) both
 * errors add: onnxruntime's is a direct sum's (≈ e₃₂), so the gain is 2 against our reference
 * kernels (direct sums too) and WINOGRAD_GAIN + 1 against the CPU backend.
 */
function within(actual: ArrayLike<number>, fixture: Fixture, what: string, against?: { values: ArrayLike<number>; gain: number }): number {
  const peakOf = (v: ArrayLike<number>) => Array.from(v).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const exact = fixture.output64;
  let e32 = 0;
  for (let i = 0; i < exact.length; i++) e32 = Math.max(e32, Math.abs(fixture.output[i] - exact[i]));
  // PyTorch's float32 error relative to the output's scale: the network's sensitivity to rounding.
  const sensitivity = e32 / peakOf(exact);
  const expected = against?.values ?? exact;
  const peak = peakOf(expected);
  const gain = against?.gain ?? WINOGRAD_GAIN;
  const c = compare(actual, expected, Math.max(1e-4, gain * sensitivity) * peak + 1e-5, 0);
  expect(c.excess, `${what}: max error ${c.maxAbs} (max |y| ${peak}; PyTorch float32's relative error ${sensitivity})`).toBeLessThanOrEqual(0);
  return c.maxAbs / peak;
}

/**
 * How much more rounding noise Winograd F(m, 3) puts on an output than a direct 3-tap sum, per
 * output of the tile, for random independent inputs and weights: the GEMM over channels rounds each
 * transformed product M_j = Σ_c U_cj·V_cj with an error ∝ ‖G_j‖·‖Bᵀ_j‖ (the spread of U_j and V_j),
 * and Aᵀ combines them, so output i's noise is √(Σ_j A_ij²·‖G_j‖²·‖Bᵀ_j‖²) against √3 for the direct
 * sum. The 2-D transform is separable: its gain for output (i, k) is the product of the 1-D gains.
 * Returns the largest 2-D gain (31.4 for F43).
 */
function winogradNoiseGain(f: { BT: readonly (readonly number[])[]; G: readonly (readonly number[])[]; AT: readonly (readonly number[])[] }): number {
  const sq = (row: readonly number[]) => row.reduce((a, v) => a + v * v, 0);
  const gains = f.AT.map((a) => Math.sqrt(a.reduce((acc, aij, j) => acc + aij * aij * sq(f.G[j]) * sq(f.BT[j]), 0) / 3));
  const worst = Math.max(...gains);
  return worst * worst;
}
const WINOGRAD_GAIN = winogradNoiseGain(F43);

async function check(name: string): Promise<{ model: TrainedModel; fixture: Fixture }> {
  const started = performance.now();
  const fixture = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Fixture;
  const { model } = importOnnx(readFileSync(join(dir, `${name}.onnx`)));
  const batch = fixture.inputShape[0];
  const input = model.graph.nodes.find((n) => n.op === 'Input')!;
  const x = Float32Array.from(fixture.input);
  const out = model.graph.outputs.y;
  const ref = inferModel(model, { [input.id]: x }, batch, [out])[out];
  const refErr = within(ref, fixture, `${name} reference`);
  const onCpu = inferModel(model, { [input.id]: x }, batch, [out], cpu)[out];
  const cpuErr = within(onCpu, fixture, `${name} CPU`);
  const ort = await runOrt(exportOnnx(model).bytes, { [input.id]: { data: x, dims: fixture.inputShape } });
  const ortErr = within(Object.values(ort)[0], fixture, `${name} onnxruntime`, { values: ref, gain: 2 });
  const ops = new Set(model.graph.nodes.map((n) => n.op));
  console.info(
    `${name}: ${model.graph.nodes.length} nodes (${[...ops].join(', ')}); relative error reference ${refErr.toExponential(1)}, CPU ${cpuErr.toExponential(1)}, onnxruntime ${ortErr.toExponential(1)}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { model, fixture };
}

describe('torch.onnx idioms import and match PyTorch', () => {
  it('nn.AvgPool2d (an all-zero Pad before AveragePool)', async () => {
    await check('avgpool');
  });
  it('x.view(x.size(0), -1) with a dynamic batch: the shape sub-graph folds, the batch stays dynamic', async () => {
    const { model } = await check('view_flatten');
    // Five logits: recognised as a classifier, given a label Input and a loss (classifier.ts).
    expect(model.graph.nodes.map((n) => n.op)).toEqual(['Input', 'Conv2d', 'Reshape', 'Linear', 'Input', 'CrossEntropyLoss']);
    const reshape = model.graph.nodes.find((n) => n.op === 'Reshape')!;
    expect(reshape.attrs.shape).toEqual([-1]);
  });
  it('ReLU6 (Clip 0..6)', async () => {
    const { model } = await check('relu6');
    expect(model.graph.nodes.find((n) => n.op === 'Clip')?.attrs).toEqual({ min: 0, max: 6 });
  });
  it('x.mean((2, 3)) (ReduceMean → GlobalAvgPool)', async () => {
    await check('spatial_mean');
  });
  it('ceil-mode MaxPool', async () => {
    await check('maxpool_ceil');
  });
  it('squeeze-excite: GlobalAveragePool kept 1×1, broadcast Mul', async () => {
    await check('squeeze_excite');
  });
  it('PReLU (a slope per channel)', async () => {
    await check('prelu');
  });
  it('LayerNorm at opset 13 (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add: one node)', async () => {
    const { model } = await check('layernorm_opset13');
    expect(model.graph.nodes.map((n) => n.op)).toEqual(['Input', 'Conv2d', 'LayerNorm', 'Flatten', 'Linear', 'Input', 'CrossEntropyLoss']);
    expect(model.graph.nodes[2].attrs).toMatchObject({ normalizedDims: 3, eps: 1e-5, elementwiseAffine: true });
  });
  it('bilinear Upsample (Resize linear, half_pixel)', async () => {
    const { model } = await check('upsample_bilinear');
    expect(model.graph.nodes.find((n) => n.op === 'Upsample')?.attrs).toMatchObject({ scaleFactor: 2, mode: 'bilinear' });
  });
  it('Conv1d (a 1-D Conv)', async () => {
    const { model } = await check('conv1d');
    expect(model.graph.nodes.find((n) => n.op === 'Conv1d')?.attrs).toMatchObject({ outChannels: 5, kernelSize: 3, padding: 1 });
  });
  it('GroupNorm (Reshape, InstanceNormalization, Reshape, Mul, Add: one node)', async () => {
    const { model } = await check('groupnorm');
    expect(model.graph.nodes.find((n) => n.op === 'GroupNorm')?.attrs).toMatchObject({ numGroups: 2, eps: 1e-5, affine: true });
  });
});

describe('torchvision families (random weights, 1×3×64×64) import and match PyTorch', () => {
  for (const name of ['resnet18', 'mobilenet_v2', 'mobilenet_v2_opset13', 'squeezenet1_1', 'mnasnet0_5', 'mobilenet_v3_small', 'efficientnet_b0', 'densenet121', 'resnet50', 'shufflenet_v2_x0_5']) {
    const then = name === 'mobilenet_v2_opset13' ? "mobilenet_v2's design and weights, bit for bit" : 'fine-tuned one epoch with a new head, exported again';
    it(`${name}: imported, matches PyTorch; ${then}`, async () => {
      const { model, fixture } = await check(name);
      if (name === 'densenet121') denseNetGroups(model.graph);
      // Every op it imports to has a GPU kernel: it can train on the GPU.
      expect(gpuKernelGaps(model.graph)).toEqual([]);
      // The opset-13 file imports to mobilenet_v2's design and weights, bit for bit (what differs
      // is how the file spells them, checked above): fine-tuning it again would repeat that case's
      // computation step for step (the same losses), so it is compared instead.
      if (name === 'mobilenet_v2_opset13') expectSameModel(model, importOnnx(readFileSync(join(dir, 'mobilenet_v2.onnx'))).model);
      else await fineTune(name, model, fixture);
    }, 120_000);
  }
});

/** The same design (node ids, ops, attributes, inputs, outputs) and the same weights, bit for bit. */
function expectSameModel(got: TrainedModel, want: TrainedModel): void {
  expect(got.graph.nodes).toEqual(want.graph.nodes);
  expect(got.graph.outputs).toEqual(want.graph.outputs);
  for (const kind of ['params', 'buffers'] as const) {
    expect(Object.keys(got[kind]), kind).toEqual(Object.keys(want[kind]));
    for (const [k, v] of Object.entries(want[kind])) {
      const w = got[kind][k];
      expect(Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength)), `${k} bit for bit`).toBe(true);
    }
  }
}

/**
 * densenet121's module scopes as nested groups (#29 item 2): `features` holds the four dense
 * blocks and three transitions, each dense block its dense layers (6, 12, 24, 16), each dense
 * layer its six nodes; what torchvision's forward writes outside a module (the last ReLU,
 * pooling, flatten) and the one-node classifier stay ungrouped.
 */
function denseNetGroups(graph: GraphIR): void {
  const groups = graph.groups ?? [];
  const byId = new Map(groups.map((g) => [g.id, g]));
  const children = (id: string) => groups.filter((g) => g.parent === id).map((g) => g.name);
  expect(children('g:features')).toEqual(['denseblock1', 'transition1', 'denseblock2', 'transition2', 'denseblock3', 'transition3', 'denseblock4']);
  expect([1, 2, 3, 4].map((b) => children(`g:features/denseblock${b}`).length)).toEqual([6, 12, 24, 16]);
  expect(children('g:features/denseblock1')).toEqual(['denselayer1', 'denselayer2', 'denselayer3', 'denselayer4', 'denselayer5', 'denselayer6']);
  const layer3 = byId.get('g:features/denseblock1/denselayer3')!;
  expect(layer3.nodes.map((id) => graph.nodes.find((n) => n.id === id)!.op)).toEqual(['Concat', 'BatchNorm', 'ReLU', 'Conv2d', 'ReLU', 'Conv2d']);
  expect(groups.length).toBe(1 + 4 + 3 + 6 + 12 + 24 + 16);
  const grouped = new Set(groups.flatMap((g) => g.nodes));
  // (The label Input and the loss: added at import, the model being recognised as a classifier.)
  expect(graph.nodes.filter((n) => !grouped.has(n.id)).map((n) => n.op)).toEqual(['Input', 'ReLU', 'GlobalAvgPool', 'Linear', 'Input', 'CrossEntropyLoss']);
}

/**
 * The imported classifier (recognised at import: a label Input and a CrossEntropyLoss on its
 * logits) with its head replaced by a new one for `classes` classes, called `head`: what "Replace
 * head" on the canvas builds.
 */
function withNewHead(model: TrainedModel, classes: number): GraphIR {
  const a = analyzeGraph(model.graph, { batchSize: 1 });
  const found = findClassifierHead(a.graph!, a.shapes);
  expect(found, 'recognised as a classifier').toBeDefined();
  expect(model.graph.nodes.find((n) => n.op === 'CrossEntropyLoss')?.inputs[0]).toBe(found!.logits);
  return replaceHead(model.graph, found!.head, classes, 'head');
}

/**
 * Fine-tune an imported family one epoch as a user would (#29's must-show): its head replaced by a
 * new 4-class one (what "Replace head" builds), 16 images of 4 classes, 4 steps of SGD on the CPU
 * backend from the imported weights; the loss falls, and the tuned model, exported again, runs in
 * onnxruntime within the bound of Netwright.
 */
async function fineTune(name: string, model: TrainedModel, fixture: Fixture): Promise<void> {
  const started = performance.now();
  const input = model.graph.nodes.find((n) => n.op === 'Input')!;
  const g = withNewHead(model, 4);
  const batch = 4;
  const plan = compileGraph(checkedOrThrow(g), { batchSize: batch, backend: cpu, seed: 1 });
  // The imported weights, but the new head's (its shape changed: fresh).
  for (const e of [...plan.params, ...plan.buffers]) {
    const w = (model.params[`${e.nodeId}.${e.name}`] ?? model.buffers[`${e.nodeId}.${e.name}`]) as Float32Array | undefined;
    if (w && w.length === e.value.data.length) e.value.data.set(w);
  }
  // 16 images of 4 classes, each class its own brightness per colour channel, plus noise.
  const rng = new Rng(5);
  const per = (input.attrs.shape as number[]).reduce((a, b) => a * b, 1);
  const labels = Array.from({ length: 16 }, (_, i) => i % 4);
  const images = labels.map((k) => Float32Array.from({ length: per }, (_, j) => 1.5 * Math.cos(2 * k + Math.floor((3 * j) / per)) + 0.3 * rng.normal()));
  const setBatch = (b: number) => {
    for (let i = 0; i < batch; i++) plan.input(input.id).data.set(images[b * batch + i], i * per);
    plan.input('label').data.set(labels.slice(b * batch, (b + 1) * batch));
  };
  const meanLoss = () => {
    let sum = 0;
    for (let b = 0; b < 16 / batch; b++) {
      setBatch(b);
      sum += plan.forward(false);
    }
    return sum / (16 / batch);
  };
  const before = meanLoss();
  for (let b = 0; b < 16 / batch; b++) {
    setBatch(b);
    plan.forward(true);
    plan.backward();
    sgdStep(plan.params, 3e-4);
  }
  const after = meanLoss();
  expect(after, `${name}: loss ${before} → ${after}`).toBeLessThan(before);
  const tuned: TrainedModel = {
    graph: g,
    params: Object.fromEntries(plan.params.map((p) => [`${p.nodeId}.${p.name}`, p.value.data.slice()])),
    buffers: Object.fromEntries(plan.buffers.map((p) => [`${p.nodeId}.${p.name}`, p.value.data.slice()])),
  };
  const x = images[0];
  const dims = [1, ...(input.attrs.shape as number[])];
  const ort = await runOrt(exportOnnx(tuned).bytes, { [input.id]: { data: x, dims } });
  // Netwright's output on its CPU backend (which matched the reference and PyTorch in check()):
  // on the reference kernels this one image took resnet50 ~2 s of CPU, densenet121 ~1.6 s.
  // The tuned network's sensitivity is taken as the imported one's on its fixture (same layers and
  // weights but the head).
  const ours = inferModel(tuned, { [input.id]: x }, 1, [g.outputs.y], cpu)[g.outputs.y];
  within(ort.y, fixture, `${name} fine-tuned, onnxruntime`, { values: ours, gain: WINOGRAD_GAIN + 1 });
  console.info(`${name}: one epoch (4 steps of 4 images) on the CPU backend: mean loss ${before.toFixed(3)} → ${after.toFixed(3)}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

describe('fine-tuning with a frozen backbone (issue #29 item 3)', () => {
  it('mobilenet_v3_small: backbone frozen, head replaced for 10 classes, one epoch on a folder of 40 colour digits: the backbone is bit for bit unchanged, the head moved, and the loss falls', async () => {
    const started = performance.now();
    const { model } = importOnnx(readFileSync(join(dir, 'mobilenet_v3_small.onnx')));
    const input = model.graph.nodes.find((n) => n.op === 'Input' && n.attrs.source === 'features')!;
    const tuned = withNewHead(model, 10);
    const backbone = [...upstreamNodeIds(tuned, ['head'])];
    const folder = mkdtempSync(join(tmpdir(), 'nw-finetune-'));
    writeDigitFolder(folder, { perClass: 4, layout: 'flat' });
    const dataset = { name: 'image-folder', options: { path: folder, shape: input.attrs.shape as number[], testSplit: 0 }, validationSplit: 0 };
    const g: GraphIR = {
      ...tuned,
      nodes: freezeNodes(tuned.nodes, backbone, true),
      training: { dataset, loss: 'loss', optimizer: { kind: 'adam', lr: 3e-3 }, batchSize: 8, epochs: 1, seed: 1, metrics: ['accuracy'] },
    };
    const data = prepareData(loadDataset(dataset, 1), dataset, 1);
    expect(data.train.count).toBe(40);
    const loop = new TrainingLoop(checkedOrThrow(g).ir, data, cpu, { compile: compileGraph, validate: false, checkpoints: false });
    const warm = loop.warmStart({ ...model.params, ...model.buffers });
    expect(warm.fresh.sort()).toEqual(['head.bias', 'head.weight']);
    // Only the head trains; no backward runs inside the frozen backbone.
    expect(loop.groups[0].params.map((p) => `${p.nodeId}.${p.name}`)).toEqual(['head.weight', 'head.bias']);
    const plan = loop.plan;
    const meanLoss = () => {
      let sum = 0;
      const per = data.train.features.length / data.train.count;
      for (let b = 0; b < data.train.count / 8; b++) {
        plan.input(input.id).data.set(data.train.features.subarray(b * 8 * per, (b + 1) * 8 * per));
        plan.input('label').data.set(data.train.targets.subarray(b * 8, (b + 1) * 8));
        sum += plan.forward(false);
      }
      return sum / (data.train.count / 8);
    };
    const snapshot = () => new Map([...plan.params, ...plan.buffers].filter((t) => t.nodeId !== 'head').map((t) => [`${t.nodeId}.${t.name}`, t.value.data.slice()]));
    const before = meanLoss();
    const weights = snapshot();
    const headWeight = plan.params.find((p) => p.nodeId === 'head' && p.name === 'weight')!.value.data;
    const headBefore = headWeight.slice();
    await loop.run();
    expect(headWeight).not.toEqual(headBefore);
    const after = meanLoss();
    // Bit for bit (a byte comparison: toEqual over 2.5 M floats takes seconds).
    const changed = [...snapshot()].filter(([k, v]) => !Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(weights.get(k)!.buffer)));
    expect(changed.map(([k]) => k)).toEqual([]);
    expect(weights.size).toBeGreaterThan(100);
    expect(after, `loss ${before} → ${after}`).toBeLessThan(before);
    console.info(`mobilenet_v3_small, backbone frozen (${backbone.length} nodes), new 10-class head: one epoch (5 steps of 8) on the CPU backend, train loss ${before.toFixed(3)} → ${after.toFixed(3)}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }, 120_000);
});

describe('what the importer cannot read', () => {
  it('an unsupported op gives one diagnostic, op first, and none for the shape sub-graph reading it', () => {
    // view_flatten: Conv → Shape → Gather → Unsqueeze → Concat → Reshape → Gemm; the Conv made an op Netwright lacks.
    const file = decodeModel(readFileSync(join(dir, 'view_flatten.onnx')));
    const conv = file.graph.node.find((n) => n.op_type === 'Conv')!;
    conv.op_type = 'DeformConv';
    const e = importRefusal(encodeModel(file));
    expect(e.code).toBe('E_IMPORT_UNSUPPORTED');
    expect(e.diagnostics).toEqual([{ code: 'E_IMPORT_UNSUPPORTED', nodeId: conv.name, op: 'DeformConv', message: 'DeformConv is not an op Netwright can import' }]);
  });

  it('weights stored outside the file get the message that says so and how to fix it', () => {
    const e = importRefusal(readFileSync(join(dir, 'external_weights.onnx')));
    expect(e.code).toBe('E_IMPORT_UNSUPPORTED');
    // One per node reading them: the Conv and the Gemm (Linear), nothing about their shapes.
    expect(e.diagnostics.map((d) => d.op)).toEqual(['Conv', 'Gemm']);
    for (const d of e.diagnostics) expect(d.message).toMatch(/is stored outside the file \(in "external_weights\.bin"\).*save_as_external_data=False/);
  });
});
