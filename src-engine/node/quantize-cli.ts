/**
 * Post-training int8 quantisation calibrated on the user's data (#85 deliverables 1–3):
 *
 *   netwright quantize MODEL [--data FOLDER|FILE [--target COLUMN] …] [--samples N] [--method minmax|percentile|entropy]
 *                      --out model.int8.onnx [--keep-float ID[,ID…]] [--keep-float-worst K]
 *                      [--limit N] [--threads N] [--which last|best] [--runs DIR] [--force] [--json]
 *
 * MODEL: a model file, project or run (as `netwright export` reads them). The activations are
 * calibrated on N samples (default 256, evenly spaced) of the training split of `--data`, or of the
 * model's own dataset split as training split it. The weights become int8 per output channel, the
 * activations uint8 per tensor, BatchNorm folded and ReLU fused (core/quantize/); the file is a QDQ
 * ONNX with the model card. Netwright then runs both forms itself on the test split (at most
 * `--limit` samples) and prints them side by side: the task's metric, the confusion matrices and
 * the classes that moved, the files' sizes, latency at batch 1 and throughput at batch 32
 * (`--json`: one `quantization` line). `--keep-float` keeps the layers named (node ids) in float32,
 * `--keep-float-worst K` the K whose int8 form costs most in a first sensitivity pass (both: the
 * union); the figures and the sensitivity are then the int8 model's with them kept. Exit codes as `netwright evaluate`'s: 0 done, 1 failed,
 * 2 bad input (no such model, layers without an int8 form, unusable data).
 */
import { basename } from 'node:path';
import { thrownCode } from '../base/errors';
import type { DatasetConfig } from '../base/ir/types';
import { checkGraph } from '../core/analysis/checked';
import { DataError, withInputShape } from '../core/data';
import type { TrainedModel } from '../core/export/model';
import { exportOnnx } from '../core/export/onnx';
import { CALIBRATION_METHODS, quantisedOutput, type ActivationParams, type CalibrationMethod } from '../core/quantize/calibrate';
import { normalized, quantizeModel, type Int8Model } from '../core/quantize/int8';
import { int8Onnx } from '../core/quantize/qdq-onnx';
import { SENSITIVITY_SAMPLES, layerSensitivity, sideBySide, worstLayers, type LayerSensitivity, type SideBySide } from '../core/quantize/side-by-side';
import { quantizationSplits, type Sampled } from '../core/quantize/data';
export type { Sampled } from '../core/quantize/data';
import { quantizationCard } from '../core/quantize/export-format';
import { commandLine, parseCommandLine, runScript, startCli, startedAs } from './cli-script';
import { createBestBackend, enableRelaxedSimd } from './cpu';
import { loadSamples } from './datasets';
import { modelFromSource } from './export-cli';
import { writeExport } from './export-writer';
import { stderrProgress } from './stderr-progress';
import { DATA_FLAGS, checkDataFlags, wholeNumberFlag } from './train-args';
import { datasetFromFlags } from './train-data';
import { settingsForData } from './train-design';

/** Test samples the per-layer sensitivity is measured on (a float64 pass per layer). */

/** Calibration samples unless `--samples` says. */
export const DEFAULT_CALIBRATION_SAMPLES = 256;

/** `netwright quantize --help`. */
export function usage(): string {
  return `usage: ${commandLine('quantize', `<model.json | project | run> [--data FOLDER|FILE [--target COLUMN]] [--samples N] [--method ${CALIBRATION_METHODS.join('|')}] --out FILE.onnx [--keep-float ID[,ID…]] [--keep-float-worst K] [--limit N] [--threads N] [--which last|best] [--runs DIR] [--force] [--json]`)}\nQuantises a trained model to int8 (per-channel int8 weights, uint8 activations calibrated on N samples of --data or of its own training split; BatchNorm folded, ReLU fused) as a QDQ ONNX file, and prints float32 beside int8 on the test split: metric, confusion, size, latency, throughput. --keep-float keeps the layers named in float32, --keep-float-worst K the K of largest sensitivity. docs/export.md.`;
}

/**
 * What a quantisation reads: N calibration samples of the training split of `--data` or of the
 * model's own dataset (split as training split it), and the test split (at most `limit` samples),
 * raw (core/quantize/data.ts).
 *
 * @throws DataError when the data cannot be read or holds no samples.
 */
