/**
 * The Playground's look inside a prediction as drawn: a saliency map summed over channels per
 * pixel, its heat colours (red raised the score, blue lowered it; Grad-CAM more opaque where it
 * weighs more), and the shade of each character of a text.
 */
import { describe, expect, it } from 'vitest';
import { characterShades, heatPixels, perPixel } from '../../../src-renderer/src/training/explain-view';

describe('the explanation as pixels and shades', () => {
  it('sums a [C, H, W] map over its channels, and refuses what is not an image', () => {
    expect(perPixel([1, 2, 3, 4, 10, 20, 30, 40], [2, 2, 2])).toEqual({ h: 2, w: 2, map: Float32Array.of(11, 22, 33, 44) });
    expect(perPixel([1, 2, 3, 4], [2, 2])?.map).toEqual(Float32Array.of(1, 2, 3, 4));
    expect(perPixel([1, 2, 3], [4])).toBeUndefined();
  });

  it('colours a signed map red and blue by sign, opaque at the largest |value|, clear at 0', () => {
    const px = heatPixels([2, -4, 0], true);
    expect(Array.from(px.slice(0, 4))).toEqual([255, 40, 30, Math.round(255 * Math.sqrt(0.5))]);
    expect(Array.from(px.slice(4, 8))).toEqual([40, 110, 255, 255]);
    expect(px[11]).toBe(0);
    const cam = heatPixels([0, 1, 3], false);
    expect([cam[3], cam[7], cam[11]]).toEqual([0, 85, 255]);
  });

  it('shades the characters of the text against the largest |value| among them, not the padding after it', () => {
    expect(characterShades([1, -2, 0.5, 100], 'abc')).toEqual([0.5, -1, 0.25]);
    expect(characterShades([0, 0], 'ab')).toEqual([0, 0]);
  });
});
