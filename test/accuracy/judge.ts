/**
 * How test/accuracy/gan.test.ts trains a run (the GAN, and the MNIST classifiers that judge its
 * samples), and its judges kept between runs. A judge is not what that test is about: its trained
 * weights are stored (cache.ts) keyed by its design, the backend, the MNIST files, the machine and
 * this module and the CPU backend with every source file they import (the engine's trainer, ops, data, kernels), not
 * by the GAN's test or template; so a re-run of a changed GAN retrains only the GAN. A clean clone
 * (CI) trains the judges.
 */
import { compileGraph } from '../../src-engine/core/autodiff/executor';
import type { Backend } from '../../src-engine/core/backend/types';
import { prepareData } from '../../src-engine/core/data';
import type { GraphIR } from '../../src-engine/base/ir/types';
import { loadDataset } from '../../src-engine/node/datasets';
import { Trainer } from '../../src-engine/core/train';
import { base64ToFloat32, float32ToBase64 } from '../../src-engine/core/train/checkpoint';
import { cached } from './cache';

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

/**
 * A judge: `graph` trained (or its stored weights, bit for bit those a training run gives), and
 * its logits for `count` samples at a time. `label` names its cache entry.
 */
export async function judge(label: string, graph: GraphIR, backend: Backend, count: number): Promise<{ seconds: number; logits: (samples: Float32Array) => Float32Array }> {
  let trainer: Trainer | undefined;
  const { value } = await cached(
    `gan-judge-${label}`,
    { graph, backend: backend.description },
    async () => {
      const t = await trained(graph, backend);
      trainer = t.trainer;
      const ck = t.trainer.loop.capture();
      return { seconds: t.seconds, params: encode(ck.params), buffers: encode(ck.buffers) };
    },
    // The backend's code too: this module is handed a backend, it does not import one.
    { sources: ['test/accuracy/judge.ts', 'src-engine/node/cpu/index.ts'] },
  );
  if (!trainer) {
    trainer = new Trainer(graph, dataOf(graph), backend, { compile: compileGraph });
    for (const p of trainer.loop.plan.params) p.value.data.set(base64ToFloat32(value.params[`${p.nodeId}.${p.name}`]));
    for (const b of trainer.loop.plan.buffers) b.value.data.set(base64ToFloat32(value.buffers[`${b.nodeId}.${b.name}`]));
  }
  const plan = trainer.loop.planFor(count);
  const binding = trainer.loop.binding;
  return {
    seconds: value.seconds,
    logits(samples) {
      plan.input(binding.featureInput).data.set(samples);
      plan.forward(false);
      return plan.output(binding.predictionNode).data;
    },
  };
}
