/** Runs an exported PyTorch project under the real PyTorch (tests skip where none is installed). */
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npy } from '../../../../src-engine/core/export/archive';
import { modelFromCheckpoint, type TrainedModel } from '../../../../src-engine/core/export/model';
import { inferModel } from '../../../../src-engine/core/export/infer';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import type { Backend } from '../../../../src-engine/core/backend/types';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { createCpuBackend } from '../../../../src-engine/node/cpu';
import { prepareData } from '../../../../src-engine/core/data';
import { Trainer } from '../../../../src-engine/core/train';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { exportPytorch, torchNodeNames, type PytorchExportOptions } from '../../../../src-engine/core/export/pytorch';
import { getOp } from '../../../../src-engine/core/ops/registry';
import { writeExport } from '../../../../src-engine/node/export-writer';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');

let cpu: Promise<Backend> | null = null;
/**
 * The backend the fixtures train on: the WebAssembly one, on one thread (the tiny GPT and the
 * conditional DCGAN took ~10 s each on the reference kernels). What the tests check is the
 * export of whatever weights came out, computed by Netwright and by PyTorch.
 */
function fixtureBackend(): Promise<Backend> {
  cpu ??= createCpuBackend({ threads: 1 });
  return cpu;
}

/** A template trained a few steps on a small subset, as a TrainedModel, with its prepared data. */
export async function trainedTemplate(file: string, steps = 4) {
  const g = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as GraphIR;
  const t = g.training!;
  const batchSize = 16;
  const training = { ...t, batchSize, epochs: 1, dataset: { ...t.dataset, limit: batchSize * steps } };
  const quick: GraphIR = { ...g, training };
  const data = prepareData(loadDataset(training.dataset, training.seed), training.dataset, training.seed);
  const trainer = new Trainer(quick, data, await fixtureBackend(), { compile: compileGraph });
  await trainer.run();
  const model = modelFromCheckpoint(quick, trainer.loop.capture(), { ...(data.normalization ? { normalization: data.normalization } : {}), classNames: data.train.classNames });
  return { model, data, trainer };
}

/** A graph at its initial weights (seeded as its training section says), as a TrainedModel: no data, no step. */
export function initialModel(graph: GraphIR): TrainedModel {
  const plan = compileGraph(checkedOrThrow(graph), { backend: createReferenceBackend(), batchSize: 1, seed: graph.training?.seed ?? 1 });
  const byKey = (entries: readonly { nodeId: string; name: string; value: { data: Float32Array } }[]) => Object.fromEntries(entries.map((e) => [`${e.nodeId}.${e.name}`, e.value.data.slice()]));
  return { graph, params: byKey(plan.params), buffers: byKey(plan.buffers) };
}

/** A Python with torch and numpy: NETWRIGHT_TORCH_PYTHON, else Debian's python3-torch. */
export const TORCH_PYTHON = process.env.NETWRIGHT_TORCH_PYTHON ?? '/usr/bin/python3';
export const HAS_TORCH = spawnSync(TORCH_PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `nw-${prefix}-`));
}

/** Export `model` to a temp folder; returns its path. */
export function exportTo(model: TrainedModel, options: PytorchExportOptions = {}): string {
  return writeExport(exportPytorch(model, options), join(tempDir('torch'), 'export'));
}

type TorchComparison = { diffs: Record<string, number>; keys: string[]; hooked: string[] };

/**
 * The largest |PyTorch − Netwright| of every node's eval output (each submodule through a
 * forward hook, and forward()'s prediction) on `inputs`, a batch of `batch` samples as fed to
 * `featureInput`.
 */
export function compareWithTorch(model: TrainedModel, inputs: Record<string, Float32Array>, batch: number, prediction: string): TorchComparison {
  return compareManyWithTorch([{ model, inputs, batch, prediction }])[0];
}

/**
 * `compareWithTorch` for several models in one Python process (importing torch is most of a
 * check's time): each model is exported, computed by Netwright and checked exactly as alone.
 */
export function compareManyWithTorch(cases: { model: TrainedModel; inputs: Record<string, Float32Array>; batch: number; prediction: string }[]): TorchComparison[] {
  const args = cases.flatMap(({ model, inputs, batch, prediction }) => {
    const dir = exportTo(model);
    const body = model.graph.nodes.filter((n) => n.op !== 'Input' && !getOp(n.op)?.isLoss).map((n) => n.id);
    const outs = inferModel(model, inputs, batch, body);
    const shapeOf = (id: string) => [batch, outs[id].length / batch];
    const expected: Record<string, [number[], number[]]> = {};
    const names = torchNodeNames(checkedOrThrow(model.graph));
    for (const id of body) expected[names.get(id)!] = [shapeOf(id), Array.from(outs[id])];
    expected.__prediction__ = [shapeOf(prediction), Array.from(outs[prediction])];
    const caseDir = tempDir('case');
    // forward()'s arguments, in the order of the graph's Inputs: inputs_0.npy, inputs_1.npy, …
    model.graph.nodes
      .filter((n) => n.op === 'Input' && n.id in inputs)
      .forEach((n, k) => writeFileSync(join(caseDir, `inputs_${k}.npy`), npy(inputs[n.id], [batch, ...(n.attrs.shape as number[])])));
    writeFileSync(join(caseDir, 'expected.json'), JSON.stringify(expected));
    return [dir, caseDir];
  });
  const r = spawnSync(TORCH_PYTHON, [join(import.meta.dirname, 'torch_check.py'), ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`torch_check.py failed (${r.status}): ${r.stderr}`);
  const results = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as TorchComparison);
  if (results.length !== cases.length) throw new Error(`torch_check.py answered ${results.length} of ${cases.length} cases`);
  return results;
}
