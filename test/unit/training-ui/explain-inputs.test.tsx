/**
 * Issue #83 item 7, the Playground's "Why?" for every data kind as drawn: a table's columns as
 * signed bars, largest first (wine showed only the caption "red raised it, blue lowered it",
 * nothing coloured); a word model's words each shaded by its own score and labelled per word (the
 * scores were painted onto the first letters of "configure", labelled per character).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ColumnBars, explainNote, TokenText } from '../../../src-renderer/src/components/training/ExplainView';
import { columnBars, pieceShades } from '../../../src-renderer/src/training/explain-view';

describe('"Why?" per column and per word, as drawn', () => {
  it('a table: a bar per column, named, signed, as long as its score against the largest, the largest first; the rest counted', () => {
    const columns = [{ name: 'pH', value: -0.5 }, { name: 'alcohol', value: 2 }, { name: 'sulphates', value: 1 }];
    expect(columnBars(columns)).toEqual({ bars: [{ name: 'alcohol', value: 2, length: 1 }, { name: 'sulphates', value: 1, length: 0.5 }, { name: 'pH', value: -0.5, length: 0.25 }], more: 0 });
    expect(columnBars(columns, 2).more).toBe(1);
    const html = renderToStaticMarkup(<ColumnBars columns={columns} />);
    expect([...html.matchAll(/data-name="([^"]+)" data-value="([^"]+)"/g)].map((m) => [m[1], Number(m[2])])).toEqual([['alcohol', 2], ['sulphates', 1], ['pH', -0.5]]);
    expect(html).toContain('width:100.0%;background:rgb(230, 40, 30)');
    expect(html).toContain('width:25.0%;background:rgb(40, 110, 255)');
    expect(html).toContain('−0.500');
    expect(explainNote({ kind: 'features', columns })).toBe('gradient × input per column, categories summed');
  });

  it('a word tokenizer: each word shaded as a whole by its own score, the text between words plain, labelled per word', () => {
    const text = { unit: 'word' as const, pieces: [{ text: 'Please', value: 0.2 }, { text: ' ', value: null }, { text: 'configure', value: -0.8 }, { text: ' it!', value: null }] };
    expect(pieceShades(text.pieces)).toEqual([0.25, null, -1, null]);
    const html = renderToStaticMarkup(<TokenText text={text} />);
    expect(html).toContain('data-unit="word"');
    // "configure" is one span, shaded blue at full strength, not its first letters.
    expect(html).toMatch(/<span class="explain__token" style="background:rgba\(40, 110, 255, 0\.750\)" title="-0\.800" data-value="-0\.8">configure<\/span>/);
    expect(html).toContain('<span> it!</span>');
    expect(explainNote({ kind: 'tokens', text })).toBe('gradient × embedding per word');
    expect(explainNote({ kind: 'features', text: { ...text, unit: 'character' } })).toBe('gradient × count per character');
  });
});
