import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph } from './import-graph';

/**
 * No import cycles in the engine, type imports included (a type-only cycle still ties two
 * modules' designs together, and a value cycle can leave one of them undefined at load time).
 * The same walk as `npx madge --circular --extensions ts src-engine`, in a fraction of its time.
 */
const KNOWN: string[] = [];

describe('engine import graph', () => {
  it('has no cycles, type imports included', () => {
    const cycles = importCycles(importGraph(path.resolve(__dirname, '../../../src-engine'))).map((c) => c.join(' → '));
    expect(cycles.filter((c) => !KNOWN.includes(c))).toEqual([]);
  });

  it('the app around it has none either: the renderer, main and the contracts between them, type imports included', () => {
    // As `npx madge --circular --extensions ts,tsx src-renderer/src src-main src-contracts`; an
    // import into the engine ends there (its own graph is checked above).
    const root = path.resolve(__dirname, '../../..');
    expect(importCycles(importGraph(root, ['src-renderer/src', 'src-main', 'src-contracts'])).map((c) => c.join(' → '))).toEqual([]);
  });

  it('follows type imports, re-exports and index files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-graph-'));
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    };
    write('a.ts', `import type { C } from './b';\nexport type A = C;\n`);
    write('b/index.ts', `export * from './c';\n`);
    write('b/c.ts', `import { type A } from '../a';\nexport type C = A[];\n`);
    write('d.ts', `import 'node:fs';\nexport { type A } from './a';\n`);
    try {
      expect(importCycles(importGraph(dir))).toEqual([['a.ts', path.join('b', 'index.ts'), path.join('b', 'c.ts')]]);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
