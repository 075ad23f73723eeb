/**
 * What a restore after a crash brings back (#44 item 7): the offer names the design it holds (and
 * says which design on screen it would replace), and a run's design reopened after a reload is laid
 * out to fit the canvas, not as one tall column of tiny cards.
 */
import { readFileSync } from 'node:fs';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeEach, describe, expect, it } from 'vitest';
import { RecoveryOffer } from '../../../src-renderer/src/components/Dialogs';

import { ProjectFiles } from '../../../src-renderer/src/editor/files';
import { memoryHost } from './fixtures';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

describe('the restore offer', () => {
  it('names the design it would restore', () => {
    const html = renderToStaticMarkup(<RecoveryOffer name="MNIST CNN" nodes={13} savedAt={0} onRestore={() => {}} onDiscard={() => {}} />);
    expect(html).toContain('Restore unsaved work on “MNIST CNN”?');
    expect(html).toContain('<b>MNIST CNN</b> (13 nodes)');
    expect(html).not.toContain('in place of');
  });

  it('says which design on the canvas it would take the place of', () => {
    const html = renderToStaticMarkup(<RecoveryOffer name="MNIST CNN" nodes={13} onScreen="Tiny GPT" savedAt={0} onRestore={() => {}} onDiscard={() => {}} />);
    expect(html).toContain('in place of “Tiny GPT”');
  });
});

describe("a run's design reopened without its project", () => {
  it('is laid out to the canvas it opens on (tiny GPT, 23 nodes, on a 1.6:1 canvas)', async () => {
    const graph = JSON.parse(readFileSync('examples/tiny-gpt.json', 'utf8')) as unknown;
    const files = new ProjectFiles(w, memoryHost(), 60_000, undefined, () => ({ aspect: 1.6, direction: 'TB' }));
    expect(await files.openRunProject({ name: 'Tiny GPT' }, graph)).toBe(true);
    const at = Object.values(w.editor.getState().history.present.layout);
    const width = Math.max(...at.map((p) => p.x)) - Math.min(...at.map((p) => p.x));
    const height = Math.max(...at.map((p) => p.y)) - Math.min(...at.map((p) => p.y));
    // One column would be some 20 cards tall and one wide; folded to the canvas it is wider than tall.
    expect(width / height).toBeGreaterThan(0.8);
  });
});
