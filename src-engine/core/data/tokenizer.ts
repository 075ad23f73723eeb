import type { GraphIR } from '../../base/ir/types';
import { isFeatureInput } from '../../base/ir/prediction';
import { encodeLabelledText, PAD_ID, PAD_TOKEN, tokenize, UNK_ID, UNK_TOKEN } from './labelled-text';
import { writesText } from './text-sets';
import { DataError, type TextEncoding } from './types';

/** The `format` of a tokenizer description (`Tokenizer`). */
export const TOKENIZER_FORMAT = 'netwright.tokenizer';
export const TOKENIZER_VERSION = 1;
/**
 * What a word is with `tokens: 'words'` (`tokenize`, labelled-text.ts): a run of Unicode letters,
 * digits and apostrophes, as a JavaScript regular expression with the `u` flag. Python's
 * `(?:[^\W_]|')+` matches the same runs (`str.isalnum()` is the letters and numbers).
 */
export const WORD_PATTERN = "[\\p{L}\\p{N}']+";

/**
 * How a text model reads a text, as data that leaves with the model (the JSON model's
 * `tokenizer`, ONNX metadata `netwright.tokenizer`, the PyTorch project's `tokenizer.json`;
 * docs/export.md "Text models"), so a reader outside Netwright turns new text into the input the
 * model takes exactly as Netwright does (`encodeText`):
 *
 * 1. CR LF and a lone CR read as LF (`newlines: 'lf'`).
 * 2. `tokens`: `chars`, each Unicode code point; `words`, the text lower-cased (`lowercase`), then
 *    each run matching `wordPattern`.
 * 3. Each token is its index in `vocabulary` (`<pad>` is `padId` 0, `<unk>` `unkId` 1: a token the
 *    vocabulary lacks). A language model's vocabulary is its output classes, with no `<pad>` or
 *    `<unk>`: `unkId` is null and a token it lacks is left out.
 * 4. `features`: `ids`, the first `length` ids, padded with `padId` to `length` (for an Embedding);
 *    `counts`, how often each vocabulary entry occurs in the whole text (`length` is the
 *    vocabulary's size: a bag of words for a Linear model; unknown tokens count at `unkId`);
 *    `context`, a language model's context window (`contextTokenizer`): the last `length` ids from
 *    the window's start, the positions after them `padId`; the model's scores at the last filled
 *    position are the next token's.
 *
 * @example
 * ```ts
 * const tok = tokenizerOf(train.text!, train.featureShape[0]);
 * encodeText('A fine day', tok); // Float32Array of tok.length values, as the training texts were encoded
 * ```
 */
export interface Tokenizer {
  format: typeof TOKENIZER_FORMAT;
  version: number;
  tokens: TextEncoding['tokens'];
  features: TextEncoding['features'] | 'context';
  /** Values per sample: the ids' maximum length (padded or cut to it), the vocabulary's size for counts, the context's length. */
  length: number;
  lowercase: boolean;
  /** `words`: what one word matches (`WORD_PATTERN`); null for characters. */
  wordPattern: string | null;
  newlines: 'lf';
  padId: number;
  /** The id of a token the vocabulary lacks; null: such a token is left out (a language model). */
  unkId: number | null;
  /** Index = token id: `<pad>`, `<unk>`, then the training texts' tokens, commonest first (a language model: its classes). */
  vocabulary: string[];
}

/** The tokenizer of a labelled-text set encoded as `encoding`, `width` values a sample (the features' shape `[width]`). */
export function tokenizerOf(encoding: TextEncoding, width: number): Tokenizer {
  return {
    format: TOKENIZER_FORMAT,
    version: TOKENIZER_VERSION,
    tokens: encoding.tokens,
    features: encoding.features,
    length: width,
    lowercase: encoding.tokens === 'words',
    wordPattern: encoding.tokens === 'words' ? WORD_PATTERN : null,
    newlines: 'lf',
    padId: PAD_ID,
    unkId: UNK_ID,
    vocabulary: [...encoding.vocabulary],
  };
}

/**
 * A text as the model's input: tokenised and encoded as the training texts were (`Tokenizer`).
 * The one encoder behind the Playground's typed text, "Why…?" on it and `netwright predict`.
 */
export function encodeText(text: string, tokenizer: Tokenizer): Float32Array {
  if (tokenizer.features !== 'context') return encodeLabelledText(text, { ...tokenizer, features: tokenizer.features }, tokenizer.length);
  const row = new Float32Array(tokenizer.length);
  fillContext(tokenIds(text, tokenizer), tokenizer, row);
  return row;
}

/**
 * A language model's tokenizer (`features: 'context'`): characters, the model's classes as the
 * vocabulary (a character it lacks is left out of a prompt, as the training text left it out),
 * `window` ids of context, the positions after a shorter text filled with id 0 (a causal model's
 * earlier positions never see them).
 */
export function contextTokenizer(vocabulary: readonly string[], window: number): Tokenizer {
  return { format: TOKENIZER_FORMAT, version: TOKENIZER_VERSION, tokens: 'chars', features: 'context', length: window, lowercase: false, wordPattern: null, newlines: 'lf', padId: 0, unkId: null, vocabulary: [...vocabulary] };
}

