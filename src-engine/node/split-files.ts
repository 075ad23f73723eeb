/**
 * A run's validation and test splits from files of their own (#83: `netwright train --val-data
 * FILE --test-data FILE`, kept in the design as `training.dataset.splitFiles`): every sample of the
 * file is the split, read as the training data is — a table by the training table's own columns,
 * categories, missing-value fills and classes (`tableRowsDataset`), anything else by the loader of
 * the training data's kind, its classes matched to the training data's by name; labelled texts
 * through the training file's tokenizer and vocabulary (built on it alone). The node loader
 * (`loadSamples`) applies it, so training, `netwright evaluate` and the app's engine all measure on
 * the same files.
 */
import { basename } from 'node:path';
import type { DatasetConfig } from '../base/ir/types';
import { DATA_LIMITS, DataError, subsetOf } from '../core/data';
import type { LoadedDataset, Samples } from '../core/data';
import { rectangularRows } from '../core/data/csv';
import { tableRowsDataset } from '../core/data/table-encoding';
import { hasClasses } from '../catalog/tasks';

/** How the node loader reads a split's file: its loader for a dataset config, and a table's text (both confined to what the user may read). */
export interface SplitFileReaders {
  load(config: DatasetConfig): LoadedDataset<Samples>;
  readText(path: string, maxBytes: number): string;
  /** Labelled texts (a table of texts, a folder per class) read through the training split's tokenizer, vocabulary and classes, every text of them. */
  loadTexts?(config: DatasetConfig, train: Samples): Samples;
}

/**
 * `loaded` with the splits `config.splitFiles` names in place of its own (or of those carved from
 * it). A split set (`config.split`) gives no share to a split a file holds.
 *
 * @throws DataError `DATA_BAD_SPLIT` (a share for a split a file gives; a file that is split
 *   itself; a built-in set, which has no file of its kind), `DATA_IDX_MISMATCH` (samples of
 *   another shape), `DATA_CSV_BAD_CELL` (a class the training data does not have).
 */
export function withSplitFiles(loaded: LoadedDataset<Samples>, config: DatasetConfig, read: SplitFileReaders): LoadedDataset<Samples> {
  const files = config.splitFiles;
  if (!files || (files.val === undefined && files.test === undefined)) return loaded;
  const share = { val: config.split?.val ?? 0, test: config.split?.test ?? 0 };
  if (files.val !== undefined && share.val > 0) throw new DataError('DATA_BAD_SPLIT', `the validation split comes from ${files.val}; give it no share of the data (--split ${config.split!.train + share.val},0,${share.test}).`);
  if (files.test !== undefined && share.test > 0) throw new DataError('DATA_BAD_SPLIT', `the test split comes from ${files.test}; give it no share of the data (--split ${config.split!.train + share.test},${share.val},0).`);
  return {
    ...loaded,
    ...(files.val !== undefined ? { val: separateSplit(files.val, 'validation', config, loaded.train, read) } : {}),
    ...(files.test !== undefined ? { test: separateSplit(files.test, 'test', config, loaded.train, read) } : {}),
  };
}

/** One split's samples from `path`: every sample of it, read as the training data (`train`) was. */
function separateSplit(path: string, which: 'validation' | 'test', config: DatasetConfig, train: Samples, read: SplitFileReaders): Samples {
  const label = `${basename(path)} (${which})`;
  if (train.table && /\.(csv|tsv)$/i.test(path)) {
    const { header, body } = rectangularRows(read.readText(path, DATA_LIMITS.maxCsvBytes), path, /\.tsv$/i.test(path) ? { delimiter: '\t' } : {});
    return { ...tableRowsDataset(label, header, body, train.table, train.classNames), task: train.task };
  }
  const o = config.options ?? {};
  if (typeof o.path !== 'string') throw new DataError('DATA_BAD_SPLIT', `${path}: a ${which} file is read as the training data's kind, and ${config.name} is a built-in set; train on your own data (--data) to test on a file.`);
  // The training data's kind and options (an image folder's shape, a table's roles), this file's path; none of the main file's split or fingerprint.
  const { fingerprint: _fingerprint, testSplit: _testSplit, ...options } = o;
  // Texts are encoded with the training file's vocabulary (fitted on it alone), as a trained text model reads new ones.
  if (train.text && read.loadTexts) return { ...read.loadTexts({ name: config.name, options: { ...options, path } }, train), name: label };
  const loaded = read.load({ name: config.name, options: { ...options, path } });
  if (loaded.val || loaded.test) throw new DataError('DATA_BAD_SPLIT', `${path}: it is split itself (${loaded.test ? 'a test' : 'a validation'} part: a time series, or a folder with test/ or val/); give a file or folder whose samples are all the ${which} split.`);
  const s = loaded.train;
  if (s.featureShape.join(',') !== train.featureShape.join(',')) throw new DataError('DATA_IDX_MISMATCH', `${path}: samples of shape [${s.featureShape}], the training data's are [${train.featureShape}].`);
  const copy = subsetOf(s, identity(s.count), label);
  if (!hasClasses(train.task) || s.classNames.join('\u0000') === train.classNames.join('\u0000')) return copy;
  // The same classes by name, in the training data's order.
  const index = new Map(train.classNames.map((c, i) => [c, i]));
  for (let i = 0; i < copy.targets.length; i++) {
    const name = s.classNames[copy.targets[i]];
    const c = index.get(name);
    if (c === undefined) throw new DataError('DATA_CSV_BAD_CELL', `${path}: class ${JSON.stringify(name)} is not one the training data has (${train.classNames.slice(0, 8).join(', ')}${train.classNames.length > 8 ? ', …' : ''}).`);
    copy.targets[i] = c;
  }
  copy.classNames = [...train.classNames];
  copy.numClasses = train.numClasses;
  return copy;
}

const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
