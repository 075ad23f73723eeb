/**
 * The Playground's answer of a classifier lists every class in its order when there are few (a
 * digit keeps its row), and an ImageNet model's 1000 as its twelve likeliest, likeliest first.
 */
import { describe, expect, it } from 'vitest';
import { shownClasses } from '../../../src-renderer/src/components/training/Playground';

describe("the Playground's class list", () => {
  it('keeps up to twelve classes in their own order', () => {
    expect(shownClasses([0.1, 0.7, 0.2])).toEqual([0, 1, 2]);
    expect(shownClasses(Array.from({ length: 12 }, (_, i) => i / 66))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('lists the twelve likeliest of more, likeliest first, the lower index first on ties', () => {
    const values = Array.from({ length: 1000 }, () => 0.0005);
    values[417] = 0.3;
    values[3] = 0.05;
    values[999] = 0.05;
    values[12] = 0.1;
    expect(shownClasses(values)).toEqual([417, 12, 3, 999, 0, 1, 2, 4, 5, 6, 7, 8]);
  });
});
