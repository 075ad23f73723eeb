import { npz } from '../datasets/npz';
import { defineDataFormat } from './types';

export const npzFormat = defineDataFormat({
  dataset: npz,
  label: 'NumPy arrays',
  holds: 'file',
  // An .npy of features with its targets in the .npy beside it (node/npz.ts `npyTargetsPath`).
  extensions: ['.npz', '.npy'],
  guessed: true,
  reads: 'arrays',
  shape: 'arrays',
  keeps: ['x', 'y', 'task', 'targets'],
  checked: true,
});
