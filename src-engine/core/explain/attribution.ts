/**
 * An explanation's scores given back in what the user gave (issue #83 item 7): a table's columns,
 * a text's words or characters, as the saliency map gives an image's pixels. The scores are the
 * saliency's (gradient × input per input value, or gradient × embedding per position); these map
 * them through the encoding the model read its input with, the table's (`TableEncoding`: a
 * one-hot column's categories and a gap's indicator summed into the column) or the tokenizer's
 * (`Tokenizer`: a position's score to the token at that position; a bag of words' entry to each
 * occurrence of its word).
 */
import { tokenize, UNK_TOKEN } from '../data/labelled-text';
import { columnWidth, tableWidth } from '../data/table-encoding';
import type { TableEncoding } from '../data/types';
import type { Tokenizer } from '../data/tokenizer';

/** One input column (or feature) and what it added to the score explained: > 0 raised it, < 0 lowered it. */
export interface ColumnAttribution {
  name: string;
  value: number;
}

/**
 * Per-input-value scores summed per table column (its one-hot categories and its "was missing"
 * indicator, in the encoding's order), largest |score| first.
 *
 * @example columnAttributions([0.5, 0.1, -0.3, 0.2], { columns: [{ name: 'age', kind: 'numeric' }, { name: 'port', kind: 'one-hot', categories: ['C', 'Q', 'S'] }] … })
 * // [{ name: 'port', value: 0 }, …] — port: 0.1 − 0.3 + 0.2; age: 0.5 → [age 0.5, port 0]
 */
export function columnAttributions(values: ArrayLike<number>, table: TableEncoding): ColumnAttribution[] {
  if (tableWidth(table) !== values.length) throw new RangeError(`${values.length} scores for a table of ${tableWidth(table)} values`);
  let at = 0;
  const out = table.columns.map((c) => {
    let value = 0;
    for (const end = at + columnWidth(c); at < end; at++) value += values[at];
    return { name: c.name, value };
  });
  return byMagnitude(out);
}

/** Per-feature scores of a vector input named by `names` (else `feature 1`, `feature 2`…), largest |score| first. */
export function featureAttributions(values: ArrayLike<number>, names?: readonly string[]): ColumnAttribution[] {
  return byMagnitude(Array.from(values, (value, i) => ({ name: names?.[i] ?? `feature ${i + 1}`, value })));
}

function byMagnitude(a: ColumnAttribution[]): ColumnAttribution[] {
  return a.sort((x, y) => Math.abs(y.value) - Math.abs(x.value));
}

/**
 * A text's scores as pieces of it in order: each token the model read with its score (`value`),
 * the text between tokens (spaces, punctuation a word tokenizer skips) and tokens past what the
 * model reads (beyond its `maxLength`) with `value` null.
 */
export interface TextAttribution {
  /** What one scored piece is: a word (`tokens: 'words'`) or a character. */
  unit: 'word' | 'character';
  pieces: { text: string; value: number | null }[];
}

/**
 * A text model's scores per token. `scores`: one per position of the ids (`features: 'ids'`,
 * gradient × embedding) or one per vocabulary entry (`counts`, gradient × count: the entry's
 * share, split evenly over the word's occurrences, so a word's scores sum to its entry's). The text field:
 * the typed text, cut into its tokens as the tokenizer cuts it (`tokenize`) and shown as typed;
 * without one (a test sample), the tokens the input holds (`ids`: in order; `counts`: each entry
 * once, with its count).
 */
export function textAttributions(scores: ArrayLike<number>, tokenizer: Tokenizer, input: ArrayLike<number>, text?: string): TextAttribution {
  const words = tokenizer.tokens === 'words';
  const unit = words ? 'word' : 'character';
  const ids = tokenizer.features === 'ids';
  const id = new Map(tokenizer.vocabulary.map((t, i) => [t, i]));
  const entryScore = (token: string) => {
    const k = id.get(token) ?? tokenizer.unkId;
    return k === null || !(input[k] > 0) ? null : scores[k] / input[k];
  };
  if (text !== undefined) {
    const t = text.replace(/\r\n?/g, '\n');
    const pieces: TextAttribution['pieces'] = [];
    let position = 0;
    const token = (piece: string, read: string) => {
      pieces.push({ text: piece, value: ids ? (position < tokenizer.length ? scores[position] : null) : entryScore(read) });
      position++;
    };
    if (!words) {
      for (const ch of Array.from(t)) token(ch, ch);
      return { unit, pieces };
    }
    // The words as typed: the tokenizer's runs (`tokenize`) found in the text itself, each read lower-cased.
    const read = tokenize(t, 'words');
    const pattern = new RegExp(tokenizer.wordPattern ?? "[\\p{L}\\p{N}']+", 'gu');
    let end = 0;
    let k = 0;
    for (const m of t.matchAll(pattern)) {
      if (m.index > end) pieces.push({ text: t.slice(end, m.index), value: null });
      token(m[0], read[k++] ?? m[0].toLowerCase());
      end = m.index + m[0].length;
    }
    if (end < t.length) pieces.push({ text: t.slice(end), value: null });
    return { unit, pieces };
  }
  const pieces: TextAttribution['pieces'] = [];
  const gap = () => {
    if (words && pieces.length) pieces.push({ text: ' ', value: null });
  };
  if (ids) {
    for (let p = 0; p < input.length; p++) {
      const k = Math.trunc(input[p]);
      if (k === tokenizer.padId) continue;
      gap();
      pieces.push({ text: tokenizer.vocabulary[k] ?? UNK_TOKEN, value: scores[p] });
    }
    return { unit, pieces };
  }
  for (let k = 0; k < input.length; k++) {
    const n = Math.round(input[k]);
    if (n <= 0 || k === tokenizer.padId) continue;
    gap();
    pieces.push({ text: n > 1 ? `${tokenizer.vocabulary[k]}×${n}` : tokenizer.vocabulary[k], value: scores[k] });
  }
  return { unit, pieces };
}
