/**
 * A conditional GAN's sample grid (GanSamples): when the probe batch asks for the classes in turn
 * (0, 1, …, 9, 0, …) the grid gets one column per class, headed by it; otherwise no columns (a
 * header would then name the wrong cells).
 */
import { describe, expect, it } from 'vitest';
import { labelColumns } from '../../../src-renderer/src/components/training/GanSamples';

describe('labelColumns', () => {
  it('gives one column per class when the labels cycle through the classes', () => {
    expect(labelColumns(Array.from({ length: 64 }, (_, i) => i % 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(labelColumns([0, 1, 0, 1, 0])).toEqual([0, 1]);
    // Fewer samples than classes: each its own column.
    expect(labelColumns([0, 1, 2])).toEqual([0, 1, 2]);
  });

  it('gives none without labels, when they do not cycle, or with too few or too many columns to read', () => {
    expect(labelColumns(undefined)).toBeUndefined();
    expect(labelColumns([])).toBeUndefined();
    expect(labelColumns([0, 1, 2, 0, 2, 1])).toBeUndefined();
    expect(labelColumns([3, 3, 3])).toBeUndefined();
    expect(labelColumns(Array.from({ length: 40 }, (_, i) => i % 20))).toBeUndefined();
  });
});