export function quantizationData(model: TrainedModel, flags: { data?: string; target?: string; missing?: string; gaps?: string; samples: number; limit?: number }): { calibration: Sampled; test: Sampled; source: string } {
  const t = model.graph.training ?? settingsForData(model.graph, flags.data, true);
  if (!t) throw new DataError('DATA_BAD_OPTION', 'the model has no training settings (dataset), so there is nothing to calibrate it on. Name your data with --data.');
  const graph = { ...model.graph, training: t };
  const dataset: DatasetConfig = datasetFromFlags(flags, graph, t.dataset);
  const checked = checkGraph({ ...graph, training: { ...t, dataset } });
  if (!checked.graph) throw new DataError('DATA_BAD_OPTION', `the model's graph is not valid: ${checked.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ')}`);
  const config = withInputShape(dataset, checked.graph.ir);
  const { calibration, test } = quantizationSplits(loadSamples(config, t.seed), config, t.seed, flags.samples, flags.limit);
  return { calibration, test, source: flags.data !== undefined ? `${basename(flags.data)} (--data), its training split` : `${config.name}, its training split` };
}

/**
 * Run the CLI; returns the exit code. Its phases and the sensitivity passes' samples go to `err`
 * as they run (stderr-progress.ts; `tty`: one line rewritten in place), stdout only the result.
 */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s), tty = process.stderr.isTTY === true): Promise<number> {
  const progress = stderrProgress(err, { tty });
  const cli = startCli(argv, parse, usage(), out, (s) => {
    progress.end();
    err(s);
  });
  if (typeof cli === 'number') return cli;
  const { args, fail } = cli;
  let model: TrainedModel;
  try {
    model = modelFromSource(args.source, args.which, args.runs);
  } catch (e) {
    return fail(thrownCode(e, 'CLI_BAD_JSON'), (e as Error).message, 2);
  }
  if (!model.graph.training && !settingsForData(model.graph, args.data, true)) return fail('TRAIN_NO_CONFIG', `${args.source}: the model has no training settings (dataset), so there is nothing to calibrate it on. Name your data with --data.`, 2);
  let calibration: Sampled;
  let test: Sampled;
  let source: string;
  try {
    ({ calibration, test, source } = quantizationData(model, args));
  } catch (e) {
    return fail(e instanceof DataError ? e.code : thrownCode(e, 'DATA_LOAD_FAILED'), (e as Error).message, 2);
  }
  let q: Int8Model;
  const few = Math.min(test.count, SENSITIVITY_SAMPLES);
  // With --keep-float-worst, the first pass's sensitivity (what chose them), by layer.
  let chosenBy: LayerSensitivity[] = [];
  const sensitivityLine = (what: string) => progress.count((done, total) => `${what}: ${done} of ${total} test samples${done < total ? '…' : ''}`);
  try {
    progress.phase(`calibrating (${args.method}) on ${calibration.count} samples of ${source}…`);
    const calibrated = normalized(model, calibration.x, calibration.count);
    q = quantizeModel(model, calibrated, calibration.count, args.method, { keepFloat: args.keepFloat });
    if (args.keepFloatWorst !== undefined) {
      const first = layerSensitivity(q, test.x, test.y, few, sensitivityLine('per-layer sensitivity, to choose --keep-float-worst'));
      const worst = worstLayers(first.layers, first.metric, args.keepFloatWorst);
      chosenBy = first.layers.filter((l) => worst.includes(l.layer));
      if (worst.length < args.keepFloatWorst && !args.json) out(`--keep-float-worst ${args.keepFloatWorst}: ${worst.length ? `only ${worst.length} of the int8 layers cost` : 'no int8 layer costs'} anything on ${few} test samples, so ${worst.length ? 'only those are' : 'none is'} kept for it\n`);
      if (worst.length) q = quantizeModel(model, calibrated, calibration.count, args.method, { keepFloat: [...args.keepFloat, ...worst] });
    }
  } catch (e) {
    return fail(thrownCode(e, 'E_QUANTIZE_UNSUPPORTED'), (e as Error).message, 2);
  }
  const backend = await createBestBackend(args.threads !== undefined ? { threads: args.threads } : {});
  let figures: SideBySide;
  let bytes: Uint8Array;
  try {
    const floatBytes = exportOnnx(model).bytes.length;
    const card = (f?: SideBySide) => quantizationCard(q, source, floatBytes, f);
    // The card holds the figures, which hold the file's size: measured on the file without them, then written with them.
    const first = int8Onnx(q, card());
    progress.phase(`measuring float32 and int8 on ${test.count} test samples, timing batch 1 and batch 32…`);
    figures = sideBySide(q, test.x, test.y, test.count, { float: floatBytes, int8: first.length }, backend);
    bytes = int8Onnx(q, card(figures));
    figures.int8.bytes = bytes.length;
  } catch (e) {
    return fail(thrownCode(e, 'E_QUANTIZE_UNSUPPORTED'), (e as Error).message, /^(E_QUANTIZE|E_MODEL|E_EXPORT)/.test(thrownCode(e, 'E_QUANTIZE_UNSUPPORTED')) ? 2 : 1);
  } finally {
    backend.dispose?.();
  }
  let written: string;
  try {
    written = writeExport({ kind: 'file', files: [{ path: 'model.onnx', data: bytes }] }, args.out, { force: args.force });
  } catch (e) {
    return fail(thrownCode(e, 'E_EXPORT_WRITE'), (e as Error).message, 1);
  }
  const sensitivity = layerSensitivity(q, test.x, test.y, few, sensitivityLine('per-layer sensitivity')).layers;
  progress.end();
  const kept = q.plan.keptFloat ?? [];
  const folded = q.plan.steps.flatMap((s) => (s.kind === 'dense' ? s.merged : []));
  // The input and each step quantised with its own params (a dense layer's output, a float op's: a Concat, an Add…).
  const activations: [string, ActivationParams][] = [[q.plan.input, q.input], ...q.plan.steps.flatMap((st, k): [string, ActivationParams][] => (quantisedOutput(st) ? [[st.id, q.params[k]]] : []))];
  const scales = Object.fromEntries(activations.map(([k, p]) => [k, { scale: p.scale, zeroPoint: p.zeroPoint, min: p.min, max: p.max }]));
  if (args.json) {
    out(JSON.stringify({ type: 'quantization', path: written, method: args.method, calibrationSamples: calibration.count, calibratedOn: source, folded, keptFloat: kept, activations: scales, ...figures, sensitivity: { samples: few, layers: sensitivity, ...(chosenBy.length ? { keptWorst: chosenBy } : {}) } }) + '\n');
    return 0;
  }
  printFigures(out, model.graph.name ?? args.source, written, args.method, calibration.count, source, folded, kept, figures, model.classNames ?? []);
  printSensitivity(out, few, figures.metric, sensitivity, chosenBy);
  return 0;
}

