/**
 * Every committed generated file is what its generator writes from the sources as they are now, and
 * every generator is one entry of `npm run gen` (scripts/gen.mjs). A file edited by hand, or a source
 * changed without regenerating, fails here naming the file and the command that fixes it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error — a plain .mjs script without type declarations.
import { GENERATORS } from '../../../scripts/gen.mjs';

interface Generator {
  script: string;
  outputs: string[];
  command: string;
  build: () => Promise<Record<string, string>>;
}
const generators = GENERATORS as Generator[];

/** Each generated file that differs from what its generator writes, as a line saying how to fix it. */
async function staleFiles(read: (path: string) => string): Promise<string[]> {
  const stale: string[] = [];
  for (const g of generators) {
    const built = await g.build();
    expect(Object.keys(built).sort(), `${g.script} writes the outputs gen.mjs lists for it`).toEqual([...g.outputs].sort());
    for (const [path, text] of Object.entries(built))
      if (read(path) !== text) stale.push(`${path} is stale (not what ${g.script} writes): run \`npm run gen\` (this one alone: \`${g.command}\`)`);
  }
  return stale;
}

/** Files under `dir` (recursively) whose first lines say they are generated. */
function markedGenerated(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...markedGenerated(p));
    else if (/\.(ts|tsx|wat|mjs)$/.test(e.name) && !/-gen\.ts$/.test(e.name)) {
      const head = readFileSync(p, 'utf8').split('\n', 3).join('\n');
      if (/^(\/\/|;;) *(GENERATED|Generated)\b/m.test(head)) out.push(p);
    }
  }
  return out;
}

const readCommitted = (path: string): string => readFileSync(path, 'utf8');

describe('generated files (npm run gen)', () => {
  it('every generated file is what its generator writes now', async () => {
    const stale = await staleFiles(readCommitted);
    expect(stale, `stale generated files:\n${stale.join('\n')}`).toEqual([]);
  }, 30_000);

  it('a generated file edited by hand is named, with the command that rewrites it', async () => {
    const edited = 'src-engine/node/cpu/kernels/optim.wat';
    const stale = await staleFiles((path) => (path === edited ? `${readCommitted(path)};; a hand edit\n` : readCommitted(path)));
    expect(stale).toEqual([
      `${edited} is stale (not what src-engine/node/cpu/kernels/optim-gen.ts writes): run \`npm run gen\` (this one alone: \`npx tsx src-engine/node/cpu/kernels/optim-gen.ts\`)`,
    ]);
  }, 30_000);

  it('every file marked generated and every *-gen.ts generator is an entry of scripts/gen.mjs', () => {
    const outputs = new Set(generators.flatMap((g) => g.outputs));
    const unlisted = ['src-engine', 'src-renderer', 'src-main'].flatMap(markedGenerated).filter((p) => !outputs.has(p));
    expect(unlisted, `files that say they are generated but no entry of GENERATORS in scripts/gen.mjs writes: add the generator there:\n${unlisted.join('\n')}`).toEqual([]);
    const scripts = new Set(generators.map((g) => g.script));
    const genFiles = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? genFiles(join(dir, e.name)) : /-gen\.ts$/.test(e.name) ? [join(dir, e.name)] : []));
    const missing = genFiles('src-engine').filter((p) => !scripts.has(p));
    expect(missing, `generators not run by \`npm run gen\`: add each to GENERATORS in scripts/gen.mjs:\n${missing.join('\n')}`).toEqual([]);
  });
});
