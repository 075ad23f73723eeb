import { defineConfig } from 'vitest/config';
import { ACCURACY_TEST } from './vitest.accuracy.config';

// `npm run test:gan`: the GAN template against issue #16's bar, alone (CI runs it with the accuracy runs).
export default defineConfig({ test: { ...ACCURACY_TEST, include: ['test/accuracy/gan.test.ts'] } });
