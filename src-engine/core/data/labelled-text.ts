import { Rng } from '../../base/rng';
import { stratifiedSplit } from './split';
import type { Dataset, LoadedDataset, TextEncoding } from './types';
import { DataError } from './types';
import { taskFor } from '../../catalog/tasks';

/** One labelled text: what a text-classification source reads (a fortune and its topic file). */
export interface LabelledText {
  text: string;
  /** Class index into the source's class names. */
  label: number;
}

/** How texts become tokens: characters (code points) or words (lower-cased runs of letters, digits and apostrophes). */
export type Tokenization = TextEncoding['tokens'];

/**
 * What a sample's features are: `ids`, the first `maxLength` token ids padded with PAD_ID (`[T]`,
 * for an Embedding); `counts`, how often each vocabulary entry occurs in the whole text (`[V]`,
 * a bag of words for a Linear model).
 */
export type TextFeatures = TextEncoding['features'];

export interface LabelledTextOptions {
  /** Shown in run names: the set's or the file's name. */
  name: string;
  classNames: readonly string[];
  tokens: Tokenization;
  features: TextFeatures;
  /** Tokens per sample with `features: 'ids'`: longer texts are cut, shorter ones padded. */
  maxLength: number;
  /** A token seen fewer times than this in the training split reads as UNK_ID. */
  minCount: number;
  /** The most vocabulary entries (PAD and UNK included); the rarest tokens beyond it read as UNK_ID. */
  maxVocabulary: number;
  /** Fraction of each class held out as the test split. */
  testFraction: number;
  /** Seeds the split alone: the same texts give the same split whatever the run's seed. */
  splitSeed: number;
}

/** The padding id: what a text shorter than `maxLength` is filled with (vocabulary entry `<pad>`). */
export const PAD_ID = 0;
/** The unknown id: a token the training split did not hold (often enough), vocabulary entry `<unk>`. */
export const UNK_ID = 1;
export const PAD_TOKEN = '<pad>';
export const UNK_TOKEN = '<unk>';

/** The most vocabulary entries a text source may ask for (each is an Embedding row or a Linear input). */
export const MAX_TEXT_VOCABULARY = 50_000;

/** The tokens of a text: its characters (CR LF read as LF), or its lower-cased words. */
export function tokenize(text: string, tokens: Tokenization): string[] {
  const t = text.replace(/\r\n?/g, '\n');
  return tokens === 'chars' ? Array.from(t) : (t.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []);
}

/**
 * The vocabulary of the training texts: `<pad>`, `<unk>`, then the tokens seen at least `minCount`
 * times, most frequent first (ties in code-point order), at most `maxVocabulary` entries in all.
 * Index = token id.
 */
export function buildVocabulary(texts: readonly (readonly string[])[], minCount: number, maxVocabulary: number): string[] {
  const counts = new Map<string, number>();
  for (const toks of texts) for (const t of toks) counts.set(t, (counts.get(t) ?? 0) + 1);
  const kept = [...counts].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return [PAD_TOKEN, UNK_TOKEN, ...kept.slice(0, Math.max(0, maxVocabulary - 2)).map(([t]) => t)];
}

/**
 * Token ids back to text (a sample shown in Samples or the confusion matrix): padding left out,
 * words joined by spaces, characters as they are.
 */
export function decodeTokens(ids: ArrayLike<number>, vocabulary: readonly string[], tokens: Tokenization): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = Math.trunc(ids[i]);
    if (id === PAD_ID) continue;
    out.push(vocabulary[id] ?? UNK_TOKEN);
  }
  return out.join(tokens === 'words' ? ' ' : '');
}