/**
 * The per-layer sensitivity as a table: one line per layer, its name padded to the longest (an
 * imported model's ids run past 40 characters), so the figures stay in one column.
 */
export function printSensitivity(out: (s: string) => void, samples: number, metric: SideBySide['metric'], layers: LayerSensitivity[], kept: LayerSensitivity[]): void {
  const show = (v: number) => (metric === 'accuracy' ? `${(100 * v).toFixed(2)}%` : v.toPrecision(4));
  const change = (v: number) => (metric === 'accuracy' ? `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)} points` : `${v >= 0 ? '+' : ''}${v.toPrecision(3)}`);
  const width = Math.max(20, ...[...layers, ...kept].map((l) => l.layer.length));
  out(`per-layer sensitivity (only that layer in int8, on ${samples} test samples):\n`);
  for (const l of layers) out(`  ${l.layer.padEnd(width)} ${show(l.metric).padStart(9)}  (${change(l.change)})\n`);
  for (const l of kept) out(`  ${l.layer.padEnd(width)} ${show(l.metric).padStart(9)}  (${change(l.change)}; kept in float32 by --keep-float-worst)\n`);
}

function printFigures(out: (s: string) => void, name: string, written: string, method: string, samples: number, source: string, folded: string[], kept: readonly string[], f: SideBySide, classes: readonly string[]): void {
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  const metric = (v: number) => (f.metric === 'accuracy' ? `${(100 * v).toFixed(2)}%` : v.toPrecision(4));
  out(`${name}: int8 (QDQ ONNX) written to ${written}\n`);
  out(`calibrated (${method}) on ${samples} samples of ${source}${folded.length ? `; folded or fused: ${folded.join(', ')}` : ''}\n`);
  if (kept.length) out(`kept in float32 (weights float32 in the file too): ${kept.join(', ')}\n`);
  out(`on ${f.samples} test samples:      float32      int8${kept.length ? ` (${kept.length} kept in float32)` : ''}\n`);
  out(`  ${f.metric.padEnd(22)} ${metric(f.float.metric).padStart(9)} ${metric(f.int8.metric).padStart(9)}\n`);
  out(`  ${'size (ONNX)'.padEnd(22)} ${kib(f.float.bytes).padStart(9)} ${kib(f.int8.bytes).padStart(9)}  (${((100 * f.int8.bytes) / f.float.bytes).toFixed(0)}%)\n`);
  const ms = (v: number | undefined) => `${(v ?? NaN).toPrecision(3)} ms`;
  const rate = (v: number | undefined) => `${Math.round(v ?? NaN)}/s`;
  out(`  ${'latency, batch 1'.padEnd(22)} ${ms(f.float.latencyMs).padStart(9)} ${ms(f.int8.latencyMs).padStart(9)}  (float32 run by ${f.floatRuntime})\n`);
  out(`  ${'throughput, batch 32'.padEnd(22)} ${rate(f.float.perSecond).padStart(9)} ${rate(f.int8.perSecond).padStart(9)}  (int8 run by ${f.int8Runtime})\n`);
  if (f.changed !== undefined) out(`  ${f.changed} of ${f.samples * (f.positions ?? 1)} ${f.positions ? 'pixels' : 'samples'} changed class${f.moved?.length ? `: ${f.moved.map((c) => `${c.name} ${c.float}→${c.int8} right (${c.changed} changed)`).join(', ')}` : ''}\n`);
  const c = f.confusion;
  if (c && classes.length <= 20) {
    const w = Math.max(5, ...classes.map((n) => Math.min(12, n.length)));
    const cell = (s: string) => s.slice(0, w).padStart(w);
    for (const [label, m] of [['float32', c.float], ['int8', c.int8]] as const) {
      out(`confusion matrix, ${label} (rows: true class, columns: predicted)\n${cell('')} ${classes.map(cell).join(' ')}\n`);
      m.forEach((row, i) => out(`${cell(classes[i])} ${row.map((v) => cell(String(v))).join(' ')}\n`));
    }
  }
}

