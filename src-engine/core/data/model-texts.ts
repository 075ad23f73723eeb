import { taskFor } from '../../catalog/tasks';
import { targetColumnByName } from './csv';
import { guessTextColumns, TEXT_COLUMN_NAMES } from './text-table';
import { encodeText, type Tokenizer } from './tokenizer';
import { DataError, type Dataset } from './types';

/**
 * One text of a file read for a trained model: the text, its label as the file writes it (none:
 * texts to predict), and where it stands (`line 4, column "sentiment"`; `folder "pos"`) for a
 * message about it.
 */
export interface ModelText {
  text: string;
  label?: string;
  where: string;
}

/** Whether a model reads texts into a classifier's input (a labelled-text set's tokenizer: ids or counts), not a language model's context. */
export function readsTexts(model: { tokenizer?: Tokenizer }): model is { tokenizer: Tokenizer } {
  return model.tokenizer !== undefined && model.tokenizer.features !== 'context';
}

/** The columns a table of texts is read by for a trained model: its text column and, to measure against, its label column. */
export interface ModelTextColumns {
  /** The columns the model was trained on (its dataset's `textColumn`, `labelColumn`): used where the file's header names them. */
  trained?: { text?: unknown; label?: unknown };
  /** The label column the user named (`--target`): the file must have it. */
  label?: string;
  /** Read the labels (evaluate); false: the texts alone (predict), a label column being left out. */
  labels: boolean;
}

/**
 * A table's texts (and labels) for a trained model. The text column: the one the model was trained
 * on where the header names it, else one named like a text (text, review…), else the table's
 * only column, else the one of longest cells (`guessTextColumns`). The label column: `--target`,
 * else the trained one where named, else one named like a label, else the guess.
 *
 * @throws DataError `DATA_TEXT_NO_COLUMN` (a named label column the table lacks, no label column),
 *   `DATA_TEXT_EMPTY` naming the line of an empty text or label.
 */
export function modelTextRows(name: string, header: readonly string[], body: readonly { line: number; cells: string[] }[], o: ModelTextColumns): ModelText[] {
  const named = (v: unknown) => (typeof v === 'string' && header.includes(v) ? header.indexOf(v) : -1);
  if (o.label !== undefined && !header.includes(o.label)) throw new DataError('DATA_TEXT_NO_COLUMN', `${name}: no column "${o.label}" (it has ${header.map((h) => JSON.stringify(h)).join(', ')}).`);
  const lower = header.map((h) => h.trim().toLowerCase());
  const guess = header.length > 1 ? guessTextColumns(header, body) : { text: 0, label: -1 };
  const byName = TEXT_COLUMN_NAMES.map((n) => lower.indexOf(n)).find((c) => c >= 0 && header[c] !== o.label);
  const trainedText = named(o.trained?.text);
  const text = trainedText >= 0 ? trainedText : (byName ?? guess.text);
  let label = -1;
  if (o.labels) {
    const candidates = [o.label === undefined ? -1 : header.indexOf(o.label), named(o.trained?.label), header.indexOf(targetColumnByName(header) ?? '\0'), guess.label];
    label = candidates.find((c) => c >= 0 && c !== text) ?? -1;
    if (label < 0) throw new DataError('DATA_TEXT_NO_COLUMN', `${name}: no label column to measure the model against (the table has ${header.map((h) => JSON.stringify(h)).join(', ')}, text from ${JSON.stringify(header[text])}); add the texts' labels as a column, or name it with --target.`);
  } else if (o.label !== undefined) {
    label = header.indexOf(o.label);
  }
  return body.map((r) => {
    const where = `line ${r.line}`;
    if (r.cells[text].trim() === '') throw new DataError('DATA_TEXT_EMPTY', `${name}: ${where} has an empty text (column ${JSON.stringify(header[text])}); fill it or delete the row.`);
    if (!o.labels) return { text: r.cells[text], where };
    const cell = r.cells[label].trim();
    if (cell === '') throw new DataError('DATA_TEXT_EMPTY', `${name}: ${where} has no label (column ${JSON.stringify(header[label])}); fill it or delete the row.`);
    return { text: r.cells[text], label: cell, where: `${where}, column ${JSON.stringify(header[label])}` };
  });
}

/**
 * Texts as a trained model reads them: each encoded by the model's own tokenizer (`encodeText`:
 * its vocabulary, a word it lacks `<unk>`; never a vocabulary built from these texts), each label
 * the index of the model's class of that name. What `netwright evaluate --data` measures a text
 * model on, a table of texts or a folder of them alike.
 *
 * @throws DataError `DATA_TEXT_UNKNOWN_CLASS` naming where a label the model does not know stands;
 *   `DATA_TOO_SMALL` for no text.
 */
export function modelTextsDataset(name: string, texts: readonly ModelText[], tokenizer: Tokenizer, classNames: readonly string[]): Dataset {
  if (texts.length === 0) throw new DataError('DATA_TOO_SMALL', `${name}: no texts to measure the model on.`);
  const width = tokenizer.length;
  const index = new Map(classNames.map((c, i) => [c, i]));
  const features = new Float32Array(texts.length * width);
  const targets = new Float32Array(texts.length);
  const known = `${classNames.slice(0, 8).join(', ')}${classNames.length > 8 ? `, … (${classNames.length} in all)` : ''}`;
  texts.forEach((t, i) => {
    const c = index.get(t.label ?? '');
    if (c === undefined) throw new DataError('DATA_TEXT_UNKNOWN_CLASS', `${name}: ${t.where}: ${JSON.stringify(t.label ?? '')} is not one of the model's classes (${known}); fix the label, or leave the text out.`);
    features.set(encodeText(t.text, tokenizer), i * width);
    targets[i] = c;
  });
  return {
    name,
    task: taskFor('classes'),
    count: texts.length,
    features,
    featureShape: [width],
    targets,
    targetShape: [],
    numClasses: classNames.length,
    classNames: [...classNames],
    ...(tokenizer.features === 'counts' ? { featureNames: [...tokenizer.vocabulary] } : {}),
    text: { vocabulary: tokenizer.vocabulary, tokens: tokenizer.tokens, features: tokenizer.features === 'counts' ? 'counts' : 'ids' },
    texts: texts.map((t) => t.text),
  };
}
