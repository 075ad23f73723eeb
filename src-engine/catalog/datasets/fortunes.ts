import { textWindow } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const fortunes = declareDataset({
  name: 'fortunes',
  label: 'Fortunes (text)',
  doc: 'Debian’s fortunes (2.8 MB of quips, quotes and verse) for a character-level language model: windows of characters as token ids, the next character at every step. Needs `apt-get install fortunes`.',
  task: taskFor('classes'),
  files: true,
  options: { window: textWindow },
  text: true,
  vocabulary: 'ascii',
});
