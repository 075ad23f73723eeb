import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGS, catalogText } from '../../../src-engine/node/catalog-gen';

/**
 * An optimizer or a learning-rate schedule is one file (core/optim/<kind>.ts,
 * core/optim/schedule-kinds/<kind>.ts: its settings and what it computes); the catalog the IR, the
 * protocol and the UI read holds the settings as data, printed from those files.
 */
describe('the printed catalogs', () => {
  it.each(CATALOGS.map((c) => [c.path.replace(/.*\/src-engine\//, 'src-engine/'), c] as const))('%s is what the files declare (run `npx tsx src-engine/node/catalog-gen.ts`)', (_path, c) => {
    expect(readFileSync(c.path, 'utf8')).toBe(catalogText(c));
  });
});
