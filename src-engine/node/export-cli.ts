/**
 * Export a trained model, or a design before training, from the command line (docs/export.md).
 *
 *   npm run export -- <project | model.json | model.onnx | graph.json | run folder | run id> --format json|onnx|pytorch --out PATH [--force] [--which last|best] [--runs DIR]
 *
 * The source: a project saved with its weights (`*.netwright.json`), a model file
 * (`netwright.model`), a stored run's folder, or a run id in the run store (`--runs DIR` or
 * NETWRIGHT_RUNS_DIR; `--which` picks its last or best checkpoint, default last). A design
 * without trained weights (a graph, or a project saved without them) exports its initial weights,
 * marked untrained in every format (`initialModel`), as the app's Export does before training; the
 * command says so on both streams.
 * A format's settings are flags too: `--opset 17…21` and `--normalization nodes|fold|none` for ONNX.
 * `--out` must name something new or an empty folder; `--force` replaces an existing file or an
 * earlier export's folder, never a folder holding anything Netwright did not write there.
 * Exit codes: 0 written, 1 the export or the write failed (disk full…), 2 bad input.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ExportError } from '../core/export/bundle';
import { EXPORT_FORMATS, checkExportSettings, exportFormat, type ExportFormat } from '../core/export/formats';
import { webDemoRuntime } from './web-demo-runtime';
import { modelFromJSON } from '../core/export/json';
import { initialModel } from '../core/export/initial';
import { untrainedNote, type TrainedModel } from '../core/export/model';
import { PROJECT_FORMAT, upgradeProjectGraph } from '../base/ir/project';
import type { GraphIR } from '../base/ir/types';
import { withInputShape } from '../core/data/sources';
import { loadSamples } from './datasets';
import { checkExportTarget, writeExport } from './export-writer';
import { CliError, readNamedFile, readNamedJson } from './cli-files';
import { projectModel, weightsOnly } from './project-model';
import { importOnnx } from '../core/import/onnx';
import { RunStore } from './run-store';
import { cliErrorText, thrownCode } from '../base/errors';
import { commandLine, parseCommandLine, runScript, startedAs, usageErrorText, wantsHelp } from './cli-script';

/** Every format's settings as CLI flags (`--opset 18`, `--normalization fold`), from the formats table. */
export const SETTING_FLAGS: Record<string, { type: 'string' }> = Object.fromEntries(EXPORT_FORMATS.flatMap((f) => f.settings ?? []).map((x) => [x.key, { type: 'string' as const }]));
const settingsUsage = EXPORT_FORMATS.flatMap((f) => (f.settings ?? []).map((x) => `[--${x.key} ${x.choices.map((c) => c.value).join('|')}] (${f.id})`)).join(' ');

/** The settings flags given, as `model.export`'s `settings`. */
export function settingsFromFlags(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.keys(SETTING_FLAGS).flatMap((k) => (typeof values[k] === 'string' ? [[k, values[k] as string]] : [])));
}

/** `netwright export --help`: the usage, naming the command as it was invoked. */
export function usage(): string {
  return [
    `usage: ${commandLine('export', `<project | model.json | model.onnx | graph.json | run folder | run id> --format ${EXPORT_FORMATS.map((f) => f.id).join('|')} --out PATH [--force] [--which last|best] [--runs DIR] ${settingsUsage}`)}`,
    'Writes a trained model in another format (never over what it did not write; --force replaces a file or an earlier export).',
    "A design not trained yet (a graph, or a project saved without weights) exports with its initial weights, as a run with its seed starts from, marked untrained (\"initial\") in the file: train it for a model that predicts. docs/export.md.",
  ].join('\n');
}
const RUN_ID = /^\d{8}-\d{6}-[0-9a-z]{4}$/;
const ONNX_FILE = /\.onnx$/i;
/** The largest ONNX file read (as `netwright import` and predict read one). */
const MAX_ONNX_BYTES = 2 * 1024 ** 3 - 1;

/**
 * The model a CLI source names. `initial` (the export command's): a design without trained weights
 * (a graph, or a project saved without them) gives its initial weights, marked untrained
 * (`initialModel`); otherwise such a design is E_EXPORT_NO_WEIGHTS (evaluate and predict need trained weights).
 */
export function modelFromSource(source: string, which: 'last' | 'best', runsDir: string | undefined, initial = false): TrainedModel {
  const alone = weightsOnly(source);
  if (alone) throw alone;
  if (existsSync(source) && statSync(source).isDirectory()) {
    if (!existsSync(join(source, 'run.json'))) throw new CliError('CLI_NOT_A_RUN', `${source} is a folder but not a stored run (it has no run.json).`);
    return new RunStore(dirname(source)).model(basename(source), which);
  }
  if (!existsSync(source)) {
    if (RUN_ID.test(source)) {
      if (!runsDir) throw new CliError('CLI_NO_RUNS', `${source} looks like a run id; say where the runs are with --runs DIR (or NETWRIGHT_RUNS_DIR).`);
      return new RunStore(runsDir).model(source, which);
    }
    throw new CliError('CLI_NO_FILE', `${source}: no such file or run.`);
  }
  // An ONNX file (Netwright's own export keeps its training settings and classes): imported as `netwright import` and the app's Import read it.
  if (ONNX_FILE.test(source)) return importOnnx(readNamedFile(source, MAX_ONNX_BYTES, 'E_IMPORT_TOO_LARGE')).model;
  // A regular file within JSON_FILE_MAX_BYTES: /dev/zero or a FIFO is refused, not read.
  const json = readNamedJson(source);
  if (json.format === PROJECT_FORMAT) {
    if (json.model === undefined && initial) return initialModel(upgradeProjectGraph(Number(json.version), json.graph as GraphIR, false));
    if (json.model === undefined) throw new ExportError('E_EXPORT_NO_WEIGHTS', `${source} was saved without trained weights: train it in the app and save again, or train it with \`${commandLine('train', `${source} --export PATH`)}\`.`);
    return projectModel(source, json.model as Record<string, unknown>);
  }
  if (json.format === 'netwright.graph' && initial) return initialModel(json);
  if (json.format === 'netwright.graph') throw new ExportError('E_EXPORT_NO_WEIGHTS', `${source} is a graph without trained weights; train and export in one go: \`${commandLine('train', `${source} --export PATH`)}\`.`);
  return modelFromJSON(json);
}

