/**
 * Post-training int8 quantisation (#85 deliverables 1–3): the MNIST MLP trained 2 epochs on 2,000
 * samples, quantised by `netwright quantize` on 128 of its training samples and measured on 500
 * test samples: int8 within 1 point of float32, the file at most 30 % of the float ONNX, onnx's full
 * checker accepts the QDQ file, onnxruntime-web's outputs equal the engine's own int8 inference
 * (argmax equal, every output within one requantisation step), and the three calibration methods
 * give different but sane ranges. A CNN's BatchNorm is folded and its ReLU fused; a layer without an
 * int8 form is refused by name.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { Rng } from '../../../../src-engine/base/rng';
import { loadBuiltinDataset } from '../../../../src-engine/core/data/builtin';
import { modelFromJSON, modelToJSON } from '../../../../src-engine/core/export/json';
import { MODEL_CARD_KEY } from '../../../../src-engine/core/export/model-card';
import type { TrainedModel } from '../../../../src-engine/core/export/model';
import { decodeModel } from '../../../../src-engine/core/export/onnx/proto';
import { CALIBRATION_METHODS } from '../../../../src-engine/core/quantize/calibrate';
import { normalized, quantizeModel, runInt8, type Int8Model } from '../../../../src-engine/core/quantize/int8';
import { int8Onnx } from '../../../../src-engine/core/quantize/qdq-onnx';
import { floatOutputs, layerSensitivity } from '../../../../src-engine/core/quantize/side-by-side';
import { main as quantizeCli, quantizationData, type Sampled } from '../../../../src-engine/node/quantize-cli';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { stderrProgress } from '../../../../src-engine/node/stderr-progress';
import { main as exportCli } from '../../../../src-engine/node/export-cli';
import { setupEngine } from '../../session/fixtures';
import { loadSamples } from '../../../../src-engine/node/datasets';
import { createCpuBackend } from '../../../../src-engine/node/cpu';
import { onnxCheck, runOrt, trainedModel } from '../export/onnx/harness';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');

/** A CLI run, its stdout and stderr apart; `tty`: stderr is a terminal (quantize's progress rewrites one line). */
async function run(cli: typeof quantizeCli, argv: string[], tty = false) {
  let out = '';
  let err = '';
  const code = await cli(argv, (s) => (out += s), (s) => (err += s), tty);
  return { code, out, err };
}

/** Onnxruntime-web's outputs beside the engine's int8 ones: samples whose argmax differs, the largest difference, the step. */
async function againstOrt(q: Int8Model, s: Sampled, dims: number[]): Promise<{ argmax: number; maxDifference: number; step: number }> {
  const mine = runInt8(q, s.x, s.count);
  const ort = Object.values(await runOrt(int8Onnx(q), { [q.plan.input]: { data: s.x, dims: [s.count, ...dims] } }))[0];
  const k = mine.values.length / s.count;
  let argmax = 0;
  let maxDifference = 0;
  const best = (v: ArrayLike<number>, i: number) => Array.from({ length: k }, (_, c) => v[i * k + c]).reduce((b, x, c, a) => (x > a[b] ? c : b), 0);
  for (let i = 0; i < s.count; i++) if (best(mine.values, i) !== best(ort, i)) argmax++;
  for (let j = 0; j < ort.length; j++) maxDifference = Math.max(maxDifference, Math.abs(ort[j] - mine.values[j]));
  return { argmax, maxDifference, step: mine.step };
}

