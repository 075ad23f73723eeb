/**
 * A trained model's predictions from the command line (docs/trainer.md "Predicting"), as the
 * Playground's: for each input its class and the class probabilities (a classifier), or its output
 * values.
 *
 *   npm run predict -- <project | model.json | model.onnx | run folder | run id> INPUT… [--out preds.csv [--force]] [--target COLUMN] [--text TEXT]… [--which last|best] [--runs DIR] [--json]
 *
 * INPUT: an image (PNG, JPEG, WebP) or a folder of them (its sub-folders too: an ImageFolder's
 * class folders), resized to the model's Input as training reads them; a CSV/TSV table, one sample
 * a row (its target column, named by `--target`, by the model's training settings or like one,
 * dropped); a NumPy `.npy` of samples (or an `.npz`'s `x`). Each sample runs through the same
 * path as the app's Playground (`LoadedModel.predict`: the model's normalisation, eval mode), so
 * the figures are those the app shows. A text (`.txt` or `--text`) is encoded by the tokenizer the
 * model keeps (`encodeText`, as the Playground encodes a typed one); a model without one (not
 * trained on labelled texts, or exported before models kept it) refuses it with `E_PREDICT_TEXT`.
 * A language model (the tiny GPT: `continuesText`) continues each text instead, as the Playground's
 * "Write" does (`continueText`, same tokenizer, backend and sampling): `--length` tokens (240),
 * the likeliest each time unless `--temperature` is above 0, drawn with `--seed` (1).
 *
 * Prints a table (input, class, probability, the top classes) or, with `--out`, writes a CSV
 * (input, class, probability, one column per class; or input and values), never over an existing
 * file without `--force` (as export). `--json`: one `prediction` line per input.
 * Exit codes: 0 predicted, 1 the write failed, 2 bad input (no such model, inputs it cannot read).
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { thrownCode, type ErrorCode, type ThrownCode } from '../base/errors';
import { DATA_LIMITS, DataError, imageToSample, mib, parseNpy, targetColumnByName } from '../core/data';
import { rectangularRows } from '../core/data/csv';
import { columnsIn, encodeTableRow, namesAnyColumn, tableWidth } from '../core/data/table-encoding';
import { modelTextRows, readsTexts } from '../core/data/model-texts';
import { importOnnx } from '../core/import/onnx';
import type { TrainedModel } from '../core/export/model';
import { continueText, continuesText, TextSampleError } from '../core/export/sample-text';
import type { CheckedGraph } from '../core/analysis/checked';
import type { ResultOf } from '../protocol';
import { LoadedModel } from '../app/session/loaded-model';
import { createBestBackend, enableRelaxedSimd } from './cpu';
import { modelFromSource } from './export-cli';
import { checkExportTarget, writeExport } from './export-writer';
import { IMAGE_DECODERS } from './image-decoders';
import { decodeImageFile, IMAGE_EXT, readImageFile } from './image-folder';
import { decodeBudget, decodeBytes, DEFAULT_DATA_BUDGET } from './image-stream';
import { readZip } from './npz';
import { readNamedFile } from './cli-files';
import { wholeNumberFlag } from './train-args';
import { commandLine, decimalNumber, parseCommandLine, runScript, startCli, startedAs } from './cli-script';

/** `netwright predict --help`: the usage, naming the command as it was invoked. */
export function usage(): string {
  return [
    `usage: ${commandLine('predict', '<project | model.json | model.onnx | run folder | run id> INPUT… [--out preds.csv [--force]] [--target COLUMN] [--text TEXT]… [--length N] [--temperature T] [--seed S] [--which last|best] [--runs DIR] [--threads N] [--json]')}`,
    'INPUT: images (PNG, JPEG, WebP) or folders of them, a CSV/TSV table (a sample a row; a model trained on a table reads its columns by name), a NumPy .npy of samples or an .npz (x), a text (.txt) for a text model, which reads a CSV/TSV of texts (its text column) or a folder of .txt files a text a row or file, through its own tokenizer.',
    'Prints each input\'s class and probabilities (a classifier) or output values; --out writes them as CSV. docs/trainer.md.',
    `A language model (the tiny GPT) continues each text (a .txt prompt, or --text) as the Playground writes: it prints the continuation, --length tokens (default ${CONTINUE_DEFAULTS.length}), the likeliest each time (greedy) unless --temperature is above 0 (0 to 10; 1 samples the model's own distribution), drawn with --seed (default ${CONTINUE_DEFAULTS.seed}).`,
  ].join('\n');
}

