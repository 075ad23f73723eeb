import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { allCases, caseName, disposeBackends, runIdentityCase, type IdentityResult } from './loop-identity-cases';

// What the three training loops produced before they became one (commit b91c767): the refactor
// must not change a single bit of the trained weights, the loss sequence or the test loss. The
// MNIST MLP entries (two Dropouts) were re-pinned when Dropout's draws became a counter-based hash
// shared with the WebGPU kernel (core/ops/dropout.ts): same loop, new masks. The reference
// backend's entries were re-pinned when the optimizers' per-step scalars became float32 on every
// backend (#58, `stepScalars`): same loop, Adam's 1 − β2 and step size as the other backends take
// them; the CPU backend's entries did not move.
const expected = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'loop-identity.json'), 'utf8')) as Record<string, IdentityResult>;

describe('one training loop: weights bit-identical to the pre-refactor loops (2 epochs on MNIST subsets)', () => {
  afterAll(() => disposeBackends());
  for (const c of allCases()) {
    it(caseName(c), { timeout: 120_000 }, async () => {
      expect(await runIdentityCase(c)).toEqual(expected[caseName(c)]);
    });
  }
});
