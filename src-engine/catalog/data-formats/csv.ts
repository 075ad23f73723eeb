import { csv } from '../datasets/csv';
import { defineDataFormat } from './types';

export const csvFormat = defineDataFormat({
  dataset: csv,
  label: 'table',
  holds: 'file',
  extensions: ['.csv', '.tsv', '.txt'],
  guessed: true,
  reads: 'table',
  shape: 'table',
  keeps: ['targetColumn', 'roles', 'missing', 'categorical', 'task', 'header', 'delimiter'],
  checked: true,
});
