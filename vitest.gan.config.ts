import { defineConfig } from 'vitest/config';
import { ACCURACY_TEST } from './vitest.accuracy.config';

// `npm run test:gan`: the DCGAN template against issue #16's bar (see vitest.accuracy.config.ts).
export default defineConfig({ test: { ...ACCURACY_TEST, include: ['test/accuracy/gan.test.ts'] } });
