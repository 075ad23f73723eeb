import { defineConfig } from 'vitest/config';

// Long training runs that check the accuracy the textbooks promise (MNIST MLP ≥ 97.5 %, …), and the
// lessons' claims. CI runs these (`npm test -- --with-accuracy`).
//
// Not here: the GAN's bar (test/accuracy/gan.test.ts, `npm run test:gan`). It does not hold yet —
// the DCGAN template's samples are labelled confidently 24 times in 64 where issue #16 asks for 80 %
// (docs/lessons.md, "GAN") — and it stays failing, with its bound, until the template meets it.
export const ACCURACY_TEST = {
  environment: 'node',
  testTimeout: 60 * 60_000,
  hookTimeout: 60_000,
  fileParallelism: false,
} as const;

export default defineConfig({
  test: {
    ...ACCURACY_TEST,
    include: ['test/accuracy/**/*.test.ts'],
    exclude: ['test/accuracy/gan.test.ts'],
  },
});
