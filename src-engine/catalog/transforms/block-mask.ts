import { defineTransform } from './types';

/**
 * Zeroes `count` (default 1) `size × size` squares per sample, at random positions, in every
 * channel (in-painting): images only.
 */
export const blockMask = defineTransform({
  kind: 'block-mask',
  label: 'mask blocks',
  doc: 'Zeroes size×size squares at random places (in-painting); one block, or several random patches.',
  images: true,
  params: {
    size: { kind: 'int', default: 10, min: 1, max: 4096, required: true, doc: 'Side of each square, in pixels (at most the image’s).', field: { label: 'Block size (px)', testId: 'ds-block-size' } },
    count: { kind: 'int', default: 1, min: 1, max: 1024, doc: 'Squares per sample.', field: { label: 'Blocks', testId: 'ds-block-count', title: '1: one block; more: random patches' } },
  },
  apply({ t, x, length, rng, image }) {
    const [c, h, w] = image!;
    const fs = c * h * w;
    const size = Math.min(t.size, h, w);
    const count = t.count ?? 1;
    for (let s = 0; s + fs <= length; s += fs) {
      for (let k = 0; k < count; k++) {
        const top = Math.floor(rng.uniform() * (h - size + 1));
        const left = Math.floor(rng.uniform() * (w - size + 1));
        for (let ch = 0; ch < c; ch++) {
          for (let r = top; r < top + size; r++) x.fill(0, s + ch * h * w + r * w + left, s + ch * h * w + r * w + left + size);
        }
      }
    }
  },
  torch: String.raw`        shape = x.shape
        x = x.clone().reshape(len(x), *CONFIG['dataset']['image_shape'])
        h, w = x.shape[-2], x.shape[-1]
        size = min(t['size'], h, w)
        for i in range(len(x)):
            for _ in range(t.get('count', 1)):
                top = int(torch.randint(0, h - size + 1, (1,), generator=generator))
                left = int(torch.randint(0, w - size + 1, (1,), generator=generator))
                x[i, ..., top:top + size, left:left + size] = 0
        return x.reshape(shape)`,
  testDomain: {
    // RandomErasing at one area and aspect ratio 1 erases a size × size square at a uniform place,
    // as this does; `count` of them, one after another.
    // NOTE: RandomErasing erases nothing when the square is as wide or as tall as the image (this
    // masks it whole): the cases keep size below both sides.
    torchvision: "T.Compose([T.RandomErasing(p=1, scale=(t['size'] ** 2 / (image[1] * image[2]),) * 2, ratio=(1, 1), value=0)] * t['count'])",
    cases: [
      { name: 'one 3×3 block', settings: { size: 3 }, sample: [1, 6, 6] },
      { name: 'three 2×2 blocks, two channels', settings: { size: 2, count: 3 }, sample: [2, 5, 6] },
    ],
  },
});
