/**
 * The probe batch of a run elsewhere, chosen as the engine's probes choose theirs
 * (app/probes/probe-suite.ts): the first 64 samples of the test split (else validation, else
 * training) in `probeOrder` (a classifier's classes in turn), the first 8 of them shown with their
 * predictions. train.py gets their indices (`--probe probe.json`) and forwards them in eval mode
 * for each frame's activations and sample predictions; the run store gets them as the engine's
 * runs keep them (the `start` event's probe samples), so the Samples view shows a run trained
 * elsewhere as one trained here. Classifiers of in-memory data only, for now.
 */
import { hasClasses } from '../catalog/tasks';
import type { PreparedData, Samples } from '../core/data';
import { isStreamed, sampleFeatures } from '../core/data';
import { probeSource } from '../core/data/sources';
import { probeOrder } from '../app/probes/probe-suite';
import { probeSamples } from '../app/handlers/context';
import type { StartInfo } from '../protocol';

/** The engine's probe batch and shown samples (ProbeOptions' defaults). */
const PROBE_BATCH = 64;
const PROBE_SAMPLES = 8;

/** What train.py reads (probe.json) and what the run store keeps of a run's probe batch. */
export interface ProbeBatch {
  /** train.py's `--probe` file: the split and the indices in it, the first `samples` shown. */
  file: { split: 'test' | 'val' | 'train'; indices: number[]; samples: number };
  /** The shown samples as the engine's start event keeps them (inputs as fed, targets). */
  samples: StartInfo['probeSamples'];
}

/** The probe batch of `data`, or undefined where train.py does not probe samples yet (not a classifier of labels; a folder streamed from disk). */
export function probeBatchOf(data: PreparedData<Samples>): ProbeBatch | undefined {
  const source = probeSource(data);
  if (!hasClasses(source.task) || data.target !== 'label' || isStreamed(source) || source.count === 0 || source.targets.length !== source.count) return undefined;
  const split = source === data.test ? 'test' : source === data.val ? 'val' : 'train';
  const count = Math.min(PROBE_BATCH, source.count);
  const order = Array.from(probeOrder(source, count, true));
  const shown = Math.min(PROBE_SAMPLES, count);
  const per = source.featureShape.reduce((a, b) => a * b, 1);
  const features = new Float32Array(shown * per);
  order.slice(0, shown).forEach((i, k) => features.set(sampleFeatures(source, i, 1), k * per));
  const targets = Float32Array.from(order.slice(0, shown), (i) => source.targets[i]);
  return {
    file: { split, indices: order, samples: shown },
    samples: probeSamples(source.featureShape, features, targets, shown, 1, { text: source.text, table: source.table, normalization: data.normalization }),
  };
}
