import type { Dataset, LoadedDataset } from './types';
import { DataError } from './types';
import { taskFor } from '../../catalog/tasks';

/** How a text becomes a character-level language-modelling set. */
export interface TextOptions {
  /** Shown in run names: the set's or the file's name. */
  name: string;
  /** Characters per sample (T): a sample is T characters, its target the T characters one step later. */
  window: number;
  /** Fraction of the text, from its end, held out: half for validation, half for test. */
  heldOut?: number;
  /** A fixed vocabulary (characters outside it are left out of the text); default: the text's own characters. */
  vocabulary?: readonly string[];
}

/**
 * Tab, newline and the printable ASCII characters (97): the fixed vocabulary of the fortunes set,
 * so a model designed for it (examples/tiny-gpt.json: 97 logits) fits whatever fortunes release
 * is installed.
 */
export const ASCII_VOCABULARY: readonly string[] = ['\t', '\n', ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))];

/**
 * A vocabulary entry as one visible glyph, where the app and its files show a character model's
 * classes: a newline ↵, a tab ⇥, and with `space` a space ␣ (a label; in running text a space stays).
 */
export function characterGlyph(name: string, space = false): string {
  return name === '\n' ? '↵' : name === '\t' ? '⇥' : space && name === ' ' ? '␣' : name;
}

/** The most distinct characters a text may have (each is a class the model scores at every step). */
export const MAX_VOCABULARY = 512;

/**
 * The sorted distinct characters of `text` (code points, so an emoji is one character): the
 * vocabulary, index = token id. Saved with the model as its class names, so a prompt is encoded
 * and a sample decoded with the same table.
 */
export function vocabularyOf(chars: readonly string[]): string[] {
  return [...new Set(chars)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * How many distinct characters of `text` a model reads (those in `vocabulary`, when it is fixed):
 * what a user's text holds, as against the vocabulary's size (a fixed one, as ASCII's 97, is larger).
 */
export function distinctCharacters(text: string, vocabulary?: readonly string[]): number {
  const seen = new Set(text.replace(/\r\n?/g, '\n'));
  if (!vocabulary) return seen.size;
  return vocabulary.filter((c) => seen.has(c)).length;
}

/** `chars` as token ids of `vocabulary`; a character outside it throws DATA_BAD_OPTION, naming it. */
export function encodeText(chars: readonly string[], vocabulary: readonly string[]): Float32Array {
  const id = new Map(vocabulary.map((c, i) => [c, i]));
  const out = new Float32Array(chars.length);
  for (let i = 0; i < chars.length; i++) {
    const k = id.get(chars[i]);
    if (k === undefined) throw new DataError('DATA_BAD_OPTION', `The character ${JSON.stringify(chars[i])} is not in the model's vocabulary (${vocabulary.length} characters it was trained on).`);
    out[i] = k;
  }
  return out;
}

/** Non-overlapping windows of `ids[from, to)`: features `[T]` and the next characters `[T]`. */
function windows(ids: Float32Array, from: number, to: number, t: number, name: string, vocabulary: string[]): Dataset {
  const count = Math.max(0, Math.floor((to - from - 1) / t));
  const features = new Float32Array(count * t);
  const targets = new Float32Array(count * t);
  for (let s = 0; s < count; s++) {
    const at = from + s * t;
    features.set(ids.subarray(at, at + t), s * t);
    targets.set(ids.subarray(at + 1, at + t + 1), s * t);
  }
  return { name, task: taskFor('classes'), count, features, featureShape: [t], targets, targetShape: [t], numClasses: vocabulary.length, classNames: vocabulary };
}

/**
 * A character-level language-modelling set from a text: every sample a window of `window`
 * characters as token ids (an Input of shape `[T]`, for an Embedding), its target the same window
 * shifted by one (`[T]` next-character ids, for TokenCrossEntropyLoss). The text's last
 * `heldOut` (default 10 %) is held out in two contiguous blocks, validation then test, so no
 * held-out window overlaps a training one; the training windows do not overlap either.
 *
 * @throws DataError DATA_TOO_SMALL when a split would get no window, DATA_BAD_OPTION for a window
 *   outside 2…4096 or more than MAX_VOCABULARY distinct characters.
 * @example
 * ```ts
 * const loaded = textDataset('hello world…', { name: 'notes', window: 64 });
 * loaded.train.featureShape; // [64]; loaded.train.classNames: the vocabulary
 * ```
 */
export function textDataset(text: string, options: TextOptions): LoadedDataset {
  const t = options.window;
  if (!Number.isInteger(t) || t < 2 || t > 4096) throw new DataError('DATA_BAD_OPTION', `${options.name}: options.window must be a whole number of characters from 2 to 4096 (got ${t}).`);
  let chars = Array.from(text.replace(/\r\n?/g, '\n'));
  if (options.vocabulary) {
    const known = new Set(options.vocabulary);
    chars = chars.filter((c) => known.has(c));
  }
  const vocabulary = options.vocabulary ? [...options.vocabulary] : vocabularyOf(chars);
  if (vocabulary.length > MAX_VOCABULARY) {
    throw new DataError('DATA_BAD_OPTION', `${options.name}: the text has ${vocabulary.length} distinct characters; a character-level model takes at most ${MAX_VOCABULARY}. Use a text in one script, or strip rare symbols.`);
  }
  const ids = encodeText(chars, vocabulary);
  const held = options.heldOut ?? 0.1;
  const n = ids.length;
  const valStart = Math.floor(n * (1 - held));
  const testStart = Math.floor(n * (1 - held / 2));
  const loaded: LoadedDataset = {
    train: windows(ids, 0, valStart, t, `${options.name} (train)`, vocabulary),
    val: windows(ids, valStart, testStart, t, `${options.name} (validation)`, vocabulary),
    test: windows(ids, testStart, n, t, `${options.name} (test)`, vocabulary),
  };
  for (const ds of [loaded.train, loaded.val!, loaded.test!]) {
    if (ds.count === 0) {
      throw new DataError('DATA_TOO_SMALL', `${options.name}: ${n} characters give no window of ${t + 1} for ${ds.name}; use a longer text (at least ${Math.ceil((2 * (t + 1)) / held)} characters) or a shorter window.`);
    }
  }
  return loaded;
}

/** A character and the backspace after it: a teletype overstrike, whose next character is what shows. */
// eslint-disable-next-line no-control-regex -- the backspace (U+0008) is what is matched
const OVERSTRIKE = /[^\n]\u0008/g;

/**
 * The text of Debian's fortune files (package fortunes; one fortune after another, the `%` lines between them
 * made blank lines, teletype overstrikes `x BACKSPACE y` read as `y`): what the fortunes set trains on.
 * `files` are the files' contents in name order.
 */
export function fortunesText(files: readonly string[]): string {
  return files.map((f) => f.replace(/\r\n?/g, '\n').replace(/^%\n/gm, '\n').replace(OVERSTRIKE, '')).join('\n');
}

/**
 * The fortunes of one Debian fortune file, each as its text (the `%` lines between them dropped,
 * overstrikes read as in `fortunesText`, blank ones left out): the samples of fortunes by topic.
 */
export function fortuneEntries(file: string): string[] {
  return file
    .replace(/\r\n?/g, '\n')
    .replace(OVERSTRIKE, '')
    .split(/^%\n/m)
    .map((f) => f.trim())
    .filter((f) => f !== '' && f !== '%');
}
