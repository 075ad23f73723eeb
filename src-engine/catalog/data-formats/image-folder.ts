import { imageFolder } from '../datasets/image-folder';
import { defineDataFormat } from './types';

export const imageFolderFormat = defineDataFormat({
  dataset: imageFolder,
  label: 'image folder',
  holds: 'folder',
  extensions: ['.png', '.jpg', '.jpeg', '.webp'],
  guessed: true,
  reads: 'images',
  shape: 'folder',
  keeps: [],
  checked: true,
});
