/**
 * A design trained with its own recipe, its figures shared by every accuracy test that trains it:
 * the Learn gallery's unet-budget lesson trains examples/shapes-segmentation.json as shipped, which
 * segmentation.test.ts checks too, and text-lstm-vs-bow both fortunes-topics templates, which
 * text-classification.test.ts checks. One cache entry (cache.ts) per design, backend and data
 * (a set read from outside the repository, Debian's fortunes, by its fingerprint): whichever test
 * comes first trains it, the other reads the figures that run stored (within one run even with
 * `ACCURACY_CACHE=0`). A clean clone (CI) trains each design once.
 */
import { compileGraph } from '../../src-engine/core/autodiff/executor';
import type { Backend } from '../../src-engine/core/backend/types';
import type { GraphIR } from '../../src-engine/base/ir/types';
import { prepareData } from '../../src-engine/core/data';
import { Trainer, type DoneEvent } from '../../src-engine/core/train';
import { loadDataset } from '../../src-engine/node/datasets';
import { cached } from './cache';

/** A split's numeric metrics (loss, accuracy, mean-iou, …; not the confusion matrix or per-class rows). */
export type SplitFigures = Readonly<Record<string, number>>;

/** What a finished run's figures are kept as: its training time, epochs and each split's metrics. */
export interface RunFigures {
  seconds: number;
  epochs: number;
  train?: SplitFigures;
  val?: SplitFigures;
  test?: SplitFigures;
}

const numbers = (m: DoneEvent['test']): SplitFigures | undefined =>
  m && Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => typeof e[1] === 'number'));

/** A finished run's figures as kept. */
export const runFigures = (done: DoneEvent): RunFigures => ({ seconds: done.seconds, epochs: done.epochs, train: numbers(done.train), val: numbers(done.val), test: numbers(done.test) });

/** `graph` trained in full with its own recipe on `backend` (or the figures a run of the same design, code and data stored). */
export async function trainedRun(graph: GraphIR, backend: Backend): Promise<RunFigures> {
  const cfg = graph.training!;
  const loaded = loadDataset(cfg.dataset, cfg.seed);
  const { value } = await cached(`run-${graph.name}`, { graph, backend: backend.description, data: loaded.report?.fingerprint }, async () =>
    runFigures(await new Trainer(graph, prepareData(loaded, cfg.dataset, cfg.seed), backend, { compile: compileGraph }).run()),
  );
  return value;
}
