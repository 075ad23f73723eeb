/**
 * How test/accuracy/gan.test.ts trains a run (the GAN), and the MNIST classifiers that judge its
 * samples: examples/mnist-cnn.json and mnist-mlp.json trained in full with their own recipes, the
 * very runs mnist.test.ts checks (≥ 99.0 % and ≥ 97.5 % test accuracy). One cache entry (cache.ts)
 * per design and backend holds a run's figures and weights: whichever file asks first in an
 * accuracy run trains it, the other reads what it stored (vitest.accuracy.config.ts runs the two
 * files side by side; the GAN's judges are asked for after its training, long after mnist.test.ts
 * trained them). A clean clone (CI) trains each once.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileGraph } from '../../src-engine/core/autodiff/executor';
import type { Backend } from '../../src-engine/core/backend/types';
import { applyNormalization, prepareData } from '../../src-engine/core/data';
import type { GraphIR } from '../../src-engine/base/ir/types';
import { loadDataset } from '../../src-engine/node/datasets';
import { Trainer, type DoneEvent, type TrainerEvent } from '../../src-engine/core/train';
import { base64ToFloat32, float32ToBase64 } from '../../src-engine/core/train/checkpoint';
import { cached } from './cache';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'test', 'accuracy', 'results');

/** examples/`file`. */
export function example(file: string): GraphIR {
  return JSON.parse(readFileSync(join(ROOT, 'examples', file), 'utf8')) as GraphIR;
}

/** The graph trained with its own recipe; `onEpoch` sees the trainer after each epoch. */
export async function trained(graph: GraphIR, backend: Backend, onEpoch?: (trainer: Trainer, epoch: number) => void): Promise<{ trainer: Trainer; seconds: number }> {
  const trainer: Trainer = new Trainer(graph, dataOf(graph), backend, {
    compile: compileGraph,
    onEvent: (e) => {
      if (e.type !== 'epoch') return;
      console.log(`${graph.name} epoch ${e.epoch}: ${e.seconds.toFixed(0)} s, train loss ${e.train.loss.toFixed(4)}`);
      onEpoch?.(trainer, e.epoch);
    },
  });
  const done = await trainer.run();
  return { trainer, seconds: done.seconds };
}

function dataOf(graph: GraphIR) {
  const cfg = graph.training!;
  return prepareData(loadDataset(cfg.dataset, cfg.seed), cfg.dataset, cfg.seed);
}

const encode = (r: Record<string, Float32Array | readonly number[]>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, float32ToBase64(Float32Array.from(v))]));

/** A finished run of an example: its done event (without the confusion matrix) and its weights, base64. */
export interface ExampleRun {
  done: DoneEvent;
  params: Record<string, string>;
  buffers: Record<string, string>;
}

/**
 * examples/`file` trained in full with its own recipe on `backend` (or what a run of the same
 * code, data and backend stored): its figures and weights. A run trained here logs its epochs and
 * writes test/accuracy/results/<name>.result.json.
 */
export async function trainedExample(file: string, backend: Backend): Promise<ExampleRun> {
  const graph = example(file);
  const { value } = await cached(`mnist-${file}`, { graph, backend: backend.description }, async () => {
    const epochs: TrainerEvent[] = [];
    const trainer = new Trainer(graph, dataOf(graph), backend, {
      compile: compileGraph,
      onEvent: (e) => {
        if (e.type !== 'epoch') return;
        epochs.push(e);
        console.log(`${file} epoch ${e.epoch}: ${JSON.stringify({ train: e.train.loss, val: e.val, seconds: e.seconds })}`);
      },
    });
    const run = await trainer.run();
    const done = { ...run, test: run.test && { ...run.test, confusion: undefined } };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, file.replace('.json', '.result.json')), JSON.stringify({ example: file, backend: backend.description, done, epochs, finishedAt: new Date().toISOString() }, null, 2) + '\n');
    console.log(`${file}: ${done.seconds.toFixed(0)} s, test ${JSON.stringify({ ...done.test, perClass: undefined })}`);
    const ck = trainer.loop.capture();
    return { done, params: encode(ck.params), buffers: encode(ck.buffers) };
  });
  return value;
}

/**
 * A judge: examples/`file` as trainedExample gives it, and its logits for `count` samples at a
 * time, given as pixels in [0, 1] (what the GAN draws and the MNIST files hold): normalised first
 * as the design's own data is.
 */
export async function judge(file: string, backend: Backend, count: number): Promise<{ accuracy: number; seconds: number; logits: (samples: Float32Array) => Float32Array }> {
  const run = await trainedExample(file, backend);
  const graph = example(file);
  const data = dataOf(graph);
  const trainer = new Trainer(graph, data, backend, { compile: compileGraph });
  for (const p of trainer.loop.plan.params) p.value.data.set(base64ToFloat32(run.params[`${p.nodeId}.${p.name}`]));
  for (const b of trainer.loop.plan.buffers) b.value.data.set(base64ToFloat32(run.buffers[`${b.nodeId}.${b.name}`]));
  const plan = trainer.loop.planFor(count);
  const binding = trainer.loop.binding;
  return {
    accuracy: run.done.test!.accuracy!,
    seconds: run.done.seconds,
    logits(samples) {
      const x = Float32Array.from(samples);
      if (data.normalization) applyNormalization(data.normalization, x, x.length / count);
      plan.input(binding.featureInput).data.set(x);
      plan.forward(false);
      return plan.output(binding.predictionNode).data;
    },
  };
}