/** A language model's continuation unless the flags say otherwise: the Playground's length, greedy, its first seed. */
const CONTINUE_DEFAULTS = { length: 240, temperature: 0, seed: 1 };

/** How many classes the printed table lists per input beside the predicted one. */
const PRINTED_TOP = 3;

/**
 * The most samples one run answers (a table's rows, an array's entries, images): each prediction
 * is held until the table is written, about 1 KB apiece (a 3.9 M-row CSV took 3.8 GiB), so this
 * many stay within the engine's data budget (DEFAULT_DATA_BUDGET, 1 GiB). A table's rows are
 * counted in its bytes before it is parsed, an array's from its shape.
 */
export const MAX_PREDICT_SAMPLES = DATA_LIMITS.maxSamples;

/**
 * What one image may take to decode: what a streamed folder's decoding leaves for it in training
 * (`decodeBudget` of the default data budget), checked from its header before anything is
 * decoded (a 130 KB PNG of 1 × 67,000,000 pixels took 53 s and 2.8 GiB).
 */
const MAX_DECODE_BYTES = decodeBudget(DEFAULT_DATA_BUDGET);

/** One sample to predict: what the output calls it, and its values (dataset units) or a text. */
type Sample = { input: string; values: Float32Array } | { input: string; typed: string };

/** A prediction as the model answers it (`model.predict`), named by its input; a segmenter's masks are not tabled. */
type Prediction = { input: string } & Extract<ResultOf<'model.predict'>, { kind: 'probabilities' | 'output' }>;

class PredictRefusal extends Error {
  constructor(
    readonly code: Parameters<typeof thrownCode>[1],
    message: string,
  ) {
    super(message);
  }
}

/** Run the CLI; returns the exit code. `out`/`err` default to the process streams (tests pass their own). */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const cli = startCli(argv, parse, usage(), out, err);
  if (typeof cli === 'number') return cli;
  const { args, fail } = cli;
  let source: { model: TrainedModel; checked?: CheckedGraph };
  try {
    source = modelOf(args.source, args.which, args.runs);
  } catch (e) {
    return fail(thrownCode(e, 'CLI_BAD_JSON'), (e as Error).message, 2);
  }
  if (args.out !== undefined) {
    try {
      checkExportTarget(args.out, 'file', args.force);
    } catch (e) {
      return fail(thrownCode(e, 'E_EXPORT_EXISTS'), (e as Error).message, 2);
    }
  }
  if (continuesText(source.model)) return continueInputs(args, source.model, out, fail);
  if (args.sampling.given) return fail('CLI_USAGE', `--length, --temperature and --seed are for a language model; ${args.source} is not one.`, 2);
  const backend = await createBestBackend(args.threads !== undefined ? { threads: args.threads } : {});
  const predictions: Prediction[] = [];
  let classNames: readonly string[] = [];
  try {
    const model = new LoadedModel('cli', source.model, backend, source.checked);
    for (const sample of samplesOf(args.inputs, args.texts, model.featureShape, args.target, source.model)) {
      if (predictions.length === MAX_PREDICT_SAMPLES) throw tooManySamples('the inputs together');
      const p = 'typed' in sample ? model.predict([], false, sample.typed) : model.predict(Array.from(sample.values));
      if (p.kind !== 'probabilities' && p.kind !== 'output') throw new PredictRefusal('E_PREDICT_UNSUPPORTED', `${args.source} is a segmenter: its answer is a class per pixel, which predict does not write as a table yet; use the app's Playground.`);
      if (p.kind === 'probabilities') classNames = p.classNames;
      const named: Prediction = { input: sample.input, ...p };
      predictions.push(named);
      if (args.json) out(JSON.stringify({ type: 'prediction', ...named }) + '\n');
    }
  } catch (e) {
    const code = e instanceof PredictRefusal ? e.code : e instanceof DataError ? e.code : thrownCode(e, 'E_PREDICT_INPUT');
    const message = code === 'E_PREDICT_TEXT' ? `${args.source}: the model keeps no tokenizer (it was not trained on labelled texts, or was exported before models kept theirs), so predict cannot read a text with it; export it again from its run.` : (e as Error).message;
    return fail(code, message, 2);
  } finally {
    backend.dispose?.();
  }
  if (!predictions.length) return fail('E_PREDICT_INPUT', 'no inputs: name images, folders of images, a table (.csv, .tsv), arrays (.npy, .npz) or --text.', 2);
  const table = predictionTable(predictions, classNames, source.model.table?.target);
  if (args.out !== undefined) {
    try {
      const written = writeExport({ kind: 'file', files: [{ path: 'predictions.csv', data: new TextEncoder().encode(toCsv(table)) }] }, args.out, { force: args.force });
      if (!args.json) out(`wrote ${predictions.length} prediction${predictions.length === 1 ? '' : 's'} to ${written}\n`);
    } catch (e) {
      const code = thrownCode(e, 'E_EXPORT_WRITE');
      return fail(code, (e as Error).message, code === 'E_EXPORT_EXISTS' ? 2 : 1);
    }
  } else if (!args.json) {
    printPredictions(predictions, out);
  }
  return 0;
}

