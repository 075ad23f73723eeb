/**
 * The GAN's file is the accuracy runs' longest path: it trains for most of their time while the
 * other files, one after another on the second worker (vitest.accuracy.config.ts), finish with
 * time to spare. Every other file lowers its process to the lowest priority (niceness 19, from
 * the 15 `npm test` starts the runs at), before its backend starts its threads (they inherit it):
 * the GAN's training takes most of the cores and the others fill what it leaves, so the two
 * workers end nearer together. Measured on 2 cores (`npm test -- --with-accuracy`, caches cleared):
 * at one priority the other files ended at 1,689 s and the GAN at 2,206 s, its last 600 s alone on
 * ~1.7 of the 2 cores.
 */
import { existsSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { beforeAll, expect } from 'vitest';

beforeAll(() => {
  if (expect.getState().testPath?.endsWith('gan.test.ts')) return;
  // Linux's niceness is a thread's: each of this process's threads (V8's helpers too), by its id.
  const threads = existsSync('/proc/self/task') ? readdirSync('/proc/self/task').map(Number) : [0];
  for (const tid of threads) {
    try {
      setPriority(tid, 19);
    } catch {
      // not permitted here (or the thread has ended): it runs at the priority it has
    }
  }
});
