/**
 * A model card (Mitchell et al. 2019, "Model Cards for Model Reporting") for every export: what the
 * model is, what it was trained and measured on, how its input is prepared, what it scores beside
 * simple baselines, what it is for and where it stops. Built from the `TrainedModel` alone (and,
 * where the caller has them, the splits' sizes and a quantisation's figures), as Markdown text: the
 * PyTorch project's `MODEL_CARD.md`, the ONNX file's `netwright.model_card` metadata, the
 * safetensors header's `netwright.model_card`, the JSON model's `modelCard`.
 *
 * NOTE: every string the user or a file chose (the design's name, class names, columns, the
 * dataset's options) passes through `mdText`, which leaves it one line of literal text: it cannot
 * start a heading, close a table cell, open a link or an HTML tag. The card is bounded
 * (`MAX_MODEL_CARD_CHARS`), so the safetensors header that carries it stays within what the reader
 * admits (`weightsLimits`).
 */
import { isGraphInput, inputShape } from '../../base/ir/inputs';
import type { GraphIR } from '../../base/ir/types';
import { ENGINE_VERSION } from '../../base/version';
import { getDataset } from '../../catalog/datasets/registry';
import type { BaselineScores } from '../metrics/baselines';
import { untrainedNote, type TrainedModel } from './model';

/** The most characters a card has; longer ones are cut at a line with a note (class lists and columns are summarised before that). */
export const MAX_MODEL_CARD_CHARS = 32_768;
/** The metadata key the card is written under (ONNX `metadata_props`, safetensors `__metadata__`). */
export const MODEL_CARD_KEY = 'netwright.model_card';

/** Class names, columns and baselines listed before "… and N more". */
const LISTED = 40;
/** Characters of one user-given name shown. */
const NAME_CHARS = 80;

/** What a quantised export adds to the card: how it was calibrated and its figures beside the float model's. */
export interface CardQuantization {
  /** `int8`: per-channel symmetric int8 weights, per-tensor activations (QDQ). */
  precision: 'int8';
  method: string;
  samples: number;
  /** The calibration data, in words (`the model's training split`, `digits.csv`). */
  calibratedOn: string;
  /** Side by side on the test split: the task's metric, size, latency. */
  float: CardFigures;
  int8: CardFigures;
  /** Test samples whose predicted class changed (a segmenter's: pixels, `pixels`). */
  changed?: number;
  /** The predictions `changed` counts among: the test samples, or a segmenter's pixels. */
  compared?: number;
  pixels?: boolean;
}

export interface CardFigures {
  metric?: { name: string; value: number };
  bytes: number;
  latencyMs?: number;
  perSecond?: number;
}

/** What the caller may know besides the model. */
export interface ModelCardContext {
  /** The splits' sample counts, when the data was at hand. */
  splits?: { train: number; val: number; test: number };
  /** The run's baselines (core/metrics/baselines.ts), when the model does not carry them. */
  baselines?: Record<string, BaselineScores>;
  /** A quantised export's figures. */
  quantization?: CardQuantization;
}

/**
 * One line of literal Markdown text for a string from the user or a file: control characters and
 * line breaks become spaces, a lone surrogate U+FFFD, Markdown's punctuation is backslash-escaped (CommonMark: any ASCII
 * punctuation may be), `<` and `>` too (no HTML), and it is cut to `max` characters.
 */