type Args = ReturnType<typeof parse>;

/**
 * A language model's answers: each text (a `.txt` file, whole and as it is, or `--text`)
 * continued as the Playground's "Write" continues a prompt (`continueText` on the reference
 * backend, the Playground's), printed (the continuation; `==> input <==` above each when there are
 * several), as JSON lines (`continuation`: input, prompt as the model read it, continuation) or
 * as a CSV (`--out`: input, prompt, continuation).
 */
function continueInputs(args: Args, model: TrainedModel, out: (s: string) => void, fail: (code: ErrorCode | ThrownCode, message: string, exit: number) => number): number {
  const rows: { input: string; prompt: string; continuation: string }[] = [];
  try {
    const prompts = [...args.inputs.map((path) => {
      if (extname(path).toLowerCase() !== '.txt') throw new PredictRefusal('E_PREDICT_INPUT', `${path}: a language model continues texts; name .txt files (a prompt each) or give --text.`);
      return { input: path, text: readNamedFile(path, DATA_LIMITS.maxTextBytes).toString('utf8') };
    }), ...args.texts.map((text, i) => ({ input: `--text ${i + 1}`, text }))];
    const { length, temperature, seed } = args.sampling;
    for (const p of prompts) {
      const row = { input: p.input, ...continueText(model, { prompt: p.text, length, temperature, seed }) };
      rows.push(row);
      if (args.json) out(JSON.stringify({ type: 'continuation', ...row }) + '\n');
    }
  } catch (e) {
    const code = e instanceof PredictRefusal || e instanceof TextSampleError || e instanceof DataError ? e.code : thrownCode(e, 'E_PREDICT_INPUT');
    return fail(code, (e as Error).message, 2);
  }
  if (args.out !== undefined) {
    try {
      const table = [['input', 'prompt', 'continuation'], ...rows.map((r) => [r.input, r.prompt, r.continuation])];
      const written = writeExport({ kind: 'file', files: [{ path: 'continuations.csv', data: new TextEncoder().encode(toCsv(table)) }] }, args.out, { force: args.force });
      if (!args.json) out(`wrote ${rows.length} continuation${rows.length === 1 ? '' : 's'} to ${written}\n`);
    } catch (e) {
      const code = thrownCode(e, 'E_EXPORT_WRITE');
      return fail(code, (e as Error).message, code === 'E_EXPORT_EXISTS' ? 2 : 1);
    }
  } else if (!args.json) {
    for (const r of rows) out(`${rows.length > 1 ? `==> ${r.input} <==\n` : ''}${r.continuation}\n`);
  }
  return 0;
}

