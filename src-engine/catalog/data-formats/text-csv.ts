import { labelledText } from '../datasets/options';
import { textCsv } from '../datasets/text-csv';
import { defineDataFormat } from './types';

export const textCsvFormat = defineDataFormat({
  dataset: textCsv,
  label: 'table of texts',
  holds: 'file',
  extensions: ['.csv', '.tsv'],
  guessed: false,
  forDesign: (design) => design.labelled === true,
  reads: 'labelled-texts',
  shape: 'table',
  keeps: [...Object.keys(labelledText), 'textColumn', 'labelColumn', 'delimiter', 'header'],
  checked: false,
});
