/**
 * Issue #29: models people use, written by torch.onnx (PyTorch 1.13, opset 17; mobilenet_v2 also at
 * 13) from torchvision with random weights, and small idiom models (test/golden/gen_torchvision_onnx.py,
 * run once into a cache keyed by the script). Each imports, gives PyTorch's eval output within
 * 1e-4·max|y| + 1e-5 on the reference and CPU backends, and exported again runs in onnxruntime
 * within the same bound of Netwright.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferModel, type TrainedModel } from '../../../../../src-engine/core/export/model';
import { exportOnnx, importOnnx } from '../../../../../src-engine/core/export/onnx';
import { decodeModel, encodeModel } from '../../../../../src-engine/core/export/onnx/proto';
import { createCpuBackend, type CpuBackend } from '../../../../../src-engine/node/cpu';
import { compare, importRefusal, python, requirePython, runOrt } from './harness';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..', '..');
const SCRIPT = join(ROOT, 'test', 'golden', 'gen_torchvision_onnx.py');

interface Fixture {
  input: number[];
  inputShape: number[];
  output: number[];
}

/** The generator's outputs, made once per version of the script (node_modules/.cache). */
function fixtures(): string {
  const source = readFileSync(SCRIPT, 'utf8');
  const cache = join(ROOT, 'node_modules', '.cache', 'netwright-torchvision-onnx');
  const key = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(cache, key);
  if (existsSync(join(dir, 'index.json'))) return dir;
  requirePython(['torch', 'torchvision', 'onnx']);
  const tmp = `${dir}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  python(source, [tmp]);
  // Models of earlier versions of the script are of no more use (about 200 MB each).
  for (const old of readdirSync(cache)) if (old !== key && !old.includes('.tmp-')) rmSync(join(cache, old), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

let dir: string;
let cpu: CpuBackend;
beforeAll(async () => {
  dir = fixtures();
  cpu = await createCpuBackend({ threads: 2 });
}, 300_000);
afterAll(() => cpu?.dispose());

/** The bound of issue #29: 1e-4·max|y| + 1e-5, elementwise. */
function within(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): number {
  let peak = 0;
  for (let i = 0; i < expected.length; i++) peak = Math.max(peak, Math.abs(expected[i]));
  const c = compare(actual, expected, 1e-4 * peak + 1e-5, 0);
  expect(c.excess, `${what}: max error ${c.maxAbs} (max |y| ${peak})`).toBeLessThanOrEqual(0);
  return c.maxAbs / peak;
}

async function check(name: string): Promise<TrainedModel> {
  const started = performance.now();
  const fixture = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Fixture;
  const { model } = importOnnx(readFileSync(join(dir, `${name}.onnx`)));
  const batch = fixture.inputShape[0];
  const input = model.graph.nodes.find((n) => n.op === 'Input')!;
  const x = Float32Array.from(fixture.input);
  const out = model.graph.outputs.y;
  const ref = inferModel(model, { [input.id]: x }, batch, [out])[out];
  const refErr = within(ref, fixture.output, `${name} reference`);
  const onCpu = inferModel(model, { [input.id]: x }, batch, [out], cpu)[out];
  const cpuErr = within(onCpu, fixture.output, `${name} CPU`);
  const ort = await runOrt(exportOnnx(model).bytes, { [input.id]: { data: x, dims: fixture.inputShape } });
  const ortErr = within(Object.values(ort)[0], ref, `${name} onnxruntime`);
  const ops = new Set(model.graph.nodes.map((n) => n.op));
  console.info(
    `${name}: ${model.graph.nodes.length} nodes (${[...ops].join(', ')}); relative error reference ${refErr.toExponential(1)}, CPU ${cpuErr.toExponential(1)}, onnxruntime ${ortErr.toExponential(1)}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return model;
}

describe('torch.onnx idioms import and match PyTorch', () => {
  it('nn.AvgPool2d (an all-zero Pad before AveragePool)', async () => {
    await check('avgpool');
  });
  it('x.view(x.size(0), -1) with a dynamic batch: the shape sub-graph folds, the batch stays dynamic', async () => {
    const model = await check('view_flatten');
    expect(model.graph.nodes.map((n) => n.op)).toEqual(['Input', 'Conv2d', 'Reshape', 'Linear']);
    const reshape = model.graph.nodes.find((n) => n.op === 'Reshape')!;
    expect(reshape.attrs.shape).toEqual([-1]);
  });
  it('ReLU6 (Clip 0..6)', async () => {
    const model = await check('relu6');
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
});

describe('torchvision families (random weights, 1×3×64×64) import and match PyTorch', () => {
  for (const name of ['mobilenet_v2', 'mobilenet_v2_opset13', 'squeezenet1_1', 'mnasnet0_5', 'mobilenet_v3_small', 'efficientnet_b0', 'densenet121', 'resnet50', 'shufflenet_v2_x0_5']) {
    it(name, async () => {
      await check(name);
    }, 120_000);
  }
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
