import type { Rng } from '../../base/rng';
import type { Checkpoint, TrainableGraph } from './types';

/** Whose streams a run draws from: its plan's (every batch size shares it) and the run's own transform stream, once the run has started. */
export interface StreamOwners {
  readonly plan: Pick<TrainableGraph, 'rng'>;
  transform: Rng | null;
}

/**
 * The random streams a run draws from during its steps whose place is not a function of the step,
 * each declared once: a checkpoint keeps where each stood (`Checkpoint.random`, by name), and a
 * resumed run goes on from there, so it draws what the uninterrupted run would have.
 *
 * The run's other streams need nothing kept: the shuffle is a pure function of the seed and the
 * epoch (a resumed run replays the epochs before; `TrainingLoop.startRun`), an evaluation's and the
 * probe batch's transforms start from a fixed seed each time, Noise in eval mode draws under its
 * own fixed key, and the feature cache's frozen prefix draws nothing.
 */
const RUN_STREAMS: readonly { readonly name: string; readonly of: (o: StreamOwners) => Rng | null | undefined }[] = [
  // Noise's latent points and Dropout's masks: four words per node per training forward, in node
  // order, on every backend (the GPU's kernels take keys drawn from this stream on the host).
  { name: 'graph', of: (o) => o.plan.rng },
  // The input transform's noise and the augmentation's shifts, turns, flips and jitter, per batch.
  { name: 'transform', of: (o) => o.transform },
];

/** Where each stream stands now, by name (undefined when none is drawn from: no run started, no plan stream). */
export function streamStates(o: StreamOwners): Checkpoint['random'] {
  let out: Checkpoint['random'];
  for (const s of RUN_STREAMS) {
    const rng = s.of(o);
    if (rng) (out ??= {})[s.name] = rng.state();
  }
  return out;
}

/** Each stream `kept` names back where it stood; a stream it does not name (an older checkpoint) goes on from where it is, the seed's start. */
export function loadStreamStates(o: StreamOwners, kept: Checkpoint['random']): void {
  if (!kept) return;
  for (const s of RUN_STREAMS) {
    const st = Object.hasOwn(kept, s.name) ? kept[s.name] : undefined;
    if (st) s.of(o)?.load(st);
  }
}
