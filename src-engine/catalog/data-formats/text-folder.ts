import { labelledText } from '../datasets/options';
import { textFolder } from '../datasets/text-folder';
import { defineDataFormat } from './types';

export const textFolderFormat = defineDataFormat({
  dataset: textFolder,
  label: 'texts by class folder',
  holds: 'folder',
  extensions: ['.txt'],
  guessed: true,
  reads: 'labelled-texts',
  shape: 'folder',
  keeps: Object.keys(labelledText),
  checked: false,
});