describe('int8 quantisation of the MNIST MLP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nw-quantize-'));
  const modelPath = join(dir, 'mlp.json');
  let model: TrainedModel;
  let data: { calibration: Sampled; test: Sampled };

  beforeAll(async () => {
    const t = await run(trainCli, [join(EXAMPLES, 'mnist-mlp.json'), '--epochs', '2', '--limit', '2000', '--threads', '1', '--export', modelPath]);
    expect(t.code, t.err).toBe(0);
    model = modelFromJSON(readFileSync(modelPath, 'utf8'));
    data = quantizationData(model, { samples: 128, limit: 500 });
  }, 60_000);

  it('netwright quantize: int8 within 1 point of float32, at most 30 % of its size, figures side by side, a QDQ file onnx accepts', async () => {
    const out = join(dir, 'mlp.int8.onnx');
    const r = await run(quantizeCli, [modelPath, '--samples', '128', '--limit', '500', '--threads', '1', '--out', out, '--json']);
    expect(r.code, r.err + r.out).toBe(0);
    const f = JSON.parse(r.out) as { type: string; int8Runtime: string; samples: number; calibrationSamples: number; metric: string; float: { metric: number; bytes: number; latencyMs: number; perSecond: number }; int8: { metric: number; bytes: number; latencyMs: number; perSecond: number }; confusion: { float: number[][]; int8: number[][] }; folded: string[]; changed: number; sensitivity: { samples: number; layers: { layer: string; change: number }[] } };
    // The int8 side (its outputs and timings) ran on the CPU backend's int8 kernels, not the TypeScript reference.
    expect(f).toMatchObject({ type: 'quantization', samples: 500, calibrationSamples: 128, metric: 'accuracy', folded: ['relu1', 'relu2'], int8Runtime: 'WebAssembly SIMD' });
    expect(f.sensitivity.layers.map((l) => l.layer)).toEqual(['fc1', 'fc2', 'fc3']);
    expect(f.float.metric).toBeGreaterThan(0.8);
    expect(Math.abs(f.int8.metric - f.float.metric)).toBeLessThanOrEqual(0.01);
    expect(f.int8.bytes).toBeLessThanOrEqual(0.3 * f.float.bytes);
    for (const side of [f.float, f.int8]) expect(side.latencyMs > 0 && side.perSecond > 0).toBe(true);
    // Each confusion matrix counts the 500 samples; the int8 one differs from float32 by the samples that changed class.
    const total = (m: number[][]) => m.flat().reduce((a, b) => a + b, 0);
    expect([total(f.confusion.float), total(f.confusion.int8)]).toEqual([500, 500]);
    const bytes = readFileSync(out);
    expect(bytes.length).toBe(f.int8.bytes);
    expect(onnxCheck({ int8: bytes })).toEqual({});
    const file = decodeModel(bytes);
    const ops = new Set(file.graph.node.map((n) => n.op_type));
    expect([...ops].sort()).toEqual(['DequantizeLinear', 'Div', 'Gemm', 'QuantizeLinear', 'Relu', 'Reshape', 'Sub']);
    // Every weight is int8 (TensorProto INT8 = 3): no float weight matrix is left in the file.
    const weights = file.graph.initializer.filter((t) => t.name!.endsWith('.weight_quantized'));
    expect(weights.map((t) => [t.name, t.data_type, t.dims])).toEqual([['fc1.weight_quantized', 3, [128, 784]], ['fc2.weight_quantized', 3, [64, 128]], ['fc3.weight_quantized', 3, [10, 64]]]);
    expect(Math.max(...file.graph.initializer.filter((t) => t.data_type === 1).map((t) => t.dims.reduce((a, b) => a * b, 1)))).toBeLessThanOrEqual(128);
    const card = file.metadata_props!.find((p) => p.key === MODEL_CARD_KEY)!.value;
    expect(card).toContain('**Precision**: int8 (QDQ)');
    expect(card).toContain(`| int8 | ${Number(f.int8.metric.toPrecision(4))} |`);

    const human = await run(quantizeCli, [modelPath, '--samples', '64', '--limit', '100', '--threads', '1', '--out', join(dir, 'again.onnx')]);
    expect(human.code, human.err).toBe(0);
    for (const s of ['calibrated (minmax) on 64 samples', '(int8 run by WebAssembly SIMD)', 'accuracy', 'size (ONNX)', 'latency, batch 1', 'throughput, batch 32', 'confusion matrix, float32', 'confusion matrix, int8', 'per-layer sensitivity']) expect(human.out).toContain(s);
    expect(existsSync(join(dir, 'again.onnx'))).toBe(true);
  }, 40_000);

  it('netwright quantize --keep-float and --keep-float-worst: the layers kept in float32 named, the figures and the file with them, bad ids refused', async () => {
    type Figures = { keptFloat: string[]; int8: { bytes: number; metric: number }; float: { bytes: number }; sensitivity: { layers: { layer: string; change: number }[]; keptWorst?: { layer: string; change: number }[] } };
    const quantise = async (name: string, ...flags: string[]) => {
      const r = await run(quantizeCli, [modelPath, '--samples', '64', '--limit', '200', '--threads', '1', '--out', join(dir, name), '--json', ...flags]);
      expect(r.code, r.err + r.out).toBe(0);
      return { f: JSON.parse(r.out) as Figures, bytes: readFileSync(join(dir, name)) };
    };
    const none = await quantise('none.onnx');
    expect(none.f.keptFloat).toEqual([]);
    const named = await quantise('named.onnx', '--keep-float', 'fc3,fc1');
    expect(named.f.keptFloat).toEqual(['fc1', 'fc3']);
    // Only fc2 is left in int8, so only its sensitivity is measured.
    expect(named.f.sensitivity.layers.map((l) => l.layer)).toEqual(['fc2']);
    // fc1's and fc3's weights stay float32 (4 bytes where int8 took 1): the size says so. Their
    // per-channel weight and bias scales and zero points (13 bytes a channel) and a few node names go.
    const keptWeights = model.params['fc1.weight'].length + model.params['fc3.weight'].length;
    const channels = model.params['fc1.bias'].length + model.params['fc3.bias'].length;
    expect(named.f.int8.bytes).toBe(named.bytes.length);
    expect(Math.abs(named.f.int8.bytes - none.f.int8.bytes - 3 * keptWeights)).toBeLessThanOrEqual(16 * channels + 1024);
    const file = decodeModel(named.bytes);
    expect(file.graph.initializer.find((t) => t.name === 'fc1.weight')?.data_type).toBe(1);
    expect(onnxCheck({ named: named.bytes })).toEqual({});

    // The worst by the first pass (what none's sensitivity measured, the same calibration), kept; its figure reported with it.
    // A layer that costs nothing is not kept for it: keeping it would only cost size and latency.
    const worst = await quantise('worst.onnx', '--keep-float-worst', '1');
    const costly = none.f.sensitivity.layers.filter((l) => l.change < 0);
    const expected = costly.reduce<(typeof costly)[number] | undefined>((a, l) => (!a || l.change < a.change ? l : a), undefined);
    expect(worst.f.keptFloat).toEqual(expected ? [expected.layer] : []);
    expect(worst.f.sensitivity.keptWorst).toEqual(expected ? [expected] : undefined);
    if (expected) expect(worst.f.sensitivity.layers.map((l) => l.layer)).not.toContain(expected.layer);

    const human = await run(quantizeCli, [modelPath, '--samples', '64', '--limit', '100', '--threads', '1', '--out', join(dir, 'human.onnx'), '--keep-float', 'fc2', '--keep-float-worst', '1']);
    expect(human.code, human.err).toBe(0);
    // fc2 named, and the worst of the rest where one costs anything (else a line says none did).
    const keptLine = /kept in float32 \(weights float32 in the file too\): (.*)\n/.exec(human.out)![1].split(', ');
    expect(keptLine).toContain('fc2');
    if (keptLine.length === 2) expect(human.out).toContain('kept in float32 by --keep-float-worst');
    else expect(human.out).toContain('--keep-float-worst 1: no int8 layer costs anything on 100 test samples, so none is kept for it');
    expect(human.out).toContain(`(${keptLine.length} kept in float32)`);

    const bad = await run(quantizeCli, [modelPath, '--samples', '64', '--limit', '100', '--threads', '1', '--out', join(dir, 'bad.onnx'), '--keep-float', 'relu1']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('E_QUANTIZE_KEEP_FLOAT');
    expect(existsSync(join(dir, 'bad.onnx'))).toBe(false);
    const empty = await run(quantizeCli, [modelPath, '--out', join(dir, 'bad.onnx'), '--keep-float', 'fc1,']);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('--keep-float takes layer ids');
  }, 60_000);

  it('netwright quantize prints its phases and the sensitivity passes\' samples on stderr as they run, stdout only the figures', async () => {
    const argv = (name: string, ...flags: string[]) => [modelPath, '--samples', '64', '--limit', '100', '--threads', '1', '--out', join(dir, name), ...flags];
    const started = performance.now();
    const json = await run(quantizeCli, argv('progress.onnx', '--json', '--keep-float-worst', '1'));
    const seconds = (performance.now() - started) / 1000;
    expect(json.code, json.err).toBe(0);
    const lines = json.err.split('\n').filter(Boolean);
    expect(lines[0]).toBe('calibrating (minmax) on 64 samples of mnist, its training split…');
    // Both sensitivity passes (the first chooses --keep-float-worst's layer), each from its first sample to its last; the figures between them.
    const passes = lines.filter((l) => l.startsWith('per-layer sensitivity'));
    expect(passes[0]).toMatch(/^per-layer sensitivity, to choose --keep-float-worst: 1 of 100 test samples…$/);
    expect(passes).toContain('per-layer sensitivity, to choose --keep-float-worst: 100 of 100 test samples');
    expect(lines).toContain('measuring float32 and int8 on 100 test samples, timing batch 1 and batch 32…');
    expect(lines.indexOf('measuring float32 and int8 on 100 test samples, timing batch 1 and batch 32…')).toBeGreaterThan(lines.indexOf('per-layer sensitivity, to choose --keep-float-worst: 100 of 100 test samples'));
    expect(lines.filter((l) => l.startsWith('per-layer sensitivity: '))[0]).toBe('per-layer sensitivity: 1 of 100 test samples…');
    expect(lines[lines.length - 1]).toBe('per-layer sensitivity: 100 of 100 test samples');
    // A log gets plain lines: each pass its first, its last, and at most one a second between.
    expect(json.err).not.toContain('\r');
    expect(passes.length).toBeLessThanOrEqual(2 * (2 + Math.ceil(seconds)));
    // stdout: the one JSON line, nothing of the progress.
    expect(json.out.split('\n')).toHaveLength(2);
    expect(JSON.parse(json.out)).toMatchObject({ type: 'quantization', calibrationSamples: 64, samples: 100 });

    // A terminal: each pass one line rewritten in place (\r, erased to its end), ended when done; stdout as without one.
    const human = await run(quantizeCli, argv('progress-tty.onnx'), true);
    expect(human.code, human.err).toBe(0);
    expect(human.err.startsWith('\rcalibrating (minmax) on 64 samples of mnist, its training split…\u001b[K\n')).toBe(true);
    expect(human.err).toContain('\rper-layer sensitivity: 1 of 100 test samples…\u001b[K\rper-layer sensitivity: ');
    expect(human.err.endsWith('\rper-layer sensitivity: 100 of 100 test samples\u001b[K\n')).toBe(true);
    for (const s of ['calibrated (minmax) on 64 samples', 'confusion matrix, int8', 'per-layer sensitivity (only that layer in int8, on 100 test samples):']) expect(human.out).toContain(s);
    for (const progress of ['\r', '\u001b', 'test samples…', 'calibrating', 'measuring float32']) expect(human.out).not.toContain(progress);
  }, 60_000);

  it('stderr progress: a log gets a line a second at most, a terminal five, each count its first and last; a phase ends the line a count left open', () => {
    let t = 0;
    const print = (tty: boolean) => {
      let err = '';
      const p = stderrProgress((s) => (err += s), { tty, now: () => t });
      p.phase('calibrating…');
      t = 0;
      // 200 samples over 4 s, 20 ms each.
      const tick = p.count((done, total) => `sensitivity: ${done} of ${total}`);
      for (let done = 1; done <= 200; done++, t += 20) tick(done, 200);
      const open = p.count((done, total) => `again: ${done} of ${total}`);
      open(1, 10);
      p.phase('measuring…');
      p.end();
      return err;
    };
    const log = print(false);
    expect(log.split('\n')).toEqual(['calibrating…', 'sensitivity: 1 of 200', 'sensitivity: 51 of 200', 'sensitivity: 101 of 200', 'sensitivity: 151 of 200', 'sensitivity: 200 of 200', 'again: 1 of 10', 'measuring…', '']);
    const tty = print(true);
    const shown = tty.split('\r').flatMap((line) => (line.startsWith('sensitivity: ') ? [Number(/^sensitivity: (\d+) of 200$/.exec(line.replace('\u001b[K', '').trimEnd())![1])] : []));
    expect(shown).toEqual([1, 11, 21, 31, 41, 51, 61, 71, 81, 91, 101, 111, 121, 131, 141, 151, 161, 171, 181, 191, 200]);
    expect(tty.startsWith('\rcalibrating…\u001b[K\n\rsensitivity: 1 of 200\u001b[K\rsensitivity: 11 of 200')).toBe(true);
    expect(tty.endsWith('\rsensitivity: 200 of 200\u001b[K\n\ragain: 1 of 10\u001b[K\n\rmeasuring…\u001b[K\n')).toBe(true);
  });

  it("onnxruntime-web's outputs equal the engine's int8 ones, for each calibration method, and the methods' ranges differ but are sane", async () => {
    const calib = normalized(model, data.calibration.x, data.calibration.count);
    const float = floatOutputs(model, quantizeModel(model, calib, 8, 'minmax').plan, data.test.x, data.test.count);
    const floatRight = Array.from({ length: data.test.count }, (_, i) => float.subarray(i * 10, i * 10 + 10).indexOf(Math.max(...float.subarray(i * 10, i * 10 + 10))) === data.test.y[i]).filter(Boolean).length;
    const ranges: Record<string, { min: number; max: number; scale: number }[]> = {};
    for (const method of CALIBRATION_METHODS) {
      const q = quantizeModel(model, calib, data.calibration.count, method);
      const vs = await againstOrt(q, data.test, [1, 28, 28]);
      // Measured: identical (0) on all 500 × 10 outputs; the bound is one requantisation step.
      expect(vs.argmax).toBe(0);
      expect(vs.maxDifference).toBeLessThanOrEqual(vs.step);
      ranges[method] = [q.input, ...[...q.dense.values()].map((d) => d.output)];
      for (const p of ranges[method]) expect(p.scale > 0 && p.min <= 0 && p.max >= 0).toBe(true);
      const out = runInt8(q, data.test.x, data.test.count).values;
      const right = Array.from({ length: data.test.count }, (_, i) => out.subarray(i * 10, i * 10 + 10).indexOf(Math.max(...out.subarray(i * 10, i * 10 + 10))) === data.test.y[i]).filter(Boolean).length;
      expect(Math.abs(right - floatRight), method).toBeLessThanOrEqual(0.02 * data.test.count);
    }
    // The hidden layers' ranges: percentile and entropy clip inside min-max, entropy the most; all three differ.
    for (const layer of [1, 2]) {
      const [mm, pc, en] = CALIBRATION_METHODS.map((m) => ranges[m][layer].max);
      expect(pc).toBeLessThan(mm);
      expect(en).toBeLessThan(pc);
      expect(en).toBeGreaterThan(0.2 * mm);
    }
  }, 40_000);

  it("the export table's onnx-int8 (the Export menu, netwright export) writes the same QDQ file, calibrated on the model's training split", async () => {
    const out = join(dir, 'menu.int8.onnx');
    const r = await run(exportCli, [modelPath, '--format', 'onnx-int8', '--method', 'entropy', '--samples', '64', '--out', out]);
    expect(r.code, r.err).toBe(0);
    const bytes = readFileSync(out);
    expect(onnxCheck({ menu: bytes })).toEqual({});
    const meta = new Map(decodeModel(bytes).metadata_props!.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta.get('netwright.quantization')!)).toMatchObject({ method: 'entropy', samples: 64 });
    expect(meta.get(MODEL_CARD_KEY)).toMatch(/calibrated \(entropy\) on 64 samples of mnist, its training split/);
    expect(meta.get(MODEL_CARD_KEY)).toMatch(/\| int8 \| 0\.\d+ \| [\d.]+ KiB \| — \| — \|/);
    // What the app's Export menu asks the engine for (model.exportOpen answers the same files).
    // The engine loads MNIST as the desktop app's engine does (node/datasets.ts).
    const { client } = setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed) });
    await client.request('model.load', { model: JSON.parse(readFileSync(modelPath, 'utf8')) });
    const formats = (await client.request('model.formats', {})).formats;
    expect(formats.find((f) => f.id === 'onnx-int8')).toMatchObject({ label: 'ONNX int8 (QDQ)', name: '.int8.onnx', settings: [{ key: 'method' }, { key: 'samples' }] });
    const viaEngine = await client.request('model.export', { source: { kind: 'current' }, format: 'onnx-int8', settings: { method: 'entropy', samples: '64' } });
    expect(viaEngine.name).toBe('MNIST MLP (784-128-64-10).int8.onnx');
    // The same weights and scales as the CLI's file (the card's measured figures aside).
    const inits = (b: Uint8Array) => decodeModel(b).graph.initializer.map((t) => [t.name, Array.from(t.raw_data ?? [])]);
    expect(inits(viaEngine.files[0].data)).toEqual(inits(bytes));
  }, 30_000);

  it('model.quantize (the Export menu\'s Quantize… dialog) measures int8 beside float32 in the engine, writing nothing; a layer without an int8 form is refused by code', async () => {
    // The engine's CPU backend, as the app's: its int8 kernels run the int8 side.
    const { client } = setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed), createBackend: () => createCpuBackend({ threads: 1 }) });
    await client.request('model.load', { model: JSON.parse(readFileSync(modelPath, 'utf8')) });
    const r = await client.request('model.quantize', { source: { kind: 'current' }, method: 'percentile', samples: 64 });
    expect(r).toMatchObject({ method: 'percentile', samples: 64, calibratedOn: 'mnist, its training split', testSamples: 1000, metric: 'accuracy', int8Runtime: 'WebAssembly SIMD' });
    expect(Math.abs(r.int8.metric - r.float.metric)).toBeLessThanOrEqual(0.01);
    expect(r.int8.bytes).toBeLessThanOrEqual(0.3 * r.float.bytes);
    // Every changed sample is counted under its class; the classes listed are those that moved.
    expect(r.moved!.reduce((a, c) => a + c.changed, 0)).toBe(r.changed);
    expect(r.moved!.every((c) => c.changed > 0 || c.float !== c.int8)).toBe(true);
    expect(r.sensitivity.map((l) => l.layer)).toEqual(['fc1', 'fc2', 'fc3']);
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-mlp.json'), 'utf8')) as GraphIR;
    const sigmoid = trainedModel({ ...graph, nodes: graph.nodes.map((n) => (n.id === 'relu1' ? { ...n, op: 'Sigmoid' } : n)) }, 1);
    await client.request('model.load', { model: modelToJSON(sigmoid) });
    await expect(client.request('model.quantize', { source: { kind: 'current' }, method: 'minmax', samples: 64 })).rejects.toMatchObject({ code: 'E_QUANTIZE_UNSUPPORTED', message: expect.stringContaining('1 Sigmoid layer ("relu1") without an int8 form') });
  }, 30_000);

  it('model.quantize and model.exportOpen take keepFloat: the layers kept in float32 answered, left out of the sensitivity, and in the exported file; a bad list refused by code', async () => {
    const { client } = setupEngine({ loadDataset: (config, seed) => loadSamples(config, seed), createBackend: () => createCpuBackend({ threads: 1 }) });
    await client.request('model.load', { model: JSON.parse(readFileSync(modelPath, 'utf8')) });
    const plain = await client.request('model.quantize', { source: { kind: 'current' }, method: 'minmax', samples: 64 });
    expect(plain.keptFloat).toBeUndefined();
    const kept = await client.request('model.quantize', { source: { kind: 'current' }, method: 'minmax', samples: 64, keepFloat: ['fc2'] });
    expect(kept.keptFloat).toEqual(['fc2']);
    expect(kept.sensitivity.map((l) => l.layer)).toEqual(['fc1', 'fc3']);
    // fc2's 128 × 64 weights float32: 3 bytes more each, less its 64 channels' scales and zero points.
    expect(kept.int8.bytes - plain.int8.bytes).toBeGreaterThan(3 * 128 * 64 - 16 * 64 - 1024);
    const open = await client.request('model.exportOpen', { source: { kind: 'current' }, format: 'onnx-int8', settings: { method: 'minmax', samples: '64' }, keepFloat: ['fc2'] });
    const data = (await client.request('model.exportRead', { handle: open.handle, file: 0, offset: 0 })).data;
    expect(data.length).toBe(open.files[0].bytes);
    const file = decodeModel(data);
    expect(file.graph.initializer.find((t) => t.name === 'fc2.weight')?.data_type).toBe(1);
    expect(JSON.parse(file.metadata_props!.find((p) => p.key === 'netwright.quantization')!.value).keptFloat).toEqual(['fc2']);
    await expect(client.request('model.quantize', { source: { kind: 'current' }, method: 'minmax', samples: 64, keepFloat: ['relu1'] })).rejects.toMatchObject({ code: 'E_QUANTIZE_KEEP_FLOAT' });
    await expect(client.request('model.quantize', { source: { kind: 'current' }, method: 'minmax', samples: 64, keepFloat: ['fc2', 'fc2'] })).rejects.toMatchObject({ message: expect.stringContaining('each layer once') });
  }, 40_000);

  it('per-layer sensitivity: each layer alone in int8 costs little, and a layer whose weights are lost is blamed', () => {
    const calib = normalized(model, data.calibration.x, data.calibration.count);
    const q = quantizeModel(model, calib, data.calibration.count, 'minmax');
    const few = 200;
    const base = layerSensitivity(q, data.test.x, data.test.y, few);
    // The float64 chain the layers are measured in gives the float model's accuracy (within a sample: float32 vs float64).
    const float = floatOutputs(model, q.plan, data.test.x, few);
    const right = Array.from({ length: few }, (_, i) => float.subarray(i * 10, i * 10 + 10).indexOf(Math.max(...float.subarray(i * 10, i * 10 + 10))) === data.test.y[i]).filter(Boolean).length;
    expect(Math.abs(base.float * few - right)).toBeLessThanOrEqual(1);
    expect(base.layers.map((l) => l.layer)).toEqual(['fc1', 'fc2', 'fc3']);
    for (const l of base.layers) expect(Math.abs(l.change)).toBeLessThanOrEqual(0.02);
    // A layer whose int8 weights are lost (all zero) is the one the measure blames, and only it.
    // (This MLP shrugs off coarser damage: fc2's outputs over a range 40 times too wide, 1.5 a step, cost nothing.)
    const fc2 = [...q.dense.values()].find((d) => d.step.id === 'fc2')!;
    fc2.weight = new Int8Array(fc2.weight.length);
    const lost = layerSensitivity(q, data.test.x, data.test.y, few).layers;
    expect(lost.find((l) => l.layer === 'fc2')!.change).toBeLessThan(-0.3);
    expect(lost.filter((l) => l.layer !== 'fc2').map((l) => l.change)).toEqual(base.layers.filter((l) => l.layer !== 'fc2').map((l) => l.change));
  });
});