/** The model a source names: a project, model file or run (as evaluate and export take them), or an ONNX file imported on the fly. */
function modelOf(source: string, which: 'last' | 'best', runs: string | undefined): { model: TrainedModel; checked?: CheckedGraph } {
  if (/\.onnx$/i.test(source)) {
    const imported = importOnnx(readNamedFile(source, 2 * 1024 ** 3 - 1));
    return { model: imported.model, checked: imported.checked };
  }
  return { model: modelFromSource(source, which, runs) };
}

/**
 * The samples the inputs hold, one at a time (a folder is never read whole): images decoded and
 * resized to `shape` as training reads them (`readImageFile`, `imageToSample`), a table's rows, an
 * array's first-axis entries, texts.
 */
function* samplesOf(inputs: readonly string[], texts: readonly string[], shape: readonly number[], target: string | undefined, model: TrainedModel): Generator<Sample> {
  const width = shape.reduce((a, b) => a * b, 1);
  for (const path of inputs) {
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new PredictRefusal('CLI_NO_FILE', `${path}: no such file or folder.`);
    }
    if (st.isDirectory() && readsTexts(model)) {
      // A text model's folder: its .txt files (a folder per class, as a text folder holds them), a text each.
      let any = false;
      for (const file of filesUnder(path, TEXT_EXT)) {
        any = true;
        yield { input: file, typed: readNamedFile(file, DATA_LIMITS.maxTextBytes).toString('utf8') };
      }
      if (!any) throw new PredictRefusal('E_PREDICT_INPUT', `${path}: no texts (.txt) in the folder or its sub-folders.`);
      continue;
    }
    if (st.isDirectory()) {
      let any = false;
      for (const file of filesUnder(path, IMAGE_EXT)) {
        any = true;
        yield { input: file, values: imageSample(file, shape) };
      }
      if (!any) throw new PredictRefusal('E_PREDICT_INPUT', `${path}: no images (PNG, JPEG, WebP) in the folder or its sub-folders.`);
      continue;
    }
    const ext = extname(path).toLowerCase();
    if (IMAGE_EXT.has(ext)) yield { input: path, values: imageSample(path, shape) };
    else if ((ext === '.csv' || ext === '.tsv') && readsTexts(model)) yield* textTableSamples(path, target, model);
    else if (ext === '.csv' || ext === '.tsv') yield* tableSamples(path, width, target, model);
    else if (ext === '.npy' || ext === '.npz') yield* arraySamples(path, shape);
    else if (ext === '.txt') yield { input: path, typed: readNamedFile(path, DATA_LIMITS.maxTextBytes).toString('utf8') };
    else throw new PredictRefusal('E_PREDICT_INPUT', `${path}: not an image (.png, .jpg, .webp), a table (.csv, .tsv), arrays (.npy, .npz) or a text (.txt).`);
  }
  for (const [i, typed] of texts.entries()) yield { input: `--text ${i + 1}`, typed };
}

/** What a text model's folder holds: texts. */
const TEXT_EXT: ReadonlySet<string> = new Set(['.txt']);

/** The files under `dir` whose extension is one of `exts` (images, texts), its sub-folders included, in sorted order. */
function* filesUnder(dir: string, exts: ReadonlySet<string>): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* filesUnder(p, exts);
    else if (e.isFile() && exts.has(extname(e.name).toLowerCase())) yield p;
  }
}

/**
 * A table of texts for a text model: each row's text (its text column: the one the model was
 * trained on, or named like one; a label column, `--target` among them, not read), encoded by the
 * model's own tokenizer as the Playground encodes a typed text (`model.predict`'s text).
 */