function checkOptions(o: LabelledTextOptions): void {
  const bad = (what: string) => {
    throw new DataError('DATA_BAD_OPTION', `${o.name}: ${what}.`);
  };
  if (o.tokens !== 'chars' && o.tokens !== 'words') bad(`options.tokens is chars or words (got ${JSON.stringify(o.tokens)})`);
  if (o.features !== 'ids' && o.features !== 'counts') bad(`options.features is ids or counts (got ${JSON.stringify(o.features)})`);
  if (!Number.isInteger(o.maxLength) || o.maxLength < 1 || o.maxLength > 4096) bad(`options.maxLength is a whole number of tokens from 1 to 4096 (got ${o.maxLength})`);
  if (!Number.isInteger(o.minCount) || o.minCount < 1) bad(`options.minCount is a whole number ≥ 1 (got ${o.minCount})`);
  if (!Number.isInteger(o.maxVocabulary) || o.maxVocabulary < 3 || o.maxVocabulary > MAX_TEXT_VOCABULARY) bad(`options.maxVocabulary is a whole number from 3 to ${MAX_TEXT_VOCABULARY} (got ${o.maxVocabulary})`);
  if (!(o.testFraction >= 0 && o.testFraction < 1)) bad(`options.testSplit is a fraction from 0 (the test split from a file of its own) to below 1 (got ${o.testFraction})`);
}

/** One text's tokens into a zeroed row: ids padded or cut to the row's width, or token counts. */
function fillRow(toks: readonly string[], id: ReadonlyMap<string, number>, features: TextFeatures, row: Float32Array): void {
  if (features === 'counts') for (const t of toks) row[id.get(t) ?? UNK_ID]++;
  else for (let i = 0; i < Math.min(toks.length, row.length); i++) row[i] = id.get(toks[i]) ?? UNK_ID;
}

const idsOf = new WeakMap<readonly string[], Map<string, number>>();

/**
 * A new text as a sample of a labelled-text set (the Playground's typed text): tokenised and
 * encoded exactly as the set's texts were, with its training vocabulary (unknown tokens `<unk>`),
 * `width` the sample's length (`maxLength` for ids, the vocabulary's size for counts).
 *
 * @example encodeLabelledText('the cat', train.text!, train.featureShape[0])
 */
export function encodeLabelledText(text: string, encoding: TextEncoding, width: number): Float32Array {
  let id = idsOf.get(encoding.vocabulary);
  if (!id) {
    id = new Map(encoding.vocabulary.map((t, i) => [t, i]));
    idsOf.set(encoding.vocabulary, id);
  }
  const row = new Float32Array(width);
  fillRow(tokenize(text, encoding.tokens), id, encoding.features, row);
  return row;
}

function encode(docs: readonly string[][], picked: Int32Array, labels: Float32Array, id: Map<string, number>, o: LabelledTextOptions, vocabulary: string[], split: string, texts: readonly LabelledText[]): Dataset {
  const counts = o.features === 'counts';
  const width = counts ? vocabulary.length : o.maxLength;
  const features = new Float32Array(picked.length * width);
  const targets = new Float32Array(picked.length);
  picked.forEach((d, s) => {
    fillRow(docs[d], id, o.features, features.subarray(s * width, (s + 1) * width));
    targets[s] = labels[d];
  });
  return {
    name: `${o.name} (${split})`,
    task: taskFor('classes'),
    count: picked.length,
    features,
    featureShape: [width],
    targets,
    targetShape: [],
    numClasses: o.classNames.length,
    classNames: [...o.classNames],
    ...(counts ? { featureNames: vocabulary } : {}),
    text: { vocabulary, tokens: o.tokens, features: o.features },
    texts: Array.from(picked, (d) => texts[d].text),
  };
}

/**
 * A text-classification set from labelled texts: a fixed, stratified train/test split (seeded by
 * `splitSeed` alone; none with `testFraction` 0, when a file of its own is the test split), a
 * vocabulary built on the training split only (so no test token leaks into
 * it; `<pad>` = 0, `<unk>` = 1), and each text as padded token ids `[maxLength]` or as token
 * counts `[V]`. The target is the class index. The validation split is carved from the training
 * split as for any set (`validationSplit`).
 *
 * @throws DataError DATA_BAD_OPTION for an option out of range, DATA_TOO_SMALL for fewer than two
 *   classes with texts or a split with no text.
 * @example
 * ```ts
 * const { train, test } = labelledTextDataset(docs, { name: 'notes', classNames: ['a', 'b'], tokens: 'chars', features: 'ids', maxLength: 256, minCount: 1, maxVocabulary: 500, testFraction: 0.2, splitSeed: 1 });
 * train.featureShape; // [256]
 * ```
 */
