import { encodeLabelledText, PAD_ID, PAD_TOKEN, UNK_ID, UNK_TOKEN } from './labelled-text';
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
 *    vocabulary lacks).
 * 4. `features`: `ids`, the first `length` ids, padded with `padId` to `length` (for an Embedding);
 *    `counts`, how often each vocabulary entry occurs in the whole text (`length` is the
 *    vocabulary's size: a bag of words for a Linear model; unknown tokens count at `unkId`).
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
  features: TextEncoding['features'];
  /** Values per sample: the ids' maximum length (padded or cut to it), or the vocabulary's size for counts. */
  length: number;
  lowercase: boolean;
  /** `words`: what one word matches (`WORD_PATTERN`); null for characters. */
  wordPattern: string | null;
  newlines: 'lf';
  padId: number;
  unkId: number;
  /** Index = token id: `<pad>`, `<unk>`, then the training texts' tokens, commonest first. */
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
  return encodeLabelledText(text, tokenizer, tokenizer.length);
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
  if (t.features !== 'ids' && t.features !== 'counts') bad('"features" is ids or counts');
  const vocabulary = t.vocabulary;
  if (!Array.isArray(vocabulary) || vocabulary.length < 2 || !vocabulary.every((v) => typeof v === 'string')) return bad('"vocabulary" is a list of at least 2 tokens');
  if (vocabulary[PAD_ID] !== PAD_TOKEN || vocabulary[UNK_ID] !== UNK_TOKEN || t.padId !== PAD_ID || t.unkId !== UNK_ID) bad(`the vocabulary starts with ${PAD_TOKEN} (padId ${PAD_ID}) and ${UNK_TOKEN} (unkId ${UNK_ID})`);
  const length = t.length;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || (t.features === 'counts' && length !== vocabulary.length)) bad('"length" is the values per sample (the vocabulary\'s size for counts)');
  const words = t.tokens === 'words';
  if (t.lowercase !== words || t.wordPattern !== (words ? WORD_PATTERN : null) || t.newlines !== 'lf') bad('"lowercase", "wordPattern" and "newlines" are not the ones Netwright tokenises with');
  return { ...(t as unknown as Tokenizer), vocabulary: [...(vocabulary as string[])] };
}
