import { describe, expect, it } from 'vitest';
import { DATASET_FILE_EXTENSIONS, DATA_FORMATS, fileFormatOf, folderFormatOf } from '../../../../src-engine/catalog/data-formats/registry';
import { DATASETS, getDataset } from '../../../../src-engine/catalog/datasets/registry';
import { DataKind } from '../../../../src-engine/protocol/services/data';

/** The file-format registry (catalog/data-formats): what the add-data flow, the scanner, the host's dialogs and the CLI ask instead of naming kinds (#45). */
describe('data formats', () => {
  const character = DATASETS.find((d) => d.text)!;
  const labelled = DATASETS.find((d) => d.labelled)!;

  it('each is a dataset the Node host reads from a path; all but a language model’s text fit a design to their shape', () => {
    expect(DATA_FORMATS.every((f) => getDataset(f.kind)?.files === true)).toBe(true);
    expect(DATA_FORMATS.filter((f) => f.shape === undefined).map((f) => f.reads)).toEqual(['characters']);
    expect(DataKind.options).toEqual(DATA_FORMATS.map((f) => f.kind));
    expect(new Set(DATA_FORMATS.map((f) => f.label)).size).toBe(DATA_FORMATS.length);
  });

  it('a file by its extension, or by the design it is for', () => {
    expect(['a.CSV', 'a.tsv', 'notes.txt', 'x.npz', 'X_train.npy', 'photo.png', 'README'].map((n) => fileFormatOf(n)?.reads)).toEqual(['table', 'table', 'table', 'arrays', 'arrays', undefined, undefined]);
    expect(fileFormatOf('book.txt', character)?.reads).toBe('characters');
    expect(fileFormatOf('book.csv', character)?.reads).toBe('table');
    expect(fileFormatOf('reviews.tsv', labelled)?.reads).toBe('labelled-texts');
    expect(fileFormatOf('reviews.txt', labelled)?.reads).toBe('table');
  });

  it('a folder by what its class folders hold: images before texts, images when empty', () => {
    expect(folderFormatOf(['a.txt', 'b.PNG']).reads).toBe('images');
    expect(folderFormatOf(['a.txt', 'notes.md']).reads).toBe('labelled-texts');
    expect(folderFormatOf([]).reads).toBe('images');
  });

  it('the dataset file dialog offers the extensions a file is taken by', () => {
    expect(DATASET_FILE_EXTENSIONS).toEqual(['.csv', '.tsv', '.txt', '.npz', '.npy']);
  });
});
