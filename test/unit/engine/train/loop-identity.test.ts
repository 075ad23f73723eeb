import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cached } from '../../../accuracy/cache';
import { allCases, backendFor, caseName, disposeBackends, identityGraph, runIdentityCase, type IdentityResult } from './loop-identity-cases';

// What the three training loops produced before they became one (commit b91c767): the refactor
// must not change a single bit of the trained weights, the loss sequence or the test loss. The
// MNIST MLP entries (two Dropouts) were re-pinned when Dropout's draws became a counter-based hash
// shared with the WebGPU kernel (core/ops/dropout.ts): same loop, new masks. The reference
// backend's entries were re-pinned when the optimizers' per-step scalars became float32 on every
// backend (#58, `stepScalars`): same loop, Adam's 1 − β2 and step size as the other backends take
// them; the CPU backend's entries did not move.
//
// A case's result is kept between runs on this machine (test/accuracy/cache.ts), keyed by its
// design and settings, the source files loop-identity-cases.ts imports, followed to the end (the
// loops, the app's session, both backends, the datasets), the lockfile, the MNIST files and the
// machine: training is deterministic given those (what this test asserts), so a hit holds what a
// fresh run computes. A clean clone (CI) trains every case; `ACCURACY_CACHE=0` trains again.
const expected = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'loop-identity.json'), 'utf8')) as Record<string, IdentityResult>;

describe('one training loop: weights bit-identical to the pre-refactor loops (2 epochs on MNIST subsets)', () => {
  afterAll(() => disposeBackends());
  for (const c of allCases()) {
    it(caseName(c), { timeout: 120_000 }, async () => {
      const { value } = await cached(`loop-identity-${caseName(c)}`, { c, graph: identityGraph(c.example, c.backend), backend: (await backendFor(c.backend)).description }, () => runIdentityCase(c), { sources: ['test/unit/engine/train/loop-identity-cases.ts'] });
      expect(value).toEqual(expected[caseName(c)]);
    });
  }
});