function* textTableSamples(path: string, target: string | undefined, model: TrainedModel): Generator<Sample> {
  const bytes = readNamedFile(path, DATA_LIMITS.maxCsvBytes);
  if (tableRows(bytes, MAX_PREDICT_SAMPLES + 1) > MAX_PREDICT_SAMPLES + 1) throw tooManySamples(path, 'rows');
  const { header, body } = rectangularRows(bytes.toString('utf8'), path, /\.tsv$/i.test(path) ? { delimiter: '\t' } : {});
  const o = model.graph.training?.dataset.options ?? {};
  let rows;
  try {
    rows = modelTextRows(path, header, body, { trained: { text: o.textColumn, label: o.labelColumn }, labels: false, ...(target !== undefined ? { label: target } : {}) });
  } catch (e) {
    if (e instanceof DataError) throw new PredictRefusal('E_PREDICT_INPUT', e.message);
    throw e;
  }
  for (const [i, r] of rows.entries()) yield { input: `${path}:${body[i].line}`, typed: r.text };
}

/** One image as a `[C, H, W]` sample of the model's shape, decoded as the image-folder loader decodes (its values in [0, 1]). */
function imageSample(file: string, shape: readonly number[]): Float32Array {
  if (shape.length !== 3 || ![1, 3, 4].includes(shape[0])) throw new PredictRefusal('E_PREDICT_SHAPE', `${file}: the model takes samples of shape [${shape.join(', ')}], not images ([C, H, W] with 1, 3 or 4 channels).`);
  const real = realpathSync(file);
  const read = readImageFile({ root: dirname(real), file: real }, undefined, relative(process.cwd(), file) || file);
  if (typeof read === 'string') throw new PredictRefusal('E_PREDICT_INPUT', `${file}: ${read}.`);
  const { header } = read;
  if (decodeBytes(header) > MAX_DECODE_BYTES) {
    throw new DataError('DATA_TOO_LARGE', `${file}: a ${header.width} × ${header.height} ${header.format.toUpperCase()} takes about ${mib(decodeBytes(header))} to decode, over the ${mib(MAX_DECODE_BYTES)} Netwright decodes one image in (as training does; refused from its header, nothing decoded). Resize it first.`);
  }
  const decoded = decodeImageFile(read, IMAGE_DECODERS);
  if (typeof decoded === 'string') throw new PredictRefusal('E_PREDICT_INPUT', `${file}: ${decoded}.`);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  imageToSample(decoded.image, shape, out, 0);
  return out;
}

/**
 * A table's rows as samples of `width` numbers. A model that keeps its table encoding (trained
 * here on a table: `TrainedModel.table`) reads each row's columns by name as training read them,
 * text columns and gaps included (`encodeTableRow`); other columns, the target among them, are
 * not read. Otherwise the table's numbers in order: the columns the model was trained on, its
 * target dropped (`--target`, the training settings' target column, or a column named like one,
 * when the table has one column more than the model takes).
 */
function* tableSamples(path: string, width: number, target: string | undefined, model: TrainedModel): Generator<Sample> {
  const bytes = readNamedFile(path, DATA_LIMITS.maxCsvBytes);
  if (tableRows(bytes, MAX_PREDICT_SAMPLES + 1) > MAX_PREDICT_SAMPLES + 1) throw tooManySamples(path, 'rows');
  const text = bytes.toString('utf8');
  const { header, body } = rectangularRows(text, path, /\.tsv$/i.test(path) ? { delimiter: '\t' } : {});
  if (model.table && tableWidth(model.table) === width && namesAnyColumn(header, model.table)) {
    const table = model.table;
    // The table's problems (a missing column, an unseen category, a gap) are the input's.
    const refused = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        if (e instanceof DataError) throw new PredictRefusal('E_PREDICT_INPUT', e.message);
        throw e;
      }
    };
    const columns = refused(() => columnsIn(header, table, path));
    for (const row of body) {
      const values = new Float32Array(width);
      refused(() => encodeTableRow(table, (k) => row.cells[columns[k]], values, 0, `${path}: line ${row.line}`));
      yield { input: `${path}:${row.line}`, values };
    }
    return;
  }
  const trained = model.graph.training?.dataset.options?.targetColumn;
  const named = target ?? (typeof trained === 'string' && header.includes(trained) ? trained : header.length === width + 1 ? targetColumnByName(header) : undefined);
  if (target !== undefined && !header.includes(target)) throw new PredictRefusal('E_PREDICT_INPUT', `${path}: no column "${target}" (it has ${header.join(', ')}).`);
  const columns = header.map((_, i) => i).filter((i) => header[i] !== named);
  if (columns.length !== width) throw new PredictRefusal('E_PREDICT_SHAPE', `${path}: ${columns.length} feature column${columns.length === 1 ? '' : 's'}${named !== undefined ? ` (without "${named}")` : ''}; the model takes ${width} values per sample. Name the target column to leave out with --target.`);
  for (const row of body) {
    const values = new Float32Array(width);
    columns.forEach((c, j) => {
      const v = Number(row.cells[c]);
      if (row.cells[c].trim() === '' || !Number.isFinite(v)) throw new PredictRefusal('E_PREDICT_INPUT', `${path}: line ${row.line}, column "${header[c]}" is not a number; predict reads tables of numbers.`);
      values[j] = v;
    });
    yield { input: `${path}:${row.line}`, values };
  }
}

