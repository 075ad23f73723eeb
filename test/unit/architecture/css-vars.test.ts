/**
 * Every custom property the stylesheet reads without a fallback is one it defines, or one a
 * component sets inline: `color: var(--fg)` (never defined) left the Playground's typed text in
 * its label's muted grey, where `--text` was meant.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', '..', 'src-renderer', 'src');

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), ext) : ext.test(e.name) ? [join(dir, e.name)] : []));
}

describe('the stylesheet', () => {
  it('reads no custom property that nothing defines', () => {
    const css = files(SRC, /\.css$/).map((f) => readFileSync(f, 'utf8')).join('\n');
    const tsx = files(SRC, /\.tsx?$/).map((f) => readFileSync(f, 'utf8')).join('\n');
    const defined = new Set([...css.matchAll(/(--[\w-]+)\s*:/g), ...tsx.matchAll(/['"`](--[\w-]+)['"`]/g)].map((m) => m[1]));
    // var(--name) with no fallback: the name must be defined somewhere.
    const read = [...css.matchAll(/var\((--[\w-]+)\s*\)/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(50);
    expect([...new Set(read.filter((v) => !defined.has(v)))]).toEqual([]);
  });
});
