import { labelledText } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const textFolder = declareDataset({
  name: 'text-folder',
  label: 'Text folder (one folder per class)',
  doc: 'Your labelled texts (options.path): a folder with one sub-folder per class, each holding UTF-8 .txt files, one text a file (the sub-folder’s name is the class). Split, tokenised and encoded as fortunes-topics: a fixed stratified split, a vocabulary built on the training split, ids or counts.',
  task: taskFor('classes'),
  files: true,
  options: labelledText,
  labelled: true,
});
