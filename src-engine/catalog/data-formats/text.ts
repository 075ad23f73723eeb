import { text } from '../datasets/text';
import { defineDataFormat } from './types';

export const textFormat = defineDataFormat({
  dataset: text,
  label: 'text',
  holds: 'file',
  extensions: ['.txt'],
  guessed: false,
  forDesign: (design) => design.text === true,
  reads: 'characters',
  keeps: ['window', 'vocabulary'],
  checked: true,
});