/** An `.npy` of samples (`[N, ...shape]`, or one sample of `shape`), or an `.npz`'s `x`, row by row. */
function* arraySamples(path: string, shape: readonly number[]): Generator<Sample> {
  const bytes = readNamedFile(path, DATA_LIMITS.maxArrayBytes);
  let array;
  if (/\.npz$/i.test(path)) {
    const x = readZip(bytes, path).get('x.npy');
    if (!x) throw new PredictRefusal('E_PREDICT_INPUT', `${path}: the archive holds no x (the samples).`);
    array = parseNpy(x, `${path} (x)`);
  } else {
    array = parseNpy(bytes, path);
  }
  const width = shape.reduce((a, b) => a * b, 1);
  const one = array.shape.length === shape.length && array.data.length === width;
  const count = one ? 1 : array.shape[0];
  if (count > MAX_PREDICT_SAMPLES) throw tooManySamples(path, 'entries');
  if (!one && (array.shape.length === 0 || array.data.length !== count * width)) throw new PredictRefusal('E_PREDICT_SHAPE', `${path}: an array of shape [${array.shape.join(', ')}]; the model takes samples of shape [${shape.join(', ')}] (${width} values), as [N, ${shape.join(', ')}] or [N, ${width}].`);
  for (let i = 0; i < count; i++) yield { input: one ? path : `${path}[${i}]`, values: array.data.subarray(i * width, (i + 1) * width) };
}

/** More than MAX_PREDICT_SAMPLES samples in `what` (DATA_TOO_LARGE, naming the limit). */
function tooManySamples(what: string, unit = 'samples'): DataError {
  const limit = MAX_PREDICT_SAMPLES.toLocaleString('en-US');
  return new DataError('DATA_TOO_LARGE', `${what}: more than ${limit} ${unit}; predict answers up to ${limit} samples a run (each is held until the table is written). Split the input, or predict its parts in turn.`);
}

/**
 * The non-blank lines of CSV/TSV bytes outside quoted fields (the rows parseCsvRows would give,
 * header included), counted without building them; stops once past `stopAfter`.
 */
function tableRows(bytes: Uint8Array, stopAfter: number): number {
  let rows = 0;
  let quoted = false;
  let blank = true;
  for (let i = 0; i < bytes.length && rows <= stopAfter; i++) {
    const c = bytes[i];
    if (c === 0x22) quoted = !quoted;
    if (!quoted && (c === 0x0a || c === 0x0d)) {
      if (!blank) rows++;
      blank = true;
    } else if (c !== 0x20 && c !== 0x09) blank = false;
  }
  return blank ? rows : rows + 1;
}

/**
 * The predictions as rows of a table: input, class, probability and one column per class (a
 * classifier), or input and values (one value named after the column a table model predicts: `price`).
 */
