import type { CompiledGraph, CompileOptions } from '../autodiff/executor';
import type { Backend } from '../backend/types';
import { BatchFeeder, type PreparedData } from '../data';
import type { GraphIR } from '../ir/types';
import { createOptimizer } from '../optim';
import { compactOrNull } from '../probes';
import type { ResultOf } from '../protocol/messages';
import { Rng } from '../rng';
import { Trainer, TrainError } from '../train';
import { bindGraph } from './binding';

export interface SanityCheckOptions {
  compile: (graph: GraphIR, opts: CompileOptions) => CompiledGraph;
  /** Optimizer steps (default 300). */
  steps?: number;
  yieldToHost?: () => Promise<void>;
}

/**
 * Try to overfit a handful of training examples (prepare `data` with `limit: 64` and no
 * validation split). A model and pipeline that are wired correctly drive the training loss to
 * about 0; one that cannot usually has a bug (labels not matching the outputs, a frozen layer,
 * a learning rate far off, too little capacity).
 *
 * Verdict: classifiers pass when the mean of the last 5 losses is < 0.05 (cross-entropy of a
 * ≥ 95% confident right answer); other tasks when it is ≤ 10% of the first loss.
 */
export async function sanityCheck(graph: GraphIR, data: PreparedData, backend: Backend, options: SanityCheckOptions): Promise<ResultOf<'train.sanityCheck'>> {
  if (!graph.training) throw new TrainError('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before the sanity check.');
  const n = data.train.count;
  const config = { ...graph.training, batchSize: Math.min(graph.training.batchSize, n) };
  const g = { ...graph, training: config };
  const plan = options.compile(g, { batchSize: config.batchSize, backend, seed: config.seed });
  new Trainer(g, data, backend, { compile: () => plan }); // checks the graph against the data
  const binding = bindGraph(g, config, data, plan);
  const optimizer = createOptimizer(config.optimizer, plan.params, backend);
  const feeder = new BatchFeeder(data.train, { transform: data.transform, target: data.target });
  const rng = new Rng((config.seed ^ 0x5a17) >>> 0);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const steps = options.steps ?? 300;
  const losses: (number | null)[] = [];
  let last = performance.now();
  let start = 0;
  for (let s = 0; s < steps; s++) {
    const count = Math.min(config.batchSize, n - start);
    const gb = count === config.batchSize ? plan : plan.withBatchSize(count);
    feeder.fill(order, start, count, gb.input(binding.featureInput).data, binding.targetInput ? gb.input(binding.targetInput).data : null, rng);
    start = start + count >= n ? 0 : start + count;
    const loss = gb.forward(true);
    losses.push(compactOrNull(loss));
    if (!Number.isFinite(loss)) break;
    gb.backward();
    optimizer.step();
    if (performance.now() - last > 10) {
      await (options.yieldToHost ? options.yieldToHost() : new Promise<void>((r) => setTimeout(r, 0)));
      last = performance.now();
    }
  }
  const initial = losses[0] ?? null;
  const tail = losses.slice(-5);
  const finite = tail.every((x) => x !== null);
  const final = finite && tail.length ? (tail as number[]).reduce((a, b) => a + b, 0) / tail.length : null;
  const classification = binding.task === 'classification';
  const passed = final !== null && initial !== null && (classification ? final < 0.05 : final <= 0.1 * initial);
  let verdict: string;
  if (final === null) verdict = `The loss became NaN/Inf after ${losses.length} steps: lower the learning rate.`;
  else if (passed) verdict = `Passed: the loss went from ${initial} to ${final.toPrecision(3)} on ${n} examples, so the model can fit data and the pipeline is wired correctly.`;
  else
    verdict =
      `Failed: the loss only went from ${initial} to ${final.toPrecision(3)} on ${n} examples in ${losses.length} steps. ` +
      'Check that the labels match the outputs, that no layer is frozen or dead, and try a higher learning rate or a wider model.';
  return { passed, losses, initialLoss: initial, finalLoss: final === null ? null : compactOrNull(final), steps: losses.length, verdict };
}