/**
 * The tokenizer of a language model (a design on a text set declared `text: true`, whose feature
 * Input is `[T]` token ids and whose classes are its vocabulary), made from its classes; undefined
 * for any other design. What leaves with such a model (JSON, ONNX, PyTorch) when its run kept none.
 */
export function languageTokenizer(graph: Pick<GraphIR, 'nodes' | 'training'>, classNames: readonly string[] | undefined): Tokenizer | undefined {
  const shape = graph.nodes.find(isFeatureInput)?.attrs.shape;
  if (!writesText(graph) || !classNames || classNames.length < 2 || !Array.isArray(shape) || shape.length !== 1 || typeof shape[0] !== 'number') return undefined;
  return contextTokenizer(classNames, shape[0]);
}

const idsOf = new WeakMap<readonly string[], Map<string, number>>();

/** A text's token ids: its tokens (`tokenize`) looked up in the vocabulary, a token it lacks read as `unkId` or (null) left out. */
export function tokenIds(text: string, tokenizer: Tokenizer): number[] {
  let id = idsOf.get(tokenizer.vocabulary);
  if (!id) {
    id = new Map(tokenizer.vocabulary.map((t, i) => [t, i]));
    idsOf.set(tokenizer.vocabulary, id);
  }
  const out: number[] = [];
  for (const t of tokenize(text, tokenizer.tokens)) {
    const k = id.get(t) ?? tokenizer.unkId;
    if (k !== null) out.push(k);
  }
  return out;
}

/**
 * A language model's context from its token ids (`features: 'context'`): the last `length` ids at
 * the start of `out`, the rest `padId`. Returns how many positions hold ids (the model's next
 * token is scored at the last of them; none: at the first).
 */
export function fillContext(ids: readonly number[], tokenizer: Tokenizer, out: Float32Array): number {
  const window = ids.slice(-tokenizer.length);
  out.fill(tokenizer.padId);
  out.set(window);
  return window.length;
}

/** Token ids as text: characters one after another, words with a space between. */
export function decodeIds(ids: readonly number[], tokenizer: Tokenizer): string {
  return ids.map((i) => tokenizer.vocabulary[i]).join(tokenizer.tokens === 'chars' ? '' : ' ');
}

/**
 * A tokenizer description read back (a model file, ONNX metadata): checked field by field against
 * what `encodeText` does, so a description it would not follow is refused rather than misread.
 *
 * @throws DataError `DATA_BAD_OPTION` naming the field.
 */
export function readTokenizer(json: unknown, where = 'the tokenizer'): Tokenizer {
  const bad = (what: string): never => {
    throw new DataError('DATA_BAD_OPTION', `${where} is damaged: ${what}.`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('it is not an object');
  const t = json as Record<string, unknown>;
  if (t.format !== TOKENIZER_FORMAT) bad(`"format" is not "${TOKENIZER_FORMAT}"`);
  if (typeof t.version !== 'number' || t.version > TOKENIZER_VERSION) bad(`"version" ${String(t.version)} is not one this Netwright reads (${TOKENIZER_VERSION})`);
  if (t.tokens !== 'chars' && t.tokens !== 'words') bad('"tokens" is chars or words');
  if (t.features !== 'ids' && t.features !== 'counts' && t.features !== 'context') bad('"features" is ids, counts or context');
  const vocabulary = t.vocabulary;
  if (!Array.isArray(vocabulary) || vocabulary.length < 2 || !vocabulary.every((v) => typeof v === 'string')) return bad('"vocabulary" is a list of at least 2 tokens');
  if (t.features === 'context') {
    // A language model's vocabulary is its classes: no <pad> or <unk>; an unknown token is left out.
    if (new Set(vocabulary).size !== vocabulary.length) bad('"vocabulary" lists a token twice');
    if (t.unkId !== null || !Number.isInteger(t.padId) || (t.padId as number) < 0 || (t.padId as number) >= vocabulary.length) bad('a context\'s "unkId" is null and its "padId" one of the vocabulary\'s ids');
  } else if (vocabulary[PAD_ID] !== PAD_TOKEN || vocabulary[UNK_ID] !== UNK_TOKEN || t.padId !== PAD_ID || t.unkId !== UNK_ID) bad(`the vocabulary starts with ${PAD_TOKEN} (padId ${PAD_ID}) and ${UNK_TOKEN} (unkId ${UNK_ID})`);
  const length = t.length;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || (t.features === 'counts' && length !== vocabulary.length)) bad('"length" is the values per sample (the vocabulary\'s size for counts)');
  const words = t.tokens === 'words';
  if (t.lowercase !== words || t.wordPattern !== (words ? WORD_PATTERN : null) || t.newlines !== 'lf') bad('"lowercase", "wordPattern" and "newlines" are not the ones Netwright tokenises with');
  return { ...(t as unknown as Tokenizer), vocabulary: [...(vocabulary as string[])] };
}
