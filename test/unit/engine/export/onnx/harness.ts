/** Shared helpers of the ONNX tests: models with trained or random weights, onnxruntime, python3-onnx. */
import { checkedOrThrow } from '../../../../../src-engine/core/analysis/checked';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import type { GraphIR } from '../../../../../src-engine/base/ir/types';
import { Rng } from '../../../../../src-engine/base/rng';
import { analyzeGraph } from '../../../../../src-engine/core/analysis/validate';
import { compileGraph } from '../../../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../../../src-engine/core/backend/reference';
import { applyNormalization, type Normalization } from '../../../../../src-engine/core/data/normalize';
import { type TrainedModel } from '../../../../../src-engine/core/export/model';
import { inferModel } from '../../../../../src-engine/core/export/infer';
import { OnnxError } from '../../../../../src-engine/core/export/onnx';
import { importOnnx } from '../../../../../src-engine/core/import/onnx';
import { getOp } from '../../../../../src-engine/core/ops/registry';
import { sgdStep } from '../../harness';

/** The python with torch and onnx (CI installs python3-torch and python3-onnx). */
export const PYTHON = '/usr/bin/python3';

/** Fails (never skips) when the python the tests need is missing. */
function requirePython(modules: readonly string[]): void {
  const r = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${PYTHON} with ${modules.join(' and ')} is needed by this test (apt install python3-torch python3-onnx): ${r.error?.message ?? r.stderr}`);
  }
}

/**
 * Run a python script; returns its stdout, throws with its stderr on failure. When it fails and
 * `modules` (those it imports) are named, a missing one fails as `requirePython` says it: checked
 * only then, since importing torch in a process of its own first cost ~2 s of CPU per script.
 */
export function python(script: string, args: readonly string[] = [], modules: readonly string[] = []): string {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) {
    if (modules.length) requirePython(modules);
    throw new Error(`${PYTHON} failed: ${r.error?.message ?? r.stderr}`);
  }
  return r.stdout;
}

/**
 * `onnx.checker.check_model(model, full_check=True)` on each file; returns the failures by name
 * (empty when all pass).
 */
export function onnxCheck(files: Readonly<Record<string, Uint8Array>>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'netwright-onnx-'));
  const names = Object.keys(files);
  names.forEach((name, i) => writeFileSync(join(dir, `${i}.onnx`), files[name]));
  const out = python(
    `import json, sys, onnx
res = {}
for i in range(int(sys.argv[2])):
    try:
        onnx.checker.check_model(onnx.load(f"{sys.argv[1]}/{i}.onnx"), full_check=True)
        res[i] = "ok"
    except Exception as e:
        res[i] = str(e)
print(json.dumps(res))`,
    [dir, String(names.length)],
    ['onnx'],
  );
  const res = JSON.parse(out) as Record<string, string>;
  return Object.fromEntries(names.map((name, i) => [name, res[i]]).filter(([, r]) => r !== 'ok'));
}

/** Run an ONNX file in onnxruntime (its WebAssembly build, onnxruntime-web). */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  const r = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])));
  return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.data as Float32Array]));
}

/** The worst excess over `atol + rtol·|expected|` (≤ 0 when within), and the largest absolute error. */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): { excess: number; maxAbs: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let excess = -Infinity;
  let maxAbs = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= Infinity)) return { excess: Infinity, maxAbs: Infinity };
    maxAbs = Math.max(maxAbs, d);
    excess = Math.max(excess, d - (atol + rtol * Math.abs(expected[i])));
  }
  return { excess, maxAbs };
}

/** Weights of a fresh plan, every tensor moved off its init (BatchNorm running stats included). */
export function randomModel(graph: GraphIR, seed: number): TrainedModel {
  const plan = compileGraph(checkedOrThrow(graph), { batchSize: 1, backend: createReferenceBackend(), seed });
  const rng = new Rng(seed * 7919 + 1);
  const params = Object.fromEntries(plan.params.map((p) => [`${p.nodeId}.${p.name}`, p.value.data.map((v) => v + 0.1 * rng.normal())]));
  const buffers = Object.fromEntries(
    plan.buffers.map((b) => [`${b.nodeId}.${b.name}`, b.value.data.map(() => (b.name === 'runningVar' ? 0.5 + 1.5 * rng.uniform() : 0.5 * rng.normal()))]),
  );
  return { graph, params, buffers };
}

/**
 * A model trained a few SGD steps on random data: features uniform in [0, 1), class labels (or
 * targets) drawn at random; BatchNorm's running statistics move as in training.
 */
export function trainedModel(graph: GraphIR, steps = 3, batch = 8, seed = 1): TrainedModel {
  const plan = compileGraph(checkedOrThrow(graph), { batchSize: batch, backend: createReferenceBackend(), seed });
  const rng = new Rng(seed);
  const shapes = analyzeGraph(graph, { batchSize: batch }).shapes;
  for (let s = 0; s < steps; s++) {
    for (const n of graph.nodes) {
      if (n.op !== 'Input') continue;
      const x = plan.input(n.id).data;
      const loss = graph.nodes.find((l) => l.inputs[1] === n.id);
      // A loss taking class indices at every position (a language model's next tokens) reads labels too.
      const perPosition = loss !== undefined && (getOp(loss.op)?.torch as { target?: string } | undefined)?.target === 'class-index';
      if (n.attrs.source === 'target' && ((n.attrs.shape as number[]).length === 0 || perPosition)) {
        // Class labels: as many classes as the loss's scores have, or the OneHot that reads them (a conditional GAN).
        // The scores' class axis is the last ([N, T, V]: a language model's), or the first after the
        // batch when the rest is the target's shape ([N, C, H, W] against a mask [H, W]: a segmenter's).
        const scores = loss ? shapes[loss.inputs[0]] : [];
        const channelsFirst = scores.slice(2).join() === (n.attrs.shape as number[]).join() && scores.length > 2;
        const classes = loss ? scores[channelsFirst ? 1 : scores.length - 1] : (graph.nodes.find((l) => l.op === 'OneHot' && l.inputs[0] === n.id)!.attrs.numClasses as number);
        for (let i = 0; i < x.length; i++) x[i] = rng.int(classes);
      } else for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
    }
    plan.forward(true);
    plan.backward();
    sgdStep(plan.params, 0.05);
  }
  const params = Object.fromEntries(plan.params.map((p) => [`${p.nodeId}.${p.name}`, p.value.data.slice()]));
  const buffers = Object.fromEntries(plan.buffers.map((b) => [`${b.nodeId}.${b.name}`, b.value.data.slice()]));
  return { graph, params, buffers };
}

/** A normalisation with made-up statistics for `size` features. */
export function someNormalization(kind: Normalization['kind'], size: number, rng: Rng): Normalization {
  const n = kind === 'global' ? 1 : size;
  return { kind, mean: Array.from({ length: n }, () => 0.5 * rng.normal()), std: Array.from({ length: n }, () => 0.5 + rng.uniform()) };
}

/**
 * Netwright's eval outputs for raw features: the model's normalisation applied as training does
 * (float64 arithmetic, stored as float32), then `inferModel`.
 */
export function netwrightOutputs(model: TrainedModel, raw: Record<string, Float32Array>, batch: number, nodes: readonly string[]): Record<string, Float32Array> {
  const inputs: Record<string, Float32Array> = {};
  for (const [id, x] of Object.entries(raw)) {
    const v = x.slice();
    if (model.normalization) applyNormalization(model.normalization, v, v.length / batch);
    inputs[id] = v;
  }
  return inferModel(model, inputs, batch, nodes);
}

/** The OnnxError `importOnnx` throws for `bytes`; fails when it imports them. */
export function importRefusal(bytes: Uint8Array): OnnxError {
  try {
    importOnnx(bytes);
  } catch (e) {
    if (e instanceof OnnxError) return e;
    throw e;
  }
  throw new Error('the file was imported');
}
