import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTIMIZER_CATALOG_PATH, optimizerCatalog } from '../../../src-engine/node/catalog-gen';

/**
 * An optimizer is one file (core/optim/<kind>.ts: its settings and its updates); the catalog the IR,
 * the protocol and the UI read holds the settings as data, printed from those files.
 */
describe('the printed optimizer catalog', () => {
  it('catalog/optimizers/generated.ts is what the optimizers declare (run `npx tsx src-engine/node/catalog-gen.ts`)', () => {
    expect(readFileSync(OPTIMIZER_CATALOG_PATH, 'utf8')).toBe(optimizerCatalog());
  });
});
