/**
 * The Samples tab of a language model (the tiny GPT): its sample probe names a class at every
 * position (`kind: 'sequence'`), shown as the text with the network's guess under each next
 * character, not as one "class" of the flattened [T, V] logits.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { SequenceRows } from '../../../src-renderer/src/components/training/Samples';

describe("a language model's sample predictions", () => {
  it('show each next character above the guess for it, wrong guesses marked, and the share right', () => {
    const vocabulary = ['\n', ' ', 'a', 'c', 't'];
    // "cat a" → next characters "at a\n"; the network guessed "at  \n": one of five wrong.
    const samples = { kind: 'sequence' as const, predicted: [[2, 4, 1, 1, 0]], confidence: [Float32Array.of(0.5, 0.25, 0.9, 0.4, 0.8)] };
    const html = renderToStaticMarkup(<SequenceRows samples={samples} targets={[[2, 4, 1, 2, 0]]} classNames={vocabulary} step={7} />);
    expect(html).toContain('data-testid="sequence-predictions" data-step="7"');
    expect(html).toContain('data-testid="sequence-0" data-right="0.800"');
    expect(html).toContain('80 % right');
    // One wrong cell: the fourth, "a" guessed as a space, at 40 %.
    expect(html.match(/sequence__cell--wrong/g)).toHaveLength(1);
    expect(html).toContain('title="guessed &quot; &quot; (40 %), is &quot;a&quot;"');
    // The newline shows as ↵, in both rows of the last cell.
    expect(html).toMatch(/<span>↵<\/span><span class="sequence__guess">↵<\/span>/);
  });
});