describe('int8 quantisation calibrated on --data', () => {
  it("calibrates on the user's file, not the model's own split: a table of doubled measurements doubles the input's range", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-quantize-data-'));
    const modelPath = join(dir, 'iris.json');
    expect((await run(trainCli, [join(EXAMPLES, 'iris-mlp.json'), '--epochs', '20', '--threads', '1', '--export', modelPath])).code).toBe(0);
    const iris = loadBuiltinDataset({ name: 'iris' }, 1)!.train as { features: Float32Array; targets: Float32Array; count: number; classNames: string[] };
    const csv = (scale: number) => ['a,b,c,d,species', ...Array.from({ length: iris.count }, (_, i) => [...iris.features.subarray(i * 4, i * 4 + 4)].map((v) => (v * scale).toFixed(3)).join(',') + `,${iris.classNames[iris.targets[i]]}`)].join('\n') + '\n';
    writeFileSync(join(dir, 'same.csv'), csv(1));
    writeFileSync(join(dir, 'doubled.csv'), csv(2));
    const quantize = async (...extra: string[]) => {
      const r = await run(quantizeCli, [modelPath, ...extra, '--samples', '50', '--threads', '1', '--out', join(dir, 'q.onnx'), '--force', '--json']);
      expect(r.code, r.err + r.out).toBe(0);
      return JSON.parse(r.out) as { calibratedOn: string; calibrationSamples: number; activations: Record<string, { min: number; max: number }>; float: { metric: number }; int8: { metric: number } };
    };
    const own = await quantize();
    const same = await quantize('--data', join(dir, 'same.csv'), '--target', 'species');
    const doubled = await quantize('--data', join(dir, 'doubled.csv'), '--target', 'species');
    expect(own.calibratedOn).toBe('iris, its training split');
    expect(same).toMatchObject({ calibratedOn: 'same.csv (--data), its training split', calibrationSamples: 50 });
    expect(Math.abs(same.int8.metric - same.float.metric)).toBeLessThanOrEqual(1 / 30 + 1e-9);
    // The model normalises with its own mean and std: doubled measurements reach about twice as far from 0.
    const span = (a: { min: number; max: number }) => a.max - a.min;
    expect(span(doubled.activations.measurements) / span(same.activations.measurements)).toBeGreaterThan(1.8);
  }, 30_000);
});