/** `--keep-float ID[,ID…]` (the flag may repeat): the ids, each once, in the order given. */
function keepFloatIds(values: readonly string[] | undefined): string[] {
  const ids = (values ?? []).flatMap((v) => v.split(','));
  if (ids.some((id) => id.trim() === '')) throw new Error('--keep-float takes layer ids separated by commas (got an empty one)');
  return [...new Set(ids.map((id) => id.trim()))];
}

function parse(argv: string[]) {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: {
      ...DATA_FLAGS,
      samples: { type: 'string' },
      method: { type: 'string' },
      out: { type: 'string' },
      limit: { type: 'string' },
      threads: { type: 'string' },
      which: { type: 'string' },
      runs: { type: 'string' },
      'keep-float': { type: 'string', multiple: true },
      'keep-float-worst': { type: 'string' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new Error(positionals.length ? `expected one model, got ${positionals.length}` : 'missing the model (a model file, project or run)');
  checkDataFlags(values);
  if (values.out === undefined) throw new Error('missing --out FILE.onnx');
  if (values.method !== undefined && !(CALIBRATION_METHODS as readonly string[]).includes(values.method)) throw new Error(`--method must be one of ${CALIBRATION_METHODS.join(', ')} (got ${values.method})`);
  if (values.which !== undefined && values.which !== 'last' && values.which !== 'best') throw new Error(`--which must be last or best (got ${values.which})`);
  const int = wholeNumberFlag;
  return {
    source: positionals[0],
    json: values.json === true,
    data: values.data,
    target: values.target,
    missing: values.missing,
    gaps: values.gaps,
    samples: int('samples', values.samples, 1) ?? DEFAULT_CALIBRATION_SAMPLES,
    method: (values.method ?? 'minmax') as CalibrationMethod,
    out: values.out,
    limit: int('limit', values.limit, 1),
    threads: int('threads', values.threads, 1),
    which: (values.which ?? 'last') as 'last' | 'best',
    runs: values.runs ?? process.env.NETWRIGHT_RUNS_DIR,
    force: values.force === true,
    keepFloat: keepFloatIds(values['keep-float']),
    keepFloatWorst: int('keep-float-worst', values['keep-float-worst'], 1),
  };
}

if (startedAs('quantize-cli')) {
  enableRelaxedSimd();
  runScript(main, 'E_QUANTIZE_INTERNAL');
}
