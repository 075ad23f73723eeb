import { startFromOf } from '../../base/ir/start-from';
import type { TrainingConfig } from '../../base/ir/types';
import type { TrainedModel } from '../../core/export/model';
import type { RunStoreApi } from '../runs/recorder';

/**
 * Where a host finds the weights a run may start from: the model loaded with the design (a
 * project's saved weights, an imported model) and the run store. Each throws the host's own coded
 * error when it has none (the app: import or open the model again; the CLI: pass --runs DIR).
 */
export interface WeightSources {
  loaded(): TrainedModel;
  /** The run store holding `run` (the run a design starts from). */
  runs(run: string): Pick<RunStoreApi, 'model'>;
}

/**
 * The weights a run starts from (`training.startFrom`, docs/runs.md), one rule for the app and the
 * CLI: none for fresh initialisation, the loaded model's, or a stored run's last or best checkpoint.
 */
export function startWeights(training: TrainingConfig | undefined, from: WeightSources): TrainedModel | undefined {
  const start = startFromOf(training);
  if (start.kind === 'fresh') return undefined;
  return start.kind === 'run' ? from.runs(start.run).model(start.run, start.checkpoint) : from.loaded();
}