/**
 * Export `model` with `format` to `out` (atomically, never deleting what the exporter did not
 * write: `writeExport`), with the training data when the format wants it.
 */
export function exportModelTo(model: TrainedModel, format: ExportFormat, out: string, log: (s: string) => void, force = false, asked: Record<string, string> = {}): string {
  const settings = checkExportSettings(format, asked);
  checkExportTarget(out, format.output.kind, force);
  const t = model.graph.training;
  let data;
  if (format.needsData && t) {
    try {
      // As the run was fed: an image folder at its features Input's shape, streamed from disk
      // (its files listed for train.py) when it is larger than its memory budget.
      data = loadSamples(withInputShape(t.dataset, model.graph), t.seed);
    } catch (e) {
      log(`note: the ${t.dataset.name} samples are not included (${(e as Error).message})\n`);
    }
  }
  let shown = -1;
  const pageRuntime = format.needsPageRuntime ? webDemoRuntime() : undefined;
  const bundle = format.export(model, {
    settings,
    ...(data ? { data } : {}),
    ...(pageRuntime !== undefined ? { pageRuntime } : {}),
    onProgress: (f, what) => {
      const pct = Math.floor(f * 10) * 10;
      if (pct > shown) log(`  ${pct}% ${what}\n`);
      shown = pct;
    },
  });
  if (bundle.holds) log(`note: the ${format.label} export holds ${bundle.holds}\n`);
  return writeExport(bundle, out, { force });
}

/** Run the CLI; returns the exit code. */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let values: { format?: string; out?: string; which?: string; runs?: string; force?: boolean } & Record<string, unknown>;
  let positionals: string[];
  if (wantsHelp(argv)) return (out(`${usage()}\n`), 0);
  try {
    ({ values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { format: { type: 'string' }, out: { type: 'string' }, which: { type: 'string' }, runs: { type: 'string' }, force: { type: 'boolean' }, ...SETTING_FLAGS } }));
    if (positionals.length !== 1) throw new Error(positionals.length ? `expected one source, got ${positionals.length}` : 'missing the source (a project, model file or run)');
    if (!values.format) throw new Error(`missing --format (${EXPORT_FORMATS.map((f) => f.id).join(', ')})`);
    if (!values.out) throw new Error('missing --out PATH');
    if (values.which !== undefined && values.which !== 'last' && values.which !== 'best') throw new Error(`--which must be last or best (got ${values.which})`);
  } catch (e) {
    err(usageErrorText((e as Error).message, usage()));
    return 2;
  }
  const format = exportFormat(values.format!);
  if (!format) {
    err(cliErrorText('E_EXPORT_FORMAT', `there is no export format "${values.format}"; choose ${EXPORT_FORMATS.map((f) => `${f.id} (${f.doc})`).join(', ')}.`));
    return 2;
  }
  try {
    const model = modelFromSource(positionals[0], (values.which as 'last' | 'best' | undefined) ?? 'last', values.runs ?? process.env.NETWRIGHT_RUNS_DIR, true);
    const untrained = untrainedNote(model);
    if (untrained) err(`note: ${positionals[0]} holds no trained weights: the export holds ${untrained}, marked so in the file\n`);
    const written = exportModelTo(model, format, values.out!, err, values.force === true, settingsFromFlags(values));
    // As the app's notice says it (src-renderer/src/training/export.ts).
    out(`exported ${format.label}${untrained ? " with the design's initial weights (untrained: train it for a model that predicts)" : ''} to ${written}\n`);
    return 0;
  } catch (e) {
    const code = thrownCode(e, 'E_EXPORT');
    err(cliErrorText(code, (e as Error).message));
    return e instanceof CliError || code.startsWith('E_MODEL') || code === 'RUN_NOT_FOUND' || code === 'E_RUN_NO_CHECKPOINT' || code === 'E_EXPORT_NO_WEIGHTS' || code === 'E_EXPORT_UNSUPPORTED_OP' || code === 'E_EXPORT_UNSUPPORTED' || code === 'E_EXPORT_EXISTS' || code === 'E_EXPORT_FOLDER_NOT_EMPTY' || code === 'E_EXPORT_SETTING' ? 2 : 1;
  }
}

if (startedAs('export-cli')) {
  runScript(main, 'E_EXPORT_INTERNAL');
}