function predictionTable(predictions: readonly Prediction[], classNames: readonly string[], target?: string): string[][] {
  const first = predictions[0];
  if (first.kind === 'probabilities') {
    const k = first.values.length;
    const names = Array.from({ length: k }, (_, i) => classNames[i] ?? String(i));
    const rows = predictions.map((p) => (p.kind === 'probabilities' ? [p.input, names[p.predicted], fmt(p.values[p.predicted]), ...p.values.map(fmt)] : []));
    return [['input', 'class', 'probability', ...names.map((n) => `p(${n})`)], ...rows];
  }
  const width = first.values.length;
  const rows = predictions.map((p) => [p.input, ...p.values.map(fmt)]);
  return [['input', ...(width === 1 ? [target ?? 'value'] : Array.from({ length: width }, (_, i) => `value_${i}`))], ...rows];
}

const fmt = (v: number): string => String(Number(v.toPrecision(6)));

/** RFC 4180 CSV: a field holding a comma, quote or line break is quoted, its quotes doubled. */
function toCsv(table: readonly (readonly string[])[]): string {
  const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return table.map((r) => r.map(field).join(',')).join('\n') + '\n';
}

/** The predictions as text: input, class and probability, the next classes; or input and its first values. */
function printPredictions(predictions: readonly Prediction[], out: (s: string) => void): void {
  const width = Math.min(60, Math.max(5, ...predictions.map((p) => p.input.length)));
  for (const p of predictions) {
    const input = p.input.length > width ? `…${p.input.slice(-(width - 1))}` : p.input.padEnd(width);
    if (p.kind === 'probabilities') {
      const name = (i: number) => p.classNames[i] ?? String(i);
      const others = p.values.map((v, i) => [v, i] as const).filter(([, i]) => i !== p.predicted).sort((a, b) => b[0] - a[0]).slice(0, PRINTED_TOP);
      out(`${input}  ${name(p.predicted)} ${(100 * p.values[p.predicted]).toFixed(1)}%${others.length ? `   (${others.map(([v, i]) => `${name(i)} ${(100 * v).toFixed(1)}%`).join(', ')})` : ''}\n`);
    } else if (p.kind === 'output') {
      const shown = p.values.slice(0, 10).map(fmt).join(' ');
      out(`${input}  ${shown}${p.values.length > 10 ? ` … (${p.values.length} values)` : ''}\n`);
    }
  }
}

function parse(argv: string[]) {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      target: { type: 'string' },
      text: { type: 'string', multiple: true },
      which: { type: 'string' },
      runs: { type: 'string' },
      threads: { type: 'string' },
      length: { type: 'string' },
      temperature: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const temperature = values.temperature === undefined ? CONTINUE_DEFAULTS.temperature : decimalNumber(values.temperature);
  if (!(temperature >= 0 && temperature <= 10)) throw new Error(`--temperature must be a number from 0 to 10 (got ${JSON.stringify(values.temperature)})`);
  const sampling = {
    length: wholeNumberFlag('length', values.length, 1, 10_000) ?? CONTINUE_DEFAULTS.length,
    temperature,
    seed: wholeNumberFlag('seed', values.seed, 0, 2 ** 31) ?? CONTINUE_DEFAULTS.seed,
    given: [values.length, values.temperature, values.seed].some((v) => v !== undefined),
  };
  if (!positionals.length) throw new Error('missing the model (a project, model file or run) and the inputs');
  if (positionals.length === 1 && !values.text?.length) throw new Error('missing the inputs: images, folders, a table, arrays, or --text');
  if (values.which !== undefined && values.which !== 'last' && values.which !== 'best') throw new Error(`--which must be last or best (got ${values.which})`);
  return {
    source: positionals[0],
    inputs: positionals.slice(1),
    texts: values.text ?? [],
    out: values.out,
    force: values.force === true,
    target: values.target,
    which: (values.which ?? 'last') as 'last' | 'best',
    runs: values.runs ?? process.env.NETWRIGHT_RUNS_DIR,
    threads: wholeNumberFlag('threads', values.threads, 1),
    sampling,
    json: values.json === true,
  };
}

if (startedAs('predict-cli')) {
  enableRelaxedSimd();
  runScript(main, 'E_PREDICT_INTERNAL');
}
