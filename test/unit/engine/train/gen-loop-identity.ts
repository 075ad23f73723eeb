/** Rewrites fixtures/loop-identity.json: `npx tsx test/unit/engine/train/gen-loop-identity.ts`. */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allCases, caseName, disposeBackends, runIdentityCase, type IdentityResult } from './loop-identity-cases';

const out: Record<string, IdentityResult> = {};
for (const c of allCases()) {
  const t0 = performance.now();
  out[caseName(c)] = await runIdentityCase(c);
  console.log(caseName(c), out[caseName(c)], `${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
await disposeBackends();
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'loop-identity.json'), JSON.stringify(out, null, 2) + '\n');
