import { choice, float, int } from '../settings';
import { declareSchedule } from './types';

export const plateau = declareSchedule({
  kind: 'plateau',
  label: 'reduce on plateau',
  doc: 'Multiply the rate by factor when the validation loss stops improving (ReduceLROnPlateau).',
  params: {
    factor: float(0.1, 'Factor applied when the loss plateaus.', 0, 1),
    patience: int(10, 'Epochs without improvement before reducing.', 0),
    threshold: float(1e-4, 'Relative improvement that counts.', 0),
    minLr: float(0, 'The rate never goes below this.', 0),
    cooldown: int(0, 'Epochs to wait after a reduction.', 0),
    mode: choice('min', ['min', 'max'], 'Whether the watched value should go down or up.'),
  },
});
