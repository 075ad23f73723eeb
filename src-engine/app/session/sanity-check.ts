import { DEFAULT_SCHEDULE } from '../../catalog/schedules/registry';
import type { CompiledGraph, CompileOptions } from '../../core/autodiff/executor';
import type { Backend } from '../../core/backend/types';
import type { PreparedData, Samples } from '../../core/data';
import type { CheckedGraph } from '../../core/analysis/checked';
import { compactOrNull } from '../probes';
import type { ResultOf } from '../../protocol';
import { TrainError, TrainingLoop } from '../../core/train';
import { hasClasses } from '../../catalog/tasks';

export interface SanityCheckOptions {
  compile: (graph: CheckedGraph, opts: CompileOptions) => CompiledGraph;
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
 * Dropout and the input transform (noise, masking) are turned off for the check, and the
 * learning rate is held constant (no schedule); gradient clipping stays as configured.
 *
 * Verdict: classifiers pass when the mean of the last 5 losses is < 0.05 (cross-entropy of a
 * ≥ 95% confident right answer), or when every example is classified right and the loss fell
 * to ≤ 10% of the first; other tasks when it is ≤ 10% of the first loss.
 */
export async function sanityCheck(checked: CheckedGraph, prepared: PreparedData<Samples>, backend: Backend, options: SanityCheckOptions): Promise<ResultOf<'train.sanityCheck'>> {
  const graph = checked.ir;
  if (!graph.training) throw new TrainError('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before the sanity check.');
  const n = prepared.train.count;
  const batchSize = Math.min(graph.training.batchSize, n);
  const steps = options.steps ?? 1000;
  // Regularisers fight memorisation: the check runs with Dropout and input corruption off (a
  // variant of the checked graph, not checked again).
  const g = checked.withoutRegularization();
  const data: PreparedData<Samples> = { ...prepared, transform: { kind: 'none' } };
  const deadline = options.steps === undefined ? performance.now() + 10_000 : Infinity;
  const losses: (number | null)[] = [];
  let classification = false;
  // The loop, configured as a check: the samples in order, a constant learning rate, no
  // validation, test or checkpoints, and a verdict after every forward pass.
  const loop = new TrainingLoop(g, data, backend, {
    compile: options.compile,
    // Accuracy (classifiers; other tasks ignore it) is what the verdict reads of the final evaluation, in eval mode.
    overrides: { batchSize, epochs: Math.ceil(steps / Math.ceil(n / batchSize)), schedule: DEFAULT_SCHEDULE, metrics: ['accuracy'], evaluation: 'eval' },
    shuffle: false,
    maxSteps: steps,
    validate: false,
    test: false,
    checkpoints: false,
    ...(options.yieldToHost ? { yieldToHost: options.yieldToHost } : {}),
    hooks: [
      {
        afterForward: ({ loss }) => {
          losses.push(compactOrNull(loss));
          if (!Number.isFinite(loss)) return 'stop';
          if (losses.length >= 5) {
            const m = mean(losses.slice(-5) as number[]);
            // Stop well inside the pass criterion, so a pass is not a lucky last batch.
            if (classification ? m < 0.01 : m <= 0.05 * losses[0]!) return 'stop';
          }
          return performance.now() > deadline ? 'stop' : 'ok';
        },
      },
    ],
  });
  classification = hasClasses(loop.binding.task);
  await loop.run();
  // The fraction of the examples the final weights classify right: the loop's own evaluation.
  const accuracy = classification && losses.every((x) => x !== null) ? (await loop.evaluate(data.train, true))?.accuracy : undefined;
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
