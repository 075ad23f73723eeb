import type { CompiledGraph, CompileOptions } from '../autodiff/executor';
import type { Backend } from '../backend/types';
import { BatchFeeder, type PreparedData } from '../data';
import type { GraphIR } from '../ir/types';
import { createOptimizer } from '../optim';
import { compactOrNull, rowProbabilities, type ProbeBinding } from '../probes';
import type { ResultOf } from '../protocol/messages';
import { Rng } from '../rng';
import { Trainer, TrainError } from '../train';
import { bindGraph } from './binding';

export interface SanityCheckOptions {
  compile: (graph: GraphIR, opts: CompileOptions) => CompiledGraph;
  /**
   * Optimizer steps at most (default 1000, or fewer: without this option the check also stops
   * after 10 s). It stops early once the loss is well inside the pass criterion (< 0.01 for
   * classifiers, ≤ 5% of the first loss otherwise).
   */
  steps?: number;
  yieldToHost?: () => Promise<void>;
}

/**
 * Try to overfit a handful of training examples (prepare `data` with `limit: 64` and no
 * validation split). A model and pipeline that are wired correctly drive the training loss to
 * about 0; one that cannot usually has a bug (labels not matching the outputs, a frozen layer,
 * a learning rate far off, too little capacity).
 *
 * Dropout and the input transform (noise, masking) are turned off for the check.
 *
 * Verdict: classifiers pass when the mean of the last 5 losses is < 0.05 (cross-entropy of a
 * ≥ 95% confident right answer), or when every example is classified right and the loss fell
 * to ≤ 10% of the first; other tasks when it is ≤ 10% of the first loss.
 */
export async function sanityCheck(graph: GraphIR, prepared: PreparedData, backend: Backend, options: SanityCheckOptions): Promise<ResultOf<'train.sanityCheck'>> {
  if (!graph.training) throw new TrainError('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before the sanity check.');
  const n = prepared.train.count;
  const config = { ...graph.training, batchSize: Math.min(graph.training.batchSize, n) };
  // Regularisers fight memorisation: the check runs with Dropout and input corruption off.
  const g: GraphIR = { ...graph, training: config, nodes: graph.nodes.map((nd) => (nd.op === 'Dropout' ? { ...nd, attrs: { ...nd.attrs, p: 0 } } : nd)) };
  const data: PreparedData = { ...prepared, transform: { kind: 'none' } };
  const plan = options.compile(g, { batchSize: config.batchSize, backend, seed: config.seed });
  new Trainer(g, data, backend, { compile: () => plan }); // checks the graph against the data
  const binding = bindGraph(g, config, data, plan);
  const optimizer = createOptimizer(config.optimizer, plan.params, backend);
  const feeder = new BatchFeeder(data.train, { transform: data.transform, target: data.target });
  const rng = new Rng((config.seed ^ 0x5a17) >>> 0);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const steps = options.steps ?? 1000;
  const deadline = options.steps === undefined ? performance.now() + 10_000 : Infinity;
  const classification = binding.task === 'classification';
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
    if (losses.length >= 5) {
      const m = mean(losses.slice(-5) as number[]);
      // Stop well inside the pass criterion, so a pass is not a lucky last batch.
      if (classification ? m < 0.01 : m <= 0.05 * losses[0]!) break;
    }
    if (performance.now() > deadline) break;
    gb.backward();
    optimizer.step();
    if (performance.now() - last > 10) {
      await (options.yieldToHost ? options.yieldToHost() : new Promise<void>((r) => setTimeout(r, 0)));
      last = performance.now();
    }
  }
  const accuracy = binding.task === 'classification' && losses.every((x) => x !== null) ? fitAccuracy(plan, binding, data) : undefined;
  const initial = losses[0] ?? null;
  const tail = losses.slice(-5);
  const finite = tail.every((x) => x !== null);
  const final = finite && tail.length ? mean(tail as number[]) : null;
  const passed = final !== null && initial !== null && (classification ? final < 0.05 || (accuracy === 1 && final <= 0.1 * initial) : final <= 0.1 * initial);
  let verdict: string;
  if (final === null) verdict = `The loss became NaN/Inf after ${losses.length} steps: lower the learning rate.`;
  else if (passed)
    verdict = `Passed: the loss went from ${initial} to ${final.toPrecision(3)} on ${n} examples${accuracy !== undefined ? ` (${Math.round(accuracy * 100)}% classified right)` : ''}, so the model can fit data and the pipeline is wired correctly.`;
  else
    verdict =
      `Failed: the loss only went from ${initial} to ${final.toPrecision(3)} on ${n} examples in ${losses.length} steps${accuracy !== undefined ? ` (${Math.round(accuracy * 100)}% classified right)` : ''}. ` +
      'Check that the labels match the outputs, that no layer is frozen or dead, and try a higher learning rate or a wider model.';
  return {
    passed,
    losses,
    initialLoss: initial,
    finalLoss: final === null ? null : compactOrNull(final),
    steps: losses.length,
    ...(accuracy !== undefined ? { accuracy } : {}),
    verdict,
  };
}

function mean(a: readonly number[]): number {
  return a.reduce((x, y) => x + y, 0) / a.length;
}

/** Fraction of the training examples the current weights classify right (eval mode). */
function fitAccuracy(plan: CompiledGraph, binding: ProbeBinding, data: PreparedData): number {
  const ds = data.train;
  const feeder = new BatchFeeder(ds, { transform: data.transform, target: data.target });
  const order = Int32Array.from({ length: ds.count }, (_, i) => i);
  let right = 0;
  for (let start = 0; start < ds.count; start += plan.batchSize) {
    const count = Math.min(plan.batchSize, ds.count - start);
    const gb = count === plan.batchSize ? plan : plan.withBatchSize(count);
    feeder.fill(order, start, count, gb.input(binding.featureInput).data, binding.targetInput ? gb.input(binding.targetInput).data : null, new Rng(0));
    gb.forward(false);
    const out = gb.output(binding.predictionNode).data;
    const width = out.length / gb.batchSize;
    for (let i = 0; i < count; i++) {
      const p = rowProbabilities(out.subarray(i * width, (i + 1) * width), binding.scores);
      let best = 0;
      for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
      if (best === ds.targets[order[start + i]]) right++;
    }
  }
  return right / ds.count;
}