describe('int8 quantisation of a CNN with BatchNorm', () => {
  it('folds BatchNorm into the Conv2d, fuses ReLU, pools on uint8, and onnxruntime-web agrees with the engine', async () => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-cnn.json'), 'utf8')) as GraphIR;
    const small: GraphIR = { ...graph, nodes: graph.nodes.map((n) => (n.op === 'Conv2d' ? { ...n, attrs: { ...n.attrs, outChannels: n.id === 'conv1' ? 4 : 8 } } : n)) };
    const model = trainedModel(small, 3);
    const rng = new Rng(5);
    const sampled = (count: number): Sampled => ({ x: Float32Array.from({ length: count * 784 }, () => rng.uniform()), y: new Float32Array(count), count });
    const q = quantizeModel(model, sampled(32).x, 32, 'percentile');
    expect(q.plan.steps.map((s) => s.kind)).toEqual(['dense', 'pool', 'dense', 'pool', 'reshape', 'dense']);
    expect(q.plan.steps.flatMap((s) => (s.kind === 'dense' ? s.merged : []))).toEqual(['bn1', 'relu1', 'bn2', 'relu2']);
    const bytes = int8Onnx(q);
    expect(onnxCheck({ cnn: bytes })).toEqual({});
    expect(decodeModel(bytes).graph.node.map((n) => n.op_type)).not.toContain('BatchNormalization');
    const test = sampled(24);
    const vs = await againstOrt(q, test, [1, 28, 28]);
    expect(vs.argmax).toBe(0);
    expect(vs.maxDifference).toBeLessThanOrEqual(vs.step);
    // The folded int8 chain tracks the float model (BatchNorm in eval mode) within a few steps.
    const float = floatOutputs(model, q.plan, test.x, test.count);
    const int8 = runInt8(q, test.x, test.count);
    let worst = 0;
    for (let j = 0; j < float.length; j++) worst = Math.max(worst, Math.abs(float[j] - int8.values[j]));
    expect(worst).toBeLessThanOrEqual(8 * int8.step);
  }, 30_000);

  it("a regression learnt standardised answers in the target's units, in the engine and in onnxruntime alike", async () => {
    const iris = JSON.parse(readFileSync(join(EXAMPLES, 'iris-mlp.json'), 'utf8')) as GraphIR;
    const graph: GraphIR = {
      ...iris,
      nodes: [
        { id: 'x', op: 'Input', inputs: [], attrs: { shape: [4], source: 'features' } },
        { id: 'y', op: 'Input', inputs: [], attrs: { shape: [1], source: 'target' } },
        { id: 'fc1', op: 'Linear', inputs: ['x'], attrs: { outFeatures: 16 } },
        { id: 'relu', op: 'ReLU', inputs: ['fc1'], attrs: {} },
        { id: 'fc2', op: 'Linear', inputs: ['relu'], attrs: { outFeatures: 1 } },
        { id: 'loss', op: 'MSELoss', inputs: ['fc2', 'y'], attrs: {} },
      ],
      outputs: { prediction: 'fc2', loss: 'loss' },
      training: { ...iris.training!, loss: 'loss', metrics: ['mse'] },
    };
    const model: TrainedModel = { ...trainedModel(graph, 3), normalization: { kind: 'per-feature', mean: [5, 3, 4, 1], std: [1, 0.5, 2, 0.8] }, targetNormalization: { mean: [150], std: [60] } };
    const rng = new Rng(9);
    const raw = (count: number): Sampled => ({ x: Float32Array.from({ length: count * 4 }, (_, i) => [5, 3, 4, 1][i % 4] + rng.normal()), y: new Float32Array(count), count });
    const calibration = raw(64);
    const q = quantizeModel(model, normalized(model, calibration.x, 64), 64, 'minmax');
    const test = raw(32);
    const vs = await againstOrt(q, test, [4]);
    expect(onnxCheck({ regression: int8Onnx(q) })).toEqual({});
    // The step in the target's units is the output's scale times its std.
    expect(vs.maxDifference).toBeLessThanOrEqual(vs.step * 60 * (1 + 1e-6));
    const float = floatOutputs(model, q.plan, test.x, test.count);
    const int8 = runInt8(q, test.x, test.count).values;
    const mean = int8.reduce((a, b) => a + b, 0) / int8.length;
    // Around 150, not around 0: the standardisation is undone; int8 within a few steps of float32.
    expect(Math.abs(mean - 150)).toBeLessThan(60);
    for (let i = 0; i < float.length; i++) expect(Math.abs(float[i] - int8[i])).toBeLessThanOrEqual(4 * vs.step * 60);
  });

  it('refuses a layer without an int8 form, naming it', () => {
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'mnist-mlp.json'), 'utf8')) as GraphIR;
    const withSigmoid: GraphIR = { ...graph, nodes: graph.nodes.map((n) => (n.id === 'relu1' ? { ...n, op: 'Sigmoid' } : n)) };
    const model = trainedModel(withSigmoid, 1);
    expect(() => quantizeModel(model, new Float32Array(784), 1, 'minmax')).toThrow(/1 Sigmoid layer \("relu1"\) without an int8 form/);
  });
});
