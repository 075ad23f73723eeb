import type { AttrSpec } from '../attr-spec';
import type { DataTask } from '../tasks';

/**
 * A dataset the app offers (see `declareDataset`): its name as `training.dataset.name` spells it,
 * what the Train dock shows, and its options as attribute specs (the Train dock builds fields from
 * them).
 */
export interface DatasetDeclaration<N extends string = string> {
  name: N;
  label: string;
  doc: string;
  /** `auto`: decided from the data (a table's or an array's target). */
  task: DataTask | 'auto';
  /** Sample shape, when the dataset fixes it. */
  featureShape?: readonly number[];
  /** Per-sample shape of a regression target, when the dataset fixes it (e.g. `[1]`: one number). */
  targetShape?: readonly number[];
  /** Loaded from files by the Node host (node/datasets.ts); else generated in code (core/data/registry.ts). */
  files?: boolean;
  /** A line the Train dock shows under the dataset while it is chosen: a stand-in's way to the user's own data. */
  hint?: string;
  /** What a sample is, as the Playground asks for one to be drawn ("Draw a digit"): an image set's thing, with its article. */
  sampleNoun?: string;
  options: Readonly<Record<string, AttrSpec>>;
  /** Standard IDX files: train.py reads them from `--data`, else downloads them from `mirrors`. */
  idx?: { mirrors: readonly string[] };
  /** A character-level text set: an exported model samples text from it. */
  text?: boolean;
  /** Labelled texts (a text a sample, its class the target): a design trained on one reads a text folder, or a table of texts, as texts. */
  labelled?: boolean;
  /** A time series (a window of one value per step, the next value the target): a design made for one reads a CSV column as its series. */
  timeSeries?: boolean;
  /**
   * A text set's fixed vocabulary (fortunes: tab, newline and printable ASCII, 97 characters): a
   * design made for it keeps it on a user's own text, so its Embedding and last Linear still fit.
   */
  vocabulary?: 'ascii';
}

/**
 * Declare a dataset, as `defineOp` declares an op: one file each under `catalog/datasets/`, one
 * line in its registry. The Train dock's dataset select and fields, the IR's dataset names, the
 * PyTorch exporter and the loaders read it; how it loads is keyed by its name — in code
 * (core/data/registry.ts) or, `files: true`, by the Node host (node/datasets.ts) — and a declared
 * name without a loader fails to compile.
 */
export function declareDataset<const D extends DatasetDeclaration>(d: D): D {
  return d;
}
