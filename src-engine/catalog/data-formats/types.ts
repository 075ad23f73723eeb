import type { DatasetDeclaration } from '../datasets/types';

/**
 * How the scanner (node/data-scan.ts) reads a format's data and the add-data preview shows it: a
 * folder of images by class, a table's columns, NumPy arrays, a text's characters for a language
 * model, texts with their labels, a time series' values.
 */
export type DataReading = 'images' | 'table' | 'arrays' | 'characters' | 'labelled-texts' | 'time series';

/**
 * A kind of the user's own data (docs/data.md): what the add-data flow lists and scans, the host's
 * dataset dialog filters, the scanner reads and the CLI's `--data` guesses. Its `dataset` is the
 * dataset it trains as (catalog/datasets/), whose loader (node/datasets.ts) reads it: the
 * dataset's name is the format's kind (`data.scan`'s `kind`).
 */
export interface DataFormatDeclaration<D extends DatasetDeclaration = DatasetDeclaration> {
  dataset: D;
  /** What the add-data flow calls data of this kind: "table", "image folder". */
  label: string;
  /** A folder of class sub-folders, or one file. */
  holds: 'folder' | 'file';
  /** Extensions, lower case with the dot: a file's own; a folder's, those of the files in its class sub-folders. */
  extensions: readonly string[];
  /**
   * Taken for this kind by its extensions alone (the workspace list, a scan asked `auto`, the
   * dataset file dialog's filter, the CLI's `--data`); else chosen by the design (`forDesign`) or the user.
   */
  guessed: boolean;
  /**
   * Whether a file of its extensions is read as this kind for a design trained on the dataset
   * `design` (a text for a character-level language model, a table of texts for labelled texts).
   */
  forDesign?: (design: DatasetDeclaration) => boolean;
  reads: DataReading;
  /** How a design's Input takes a sample of it (`fitToData`'s DataShape kind); none: its design is made for it (a text). */
  shape?: 'folder' | 'table' | 'arrays' | 'time series';
  /** The reading options a scan keeps from its request (a table's roles and policies, a text's tokenising). */
  keeps: readonly string[];
  /** Checked when a project opens (still there, same fingerprint): the kind sent with the check. */
  checked: boolean;
}

/**
 * Declare a data format, as `declareDataset` declares a dataset: one file each under
 * `catalog/data-formats/`, one line in its registry. The add-data flow, the scanner, the host's
 * dialogs, the CLI and the protocol's `DataKind` read it; nothing else names a format's kind.
 */
export function defineDataFormat<const D extends DatasetDeclaration>(f: DataFormatDeclaration<D>): DataFormatDeclaration<D> {
  return f;
}