export function mdText(s: unknown, max = NAME_CHARS): string {
  const flat = [...String(s)].map((c) => {
    const code = c.codePointAt(0)!;
    if (code < 32 || code === 127 || c === '\u2028' || c === '\u2029') return ' ';
    // A lone surrogate is no character: as UTF-8 (ONNX's protobuf strings) it cannot be written.
    return code >= 0xd800 && code <= 0xdfff ? '\ufffd' : c;
  });
  const cut = flat.length > max ? [...flat.slice(0, max - 1), '…'] : flat;
  return cut.join('').replace(/[\\`*_{}[\]()!|<>~&]/g, (c) => `\\${c}`);
}

/** A figure for a table: 4 significant digits, or as it is. */
function fig(v: unknown): string {
  if (typeof v !== 'number') return '—';
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** A list of user-given names, the first `LISTED`, then how many more. */
function nameList(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).map((n) => mdText(n)).join(', ');
  return names.length > LISTED ? `${shown}, … and ${names.length - LISTED} more` : shown;
}

/** The number metrics of a split (a confusion matrix or per-class table is left to the run). */
function numberMetrics(m: Record<string, unknown> | undefined): [string, number][] {
  return Object.entries(m ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number');
}

function describeGraph(graph: GraphIR, model: TrainedModel): string[] {
  const ops = new Map<string, number>();
  for (const n of graph.nodes) if (!isGraphInput(n)) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
  const params = Object.values(model.params).reduce((a, v) => a + v.length, 0);
  const inputs = graph.nodes.filter(isGraphInput).filter((n) => n.attrs.source !== 'target');
  return [
    `- **Architecture**: ${[...ops].map(([op, k]) => `${mdText(op)}${k > 1 ? ` ×${k}` : ''}`).join(', ')} (${plural(graph.nodes.length, 'node')})`,
    `- **Parameters**: ${params.toLocaleString('en-US')} trainable values${Object.keys(model.buffers).length ? `, ${plural(Object.keys(model.buffers).length, 'buffer')} (BatchNorm statistics)` : ''}`,
    `- **Inputs**: ${inputs.map((n) => `${mdText(n.id)} [${inputShape(n).join(', ')}]`).join('; ') || '—'}`,
    `- **Outputs**: ${Object.keys(graph.outputs).map((k) => mdText(k)).join(', ') || '—'}`,
  ];
}

function origin(model: TrainedModel): string {
  const untrained = untrainedNote(model);
  if (untrained) return `**untrained**: ${untrained}`;
  const o = model.origin;
  if (!o) return 'not recorded';
  const parts = [o.runId !== undefined ? `run ${mdText(o.runId)}` : undefined, o.which ? `${o.which} checkpoint` : undefined, o.epoch !== undefined ? `epoch ${o.epoch}` : undefined, o.step !== undefined ? `step ${o.step}` : undefined];
  return parts.filter(Boolean).join(', ') || 'not recorded';
}

function preprocessing(model: TrainedModel): string[] {
  const out: string[] = [];
  const n = model.normalization;
  if (!n) out.push('- **Input normalisation**: none (the network reads the values as given).');
  else if (n.kind === 'global') out.push(`- **Input normalisation**: global, (x − ${fig(n.mean[0])}) / ${fig(n.std[0])}, fitted on the training split.`);
  else {
    const distinct = new Set(n.mean.map((m, i) => `${m}/${n.std[i]}`)).size;
    out.push(`- **Input normalisation**: per feature (${plural(n.mean.length, 'feature')}, ${plural(distinct, 'distinct mean/std pair')}), fitted on the training split; every export applies it (ONNX: leading Sub/Div nodes).`);
  }
  const t = model.targetNormalization;
  if (t) out.push(`- **Target standardisation**: the network learnt (y − mean) / std (mean ${t.mean.map(fig).join(', ')}; std ${t.std.map(fig).join(', ')}), fitted on the training split; outputs are restored to the target's units.`);
  const k = model.tokenizer;
  if (k) {
    out.push(
      `- **Tokenizer**: ${k.tokens === 'words' ? 'words' : 'characters'}${k.lowercase ? ', lower-cased' : ''}; ${k.features === 'counts' ? `a bag of ${plural(k.length, 'count')}` : k.features === 'context' ? `a context of ${plural(k.length, 'token')}` : `ids, padded or cut to ${plural(k.length, 'token')}`}; vocabulary of ${plural(k.vocabulary.length, 'token')} (pad id ${k.padId}${k.unkId !== null ? `, unknown id ${k.unkId}` : ', unknown tokens left out'}), built from the training texts. Written beside the model (tokenizer.json, metadata netwright.tokenizer).`,
    );
  }
  const table = model.table;
  if (table) {
    const cols = table.columns.slice(0, LISTED).map((c) => `${mdText(c.name)} (${c.kind}${c.categories ? `, ${plural(c.categories.length, 'category', 'categories')}` : ''}${c.fill !== undefined ? `, missing → ${c.fill === null ? 'no category' : mdText(c.fill)}` : ''}${c.indicator ? ', with a missing indicator' : ''})`);
    out.push(`- **Table encoding**: predicts column ${mdText(table.target)} from ${plural(table.columns.length, 'column')}: ${cols.join(', ')}${table.columns.length > LISTED ? `, … and ${table.columns.length - LISTED} more` : ''}.`);
  }
  return out;
}

function trainingData(graph: GraphIR, ctx: ModelCardContext): string[] {
  const t = graph.training;
  if (!t) return ['- Not recorded: the model carries no training settings.'];
  const d = t.dataset;
  const decl = getDataset(d.name);
  const out = [`- **Dataset**: ${mdText(decl?.label ?? d.name)}${decl ? ` — ${mdText(decl.doc, 200)}` : ''}`];
  const options = Object.entries(d.options ?? {}).map(([k, v]) => {
    // A path keeps its last part only: a shared file does not disclose where the data lived.
    const value = (k === 'path' || k === 'dir') && typeof v === 'string' ? (v.split(/[\\/]/).filter(Boolean).pop() ?? '') : typeof v === 'string' ? v : JSON.stringify(v);
    return `${mdText(k)} = ${mdText(value)}`;
  });
  if (options.length) out.push(`- **Options**: ${options.slice(0, LISTED).join(', ')}`);
  const split = d.split ? `train ${fig(d.split.train)}, validation ${fig(d.split.val)}, test ${fig(d.split.test)} of the data read` : `validation ${fig(d.validationSplit ?? 0.1)} of the non-test data; the test split is the set's own or held out`;
  out.push(`- **Splits**: ${split}${ctx.splits ? ` (${ctx.splits.train.toLocaleString('en-US')} / ${ctx.splits.val.toLocaleString('en-US')} / ${ctx.splits.test.toLocaleString('en-US')} samples)` : ''}; the normalisation and vocabulary are fitted on the training split only.`);
  if (d.limit !== undefined) out.push(`- **Limit**: at most ${plural(d.limit, 'training sample')}.`);
  if (d.augment) out.push(`- **Augmentation** (training batches only): ${mdText(JSON.stringify(d.augment), 200)}`);
  if (d.transform) out.push(`- **Input corruption** (training): ${mdText(JSON.stringify(d.transform), 200)}`);
  const opt = t.optimizer as unknown as Record<string, unknown>;
  out.push(`- **Training**: ${mdText(String(opt.kind ?? 'optimizer'))}${typeof opt.lr === 'number' ? ` at learning rate ${fig(opt.lr)}` : ''}, batch ${t.batchSize}, ${plural(t.epochs, 'epoch')}, seed ${t.seed}${t.schedule ? `, schedule ${mdText(String((t.schedule as { kind?: unknown }).kind ?? ''))}` : ''}.`);
  return out;
}

function metricsSection(model: TrainedModel, ctx: ModelCardContext): string[] {
  const splits = Object.entries(model.metrics ?? {}).filter(([, m]) => numberMetrics(m).length);
  if (!splits.length) return ['No metrics were recorded with these weights (an untrained design, or weights imported from a file). Measure them with `netwright evaluate`.'];
  const names = [...new Set(splits.flatMap(([, m]) => numberMetrics(m).map(([k]) => k)))];
  const out = [`| split | ${names.map((n) => mdText(n)).join(' | ')} |`, `|---|${names.map(() => '---|').join('')}`];
  for (const [split, m] of splits) out.push(`| ${mdText(split)} | ${names.map((n) => fig(m[n])).join(' | ')} |`);
  const baselines = Object.entries(model.baselines ?? ctx.baselines ?? {});
  if (baselines.length) {
    const scored = [...new Set(baselines.flatMap(([, b]) => Object.keys(b.test)))];
    const test = model.metrics?.test ?? {};
    out.push('', 'Baselines, fitted on the training split and measured on the same test split:', '', `| model | ${scored.map((n) => mdText(n)).join(' | ')} |`, `|---|${scored.map(() => '---|').join('')}`);
    out.push(`| **this network** | ${scored.map((n) => fig(test[n])).join(' | ')} |`);
    for (const [name, b] of baselines.slice(0, LISTED)) out.push(`| ${mdText(name)}${b.note ? ` (${mdText(b.note, 120)})` : ''} | ${scored.map((n) => fig((b.test as Record<string, number>)[n])).join(' | ')} |`);
  } else {
    out.push('', 'No baselines were recorded with this model; `netwright train` reports them (a majority class, a linear model) beside its test figures.');
  }
  return out;
}

function quantizationSection(q: CardQuantization | undefined): string[] {
  if (!q) return ['- **Precision**: float32 weights and activations.'];
  const row = (label: string, f: CardFigures) => `| ${label} | ${f.metric ? fig(f.metric.value) : '—'} | ${(f.bytes / 1024).toFixed(1)} KiB | ${f.latencyMs !== undefined ? `${fig(f.latencyMs)} ms` : '—'} | ${f.perSecond !== undefined ? `${fig(f.perSecond)}/s` : '—'} |`;
  return [
    `- **Precision**: int8 (QDQ): per-channel symmetric int8 weights, per-tensor asymmetric uint8 activations, calibrated (${mdText(q.method)}) on ${plural(q.samples, 'sample')} of ${mdText(q.calibratedOn, 120)}.`,
    '',
    `| | ${q.float.metric ? mdText(q.float.metric.name) : 'metric'} (test) | size | latency, batch 1 | throughput, batch 32 |`,
    '|---|---|---|---|---|',
    row('float32', q.float),
    row('int8', q.int8),
    ...(q.changed !== undefined ? ['', `${q.compared !== undefined ? `${q.changed.toLocaleString('en-US')} of ${plural(q.compared, q.pixels ? 'test pixel' : 'test sample')}` : plural(q.changed, q.pixels ? 'test pixel' : 'test sample')} changed class between float32 and int8.`] : []),
  ];
}

function intendedUse(model: TrainedModel, graph: GraphIR): string[] {
  const d = graph.training?.dataset;
  const decl = d ? getDataset(d.name) : undefined;
  const classes = model.classNames?.length ? `one of ${plural(model.classNames.length, 'class', 'classes')}: ${nameList(model.classNames)}` : undefined;
  const task = decl?.task && decl.task !== 'auto' ? decl.task : model.classNames?.length ? 'a class per sample' : 'values per sample';
  return [
    `- **Task**: ${mdText(task)}${classes ? `, ${classes}` : ''}.`,
    `- **Intended use**: predictions on samples like those of ${mdText(decl?.label ?? d?.name ?? 'its training data')}, prepared as below; teaching, prototyping and comparison of designs.`,
    '- **Out of scope**: decisions about people, or any use where an error is costly, without an evaluation on data from where it will be used; inputs unlike the training data (another source, sensor, language or period).',
  ];
}

function caveats(model: TrainedModel, ctx: ModelCardContext): string[] {
  const out = [
    '- The figures above come from one held-out split of the same data; they say nothing about other data. No analysis across groups (factors such as who or where a sample came from) was made.',
  ];
  if (untrainedNote(model)) out.push('- **These weights are untrained**: the predictions are those of a random initialisation.');
  if (ctx.splits && ctx.splits.test < 100) out.push(`- The test split has ${plural(ctx.splits.test, 'sample')}: its figures are uncertain by several points.`);
  if (model.classNames && model.classNames.length > 1) out.push('- A classifier always answers one of its classes, also for an input that is none of them.');
  if (ctx.quantization) out.push('- int8 rounding can change the class of samples near a decision boundary; the table above counts them on the test split.');
  return out;
}

/**
 * The model card of `model` as Markdown: model details, intended use, training and evaluation
 * data, preprocessing, metrics with baselines, precision (float32, or int8 with its figures), and
 * caveats. Deterministic: the same model and context give the same text.
 *
 * @example
 * ```ts
 * files.push({ path: 'MODEL_CARD.md', data: new TextEncoder().encode(modelCard(model)) });
 * ```
 */
export function modelCard(model: TrainedModel, ctx: ModelCardContext = {}): string {
  const graph = model.graph;
  const lines = [
    `# Model card: ${mdText(graph.name ?? 'network', 120)}`,
    '',
    `Written by Netwright ${ENGINE_VERSION} with the export (after Mitchell et al. 2019, "Model Cards for Model Reporting").`,
    '',
    '## Model details',
    '',
    ...describeGraph(graph, model),
    `- **Weights**: ${origin(model)}`,
    ...quantizationSection(ctx.quantization),
    '',
    '## Intended use',
    '',
    ...intendedUse(model, graph),
    '',
    '## Training and evaluation data',
    '',
    ...trainingData(graph, ctx),
    '',
    '## Preprocessing',
    '',
    ...preprocessing(model),
    '',
    '## Metrics',
    '',
    ...metricsSection(model, ctx),
    '',
    '## Caveats and ethical considerations',
    '',
    ...caveats(model, ctx),
    '',
  ];
  let text = lines.join('\n');
  if (text.length > MAX_MODEL_CARD_CHARS) {
    const cut = text.lastIndexOf('\n', MAX_MODEL_CARD_CHARS - 200);
    text = `${text.slice(0, cut)}\n\n(The card was cut at ${MAX_MODEL_CARD_CHARS.toLocaleString('en-US')} characters.)\n`;
  }
  return text;
}
