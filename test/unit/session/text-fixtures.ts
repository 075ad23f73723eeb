/** A text for a character-level language model and the tiny GPT made tinier for it: export-data-kinds.test.ts and text-generation.test.ts train it. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphIR, NodeIR } from '../../../src-engine/base/ir/types';

const EXAMPLES = join(import.meta.dirname, '../../../examples');

const FORTUNES = [
  'A journey of a thousand miles begins with a single step.',
  'You will be hungry again in one hour.',
  'Today is a good day to try something new.',
  'He who laughs last thinks slowest.',
  'Fortune favours the bold, and the well prepared.',
  'A closed mouth gathers no feet.',
  'The early bird gets the worm, but the second mouse gets the cheese.',
  'Do not count your chickens before they hatch.',
];

/** A few fortunes, twice over (about 760 characters), as `dir`/fortunes.txt: windows of 16 for a character-level model. */
export function writeFortunes(dir: string): string {
  const path = join(dir, 'fortunes.txt');
  writeFileSync(path, [...FORTUNES, ...FORTUNES.slice().reverse()].join('\n\n') + '\n');
  return path;
}

/** The tiny GPT template made tinier (one block of 16 wide, windows of 16) on the text at `path`, read as the 97 ASCII characters; the template's training otherwise. */
export function tinyGpt(path: string): GraphIR {
  const g = JSON.parse(readFileSync(join(EXAMPLES, 'tiny-gpt.json'), 'utf8')) as GraphIR;
  const block2 = new Set(g.nodes.filter((n) => n.id.startsWith('b2_')).map((n) => n.id));
  const nodes: NodeIR[] = g.nodes
    .filter((n) => !block2.has(n.id))
    .map((n) => ({ ...n, inputs: n.inputs.map((i) => (block2.has(i) ? 'b1_res2' : i)) }))
    .map((n) => {
      if (n.op === 'Input') return { ...n, attrs: { ...n.attrs, shape: [16] } };
      if (n.op === 'Embedding') return { ...n, attrs: { ...n.attrs, embeddingDim: 16 } };
      if (n.id === 'b1_mlp_in') return { ...n, attrs: { ...n.attrs, outFeatures: 32 } };
      if (n.id === 'b1_mlp_out') return { ...n, attrs: { ...n.attrs, outFeatures: 16 } };
      if (n.op === 'MultiHeadAttention') return { ...n, attrs: { ...n.attrs, numHeads: 2 } };
      return n;
    });
  return { ...g, nodes, training: { ...g.training!, dataset: { name: 'text', options: { path, window: 16, vocabulary: 'ascii' } } } };
}
