import { labelledText } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const textCsv = declareDataset({
  name: 'text-csv',
  label: 'Text table (CSV/TSV: a text and a label column)',
  doc: 'Your labelled texts as a table (options.path, a .csv or .tsv): options.textColumn is the text, options.labelColumn its class (by header name or 0-based number; by default a column named label/class/target… and one named text/review/sentence…, else the one with the longest cells and the one with the fewest values). Split, tokenised and encoded as text-folder: a fixed stratified split, a vocabulary built on the training split, ids or counts.',
  task: taskFor('classes'),
  files: true,
  // options.path, textColumn and labelColumn are set by Add data… (or the project), as csv's path and targetColumn.
  options: labelledText,
  labelled: true,
});
