import { textWindow } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const text = declareDataset({
  name: 'text',
  label: 'Text file (.txt)',
  doc: 'Your UTF-8 text (options.path) for a character-level language model: windows of characters as token ids, the next character at every step; the last 10 % held out for validation and test.',
  task: taskFor('classes'),
  files: true,
  options: { window: textWindow, vocabulary: { kind: 'enum', default: 'text', values: ['text', 'ascii'], doc: 'text: the file’s own characters; ascii: tab, newline and printable ASCII (97, as fortunes: a design made for fortunes fits), other characters left out.' } },
  text: true,
});
