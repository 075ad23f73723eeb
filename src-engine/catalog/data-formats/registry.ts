import type { DatasetDeclaration } from '../datasets/types';
import { csvFormat } from './csv';
import { imageFolderFormat } from './image-folder';
import { npzFormat } from './npz';
import { seriesFormat } from './series';
import { textFormat } from './text';
import { textCsvFormat } from './text-csv';
import { textFolderFormat } from './text-folder';
import type { DataFormatDeclaration, DataReading } from './types';

/**
 * The kinds of the user's own data (docs/data.md), in the order `data.scan`'s `DataKind` lists
 * them. Folders are told apart by what their class sub-folders hold, the first format here whose
 * files are in them winning (images before texts). Adding one = one file here + one line below +
 * its dataset's loader (node/datasets.ts) and, for a new `reads`, its scanner (node/data-scan.ts)
 * and preview (AddDataDialog.tsx).
 */
const DECLARED = [imageFolderFormat, csvFormat, npzFormat, textFormat, textFolderFormat, textCsvFormat, seriesFormat] as const;

/** A data format's kind: the name of the dataset it trains as. */
export type DataKind = (typeof DECLARED)[number]['dataset']['name'];

/** A declared data format, with its kind. */
export interface DataFormat extends DataFormatDeclaration {
  kind: DataKind;
}

/** Every declared data format, in the order above. */
export const DATA_FORMATS: readonly DataFormat[] = DECLARED.map((f) => ({ ...f, kind: f.dataset.name }));

/** The formats' kinds, for `z.enum`. */
export const DATA_KINDS = DATA_FORMATS.map((f) => f.kind) as [DataKind, ...DataKind[]];

const BY_KIND: ReadonlyMap<string, DataFormat> = new Map(DATA_FORMATS.map((f) => [f.kind, f]));

/** The format of kind (or dataset name) `kind`; undefined for a dataset that is not the user's data read from a path. */
export function getDataFormat(kind: string | undefined): DataFormat | undefined {
  return kind === undefined ? undefined : BY_KIND.get(kind);
}

/** The format that `reads` its data so and holds a file (or a folder). */
export function dataFormatReading(reads: DataReading, holds: DataFormat['holds'] = 'file'): DataFormat {
  const f = DATA_FORMATS.find((d) => d.reads === reads && d.holds === holds);
  if (!f) throw new Error(`No data format reads ${reads} from a ${holds}.`);
  return f;
}

/** A file name's extension, lower case with the dot ('' for none). */
export function extensionOf(name: string): string {
  return /\.[^./\\]+$/.exec(name)?.[0].toLowerCase() ?? '';
}

/**
 * The format a file is read as: for a design trained on the dataset `design`, the format made for
 * it (`forDesign`: a character-level text set's text, labelled texts' table of texts) where the
 * extension fits; else the one its extension alone says (a table, arrays); undefined for a file of
 * no data format.
 *
 * @example fileFormatOf('notes.txt', getDataset(DEFAULT_DATASET))?.reads // 'table'; for a design on a text set, 'characters'
 */
export function fileFormatOf(name: string, design?: DatasetDeclaration): DataFormat | undefined {
  const ext = extensionOf(name);
  const files = DATA_FORMATS.filter((f) => f.holds === 'file' && f.extensions.includes(ext));
  return files.find((f) => design !== undefined && f.forDesign?.(design)) ?? files.find((f) => f.guessed);
}

/**
 * The format of a folder of class sub-folders by the files they hold (`names`, read as needed):
 * the first folder format above whose files are among them, else the first folder format.
 */
export function folderFormatOf(names: Iterable<string>): DataFormat {
  const folders = DATA_FORMATS.filter((f) => f.holds === 'folder');
  let best = folders.length;
  for (const name of names) {
    const i = folders.findIndex((f) => f.extensions.includes(extensionOf(name)));
    if (i === 0) return folders[0];
    if (i > 0 && i < best) best = i;
  }
  return folders[best] ?? folders[0];
}

/** The extensions the host's dataset file dialog offers: those of the file formats taken by their extension. */
export const DATASET_FILE_EXTENSIONS: readonly string[] = DATA_FORMATS.filter((f) => f.holds === 'file' && f.guessed).flatMap((f) => f.extensions);
