/**
 * The models the int8 benches run (bench/int8.ts, bench/quantize-sensitivity.ts): an example's
 * seeded initialisation, or the tests' mobilenet_v3_small fixture imported with a 10-class head.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphIR } from '../src-engine/base/ir/types';
import { checkedOrThrow } from '../src-engine/core/analysis/checked';
import { findClassifierHead, replaceHead } from '../src-engine/core/analysis/classifier';
import { analyzeGraph } from '../src-engine/core/analysis/validate';
import { compileGraph } from '../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../src-engine/core/backend/reference';
import type { TrainedModel } from '../src-engine/core/export/model';
import { importOnnx } from '../src-engine/core/import/onnx/import';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The graph's seeded initialisation as a trained model (its BatchNorms at their initial statistics), `from`'s weights where they fit. */
export function seededModel(graph: GraphIR, from?: TrainedModel): TrainedModel {
  const plan = compileGraph(checkedOrThrow(graph), { batchSize: 1, backend: createReferenceBackend(), seed: 1 });
  const own = (t: { nodeId: string; name: string; value: { data: Float32Array } }): [string, Float32Array] => {
    const key = `${t.nodeId}.${t.name}`;
    const w = from?.params[key] ?? from?.buffers[key];
    return [key, w && w.length === t.value.data.length ? w.slice() : t.value.data.slice()];
  };
  return { graph, params: Object.fromEntries(plan.params.map(own)), buffers: Object.fromEntries(plan.buffers.map(own)) };
}

/**
 * The model `name` names: an example's seeded initialisation (mnist-cnn, mnist-mlp, shapes-segmentation:
 * the U-Net), or `mobilenet_v3_small`, torchvision's with random weights at 64×64 as the tests' fixture
 * (test/golden/gen_torchvision_onnx.py) imported, its head replaced for 10 classes (as the note's).
 */
export function benchModel(name: string): TrainedModel {
  if (name !== 'mobilenet_v3_small') return seededModel(JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')) as GraphIR);
  const cache = join(ROOT, 'node_modules', '.cache', 'netwright-torchvision-onnx');
  const dir = readdirSync(cache).find((d) => existsSync(join(cache, d, `${name}.onnx`)));
  if (!dir) throw new Error(`${name}: no fixture under ${cache}; run test/unit/engine/export/onnx/torchvision.test.ts once to make it`);
  const { model } = importOnnx(readFileSync(join(cache, dir, `${name}.onnx`)));
  const a = analyzeGraph(model.graph, { batchSize: 1 });
  const head = findClassifierHead(a.graph!, a.shapes);
  if (!head) throw new Error(`${name}: no classifier head found`);
  return seededModel(replaceHead(model.graph, head.head, 10, 'head'), model);
}