export function labelledTextDataset(texts: readonly LabelledText[], o: LabelledTextOptions): LoadedDataset {
  checkOptions(o);
  const labels = Float32Array.from(texts, (t) => t.label);
  if (new Set(labels).size < 2) throw new DataError('DATA_TOO_SMALL', `${o.name}: texts of at least two classes are needed (got ${new Set(labels).size}).`);
  const docs = texts.map((t) => tokenize(t.text, o.tokens));
  const [train, test] = stratifiedSplit({ count: texts.length, task: taskFor('classes'), targets: labels, targetShape: [] }, o.testFraction, new Rng(o.splitSeed));
  // A test share of 0: every text trains (a validation split is still carved), the test split comes from a file of its own (--test-data).
  if (test.length === 0 && o.testFraction > 0) throw new DataError('DATA_TOO_SMALL', emptyTestSplit(o.name, labels, o.testFraction));
  if (train.length === 0) throw new DataError('DATA_TOO_SMALL', `${o.name}: ${texts.length} texts leave the training split empty; add texts or lower options.testSplit.`);
  const vocabulary = buildVocabulary(Array.from(train, (d) => docs[d]), o.minCount, o.maxVocabulary);
  const id = new Map(vocabulary.map((t, i) => [t, i]));
  const trained = encode(docs, train, labels, id, o, vocabulary, 'train', texts);
  return test.length ? { train: trained, test: encode(docs, test, labels, id, o, vocabulary, 'test', texts) } : { train: trained };
}

/**
 * Why a stratified split held no text out: it takes a `fraction` of each class's texts (rounded),
 * so a class too small gives none, and here every class is. Where nearly every text has a label of
 * its own (100,000 distinct labels), the label column is likely not one.
 */
function emptyTestSplit(name: string, labels: Float32Array, fraction: number): string {
  const sizes = new Map<number, number>();
  let largest = 0;
  for (const l of labels) {
    const size = (sizes.get(l) ?? 0) + 1;
    sizes.set(l, size);
    largest = Math.max(largest, size);
  }
  const fewest = Math.ceil(0.5 / fraction - 1e-9);
  const n = (v: number) => v.toLocaleString('en-US');
  const own = largest === 1 ? ': every text has a label of its own. Is the label column the right one?' : '. Add texts to the classes, or raise options.testSplit.';
  return `${name}: the test split would be empty: it takes ${Math.round(fraction * 1000) / 10} % of each class's texts, none of a class of fewer than ${n(fewest)}, and the ${n(sizes.size)} classes of these ${n(labels.length)} texts have at most ${n(largest)} each${own}`;
}

/**
 * A sample of a labelled-text set as text for a person (Samples, the confusion matrix, the
 * Playground): ids decoded (`decodeTokens`), counts as the words they count (`word×2`), commonest
 * first, then how many tokens were unknown.
 */
export function sampleText(values: ArrayLike<number>, encoding: TextEncoding): string {
  if (encoding.features === 'ids') return decodeTokens(values, encoding.vocabulary, encoding.tokens);
  const out: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const n = Math.round(values[i]);
    if (n > 0 && i !== PAD_ID && i !== UNK_ID) out.push(n > 1 ? `${encoding.vocabulary[i]}×${n}` : encoding.vocabulary[i]);
  }
  const unknown = Math.round(values[UNK_ID] ?? 0);
  return out.join(encoding.tokens === 'words' ? ' ' : '') + (unknown > 0 ? ` (+${unknown} ${UNK_TOKEN})` : '');
}
