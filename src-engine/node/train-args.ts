/**
 * `netwright train`'s command line: its usage, its flags parsed and checked (a usage error names
 * the flag), and the flags the evaluate and predict commands share (`--data`, whole numbers).
 */
import { MISSING_POLICIES, SERIES_GAP_POLICIES } from '../catalog/datasets/options';
import { ComputeChoice } from '../base/schemas';
import { EXPORT_FORMATS, exportFormat, formatForPath } from '../core/export/formats';
import { SETTING_FLAGS, settingsFromFlags } from './export-cli';
import { commandLine, decimalNumber, parseCommandLine } from './cli-script';
import type { SplitFractions } from '../base/ir/split';
import { LOCAL_TARGET, TARGETS, parseTarget, type AnyTarget } from '../catalog/targets/registry';

/** `netwright train --help` (or `npm run train -- --help`): the usage, naming the command as it was invoked. */
export function usage(): string {
  const train = (args: string) => commandLine('train', args);
  return [
    `usage: ${train(`<graph.json | project> [--find-lr [--lr-range START,END] [--lr-steps N]] [--epochs N] [--lr RATE] [--device ${ComputeChoice.options.join('|')}] [--data FOLDER|FILE.csv|FILE.npz|X.npy [--target COLUMN] [--missing ${MISSING_POLICIES.join('|')}] [--gaps ${SERIES_GAP_POLICIES.join('|')}]] [--freeze backbone|NODE] [--split TRAIN,VAL,TEST] [--val-data FILE] [--test-data FILE] [--folds K] [--memory-budget MIB] [--batch-size N] [--limit N] [--threads N] [--seed N] [--on TARGET] [--runs DIR] [--json] [--export PATH [--export-format ${EXPORT_FORMATS.map((f) => f.id).join('|')}] [--force] [--opset N] [--normalization nodes|fold|none]]`)}`,
    `       ${train('--resume RUN --runs DIR [--epochs MORE] [--lr RATE] [--device …] [--on TARGET] [--export PATH …]')}`,
    'Trains a design (or a project, from its saved weights when it starts from them; or a model file, from its weights) headless; an imported classifier trains on --data. docs/trainer.md.',
    '  --data FOLDER      your own data; a classifier\'s head is resized to its classes (fresh weights), as the app\'s Use this data',
    '  --freeze backbone  fine-tune: freeze every layer before the classifier head (only the head trains; the frozen layers\' features are computed once)',
    '  --freeze NODE      freeze NODE and every layer before it',
    '  --split T,V,S      train, validation and test shares of the data (0.7,0.15,0.15): each class split in proportion; a time series in time order',
    '  --val-data FILE    validation samples from another file or folder, read like --data (--test-data FILE: test samples)',
    '  --folds K          K-fold cross-validation: K runs, each tested on one fold (a time series: its last K blocks in turn, trained on what comes before); the test metrics\' mean ± sd',
    `  --on TARGET        where it trains: ${TARGETS.map((t) => t.syntax).join(', ')} (docs/trainer.md "Training elsewhere"); the run is recorded in --runs as it trains`,
    '  --batch-size N     checked first against the memory Netwright may use (NETWRIGHT_MEMORY_SHARE of this machine\'s): too large is refused, naming the largest batch that fits',
  ].join('\n');
}

/** What the flags say: the design or run, the data, the run's settings, where it goes. */
export type Args = ReturnType<typeof parse>;

const DEVICES = ComputeChoice.options;

/** `argv` as `Args`; throws a usage message (the flag and what it takes) otherwise. */
export function parse(argv: string[]) {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: {
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      device: { type: 'string', default: 'cpu' },
      resume: { type: 'string' },
      ...DATA_FLAGS,
      'memory-budget': { type: 'string' },
      freeze: { type: 'string' },
      ...SPLIT_FLAGS,
      limit: { type: 'string' },
      threads: { type: 'string' },
      seed: { type: 'string' },
      runs: { type: 'string' },
      on: { type: 'string' },
      json: { type: 'boolean', default: false },
      export: { type: 'string' },
      'export-format': { type: 'string' },
      force: { type: 'boolean', default: false },
      'find-lr': { type: 'boolean', default: false },
      'lr-range': { type: 'string' },
      'lr-steps': { type: 'string' },
      ...SETTING_FLAGS,
    },
  });
  checkFindLrFlags(values);
  if (values.resume !== undefined) {
    if (positionals.length) throw new Error(`--resume continues a stored run with its own design; drop ${positionals[0]}`);
    const kept = ['data', 'target', 'missing', 'gaps', 'memory-budget', 'freeze', 'limit', 'batch-size', 'seed'].filter((k) => values[k as keyof typeof values] !== undefined);
    if (kept.length) throw new Error(`--resume keeps the run's data and settings; drop --${kept.join(', --')}`);
  } else if (positionals.length !== 1) {
    throw new Error(positionals.length ? `expected one graph file, got ${positionals.length}` : 'missing the graph file');
  }
  checkDataFlags(values);
  checkSplitFlags(values);
  const on = targetFlag(values);
  if (!(DEVICES as readonly string[]).includes(values.device)) throw new Error(`--device must be one of ${DEVICES.join(', ')} (got ${values.device})`);
  if (values.export !== undefined && !exportFormat(values['export-format'] ?? formatForPath(values.export))) throw new Error(`--export-format must be one of ${EXPORT_FORMATS.map((f) => f.id).join(', ')} (got ${values['export-format']})`);
  const int = wholeNumberFlag;
  return {
    file: positionals[0] as string | undefined,
    resume: values.resume,
    json: values.json === true,
    data: values.data,
    target: values.target,
    missing: values.missing,
    gaps: values.gaps,
    memoryBudget: int('memory-budget', values['memory-budget'], 1),
    /** `backbone`: every layer before the classifier head; else a node id: it and every layer before it. */
    freeze: freezeFlag(values.freeze),
    epochs: int('epochs', values.epochs, values.resume !== undefined ? 1 : 0),
    batchSize: int('batch-size', values['batch-size'], 1),
    lr: positiveNumberFlag('lr', values.lr),
    device: values.device as ComputeChoice,
    limit: int('limit', values.limit, 1),
    threads: int('threads', values.threads, 1),
    seed: int('seed', values.seed, 0, MAX_SEED),
    runs: values.runs ?? process.env.NETWRIGHT_RUNS_DIR,
    /** `--on TARGET`: where the run trains (catalog/targets), `local` by default. */
    on,
    exportPath: values.export,
    exportFormat: values['export-format'],
    force: values.force === true,
    exportSettings: settingsFromFlags(values),
    findLr: values['find-lr'] === true,
    lrRange: lrRangeFlag(values['lr-range']),
    lrSteps: int('lr-steps', values['lr-steps'], 1),
    /** `--split TRAIN,VAL,TEST`: the shares of the data (checked where the data is read: DATA_BAD_SPLIT). */
    split: splitFlag(values.split),
    /** `--val-data`, `--test-data`: separate files for the validation and test splits, read like --data. */
    valData: values['val-data'],
    testData: values['test-data'],
    /** `--folds K`: K-fold cross-validation, each fold's test figures and their mean ± sd. */
    folds: int('folds', values.folds, 2, 100),
  };
}

/**
 * `--on TARGET` as a target (catalog/targets/registry.ts). A run elsewhere trains the exported
 * train.py from the design's first weights (or, with `--resume`, the run's checkpoint): what it
 * cannot do there is refused here, by flag.
 */
function targetFlag(values: { on?: string; 'find-lr'?: boolean; folds?: string; export?: string }): AnyTarget {
  if (values.on === undefined) return LOCAL_TARGET;
  let target: AnyTarget;
  try {
    target = parseTarget(values.on);
  } catch (e) {
    throw new Error(`--on: ${(e as Error).message}`);
  }
  if (target.kind === 'local') return target;
  const local = (['find-lr', 'folds', 'export'] as const).filter((k) => values[k] !== undefined && values[k] !== false);
  if (local.length) throw new Error(`--${local.join(', --')} ${local.length > 1 ? 'run' : 'runs'} on this machine's engine only; drop --on ${values.on} (or --${local[0]})`);
  return target;
}

/** `--split`, `--val-data`, `--test-data`, `--folds`: how the data is split (#83; docs/data.md "Splits"). */
const SPLIT_FLAGS = { split: { type: 'string' }, 'val-data': { type: 'string' }, 'test-data': { type: 'string' }, folds: { type: 'string' } } as const;

/** The split flags with what they cannot go with: a resumed run keeps its split; cross-validation trains K models to measure, none to export or resume. */
function checkSplitFlags(values: { split?: string; 'val-data'?: string; 'test-data'?: string; folds?: string; resume?: string; export?: string; 'find-lr'?: boolean }): void {
  const given = (['split', 'val-data', 'test-data', 'folds'] as const).filter((k) => values[k] !== undefined);
  if (values.resume !== undefined && given.length) throw new Error(`--resume keeps the run's data and settings; drop --${given.join(', --')}`);
  if (values.folds === undefined) return;
  if (values['test-data'] !== undefined) throw new Error('--folds tests on each fold in turn; drop --test-data (or --folds)');
  if (values.export !== undefined) throw new Error('--folds trains one model per fold to measure them; train without --folds to export one');
  if (values['find-lr']) throw new Error('--find-lr trains nothing to cross-validate; drop --folds');
}

/**
 * `--split TRAIN,VAL,TEST`: three numbers (`0.7,0.15,0.15`). Their ranges and sum are checked with
 * the split setting's own rule (base/ir/split.ts `splitIssue`, DATA_BAD_SPLIT) once the data is read.
 */
function splitFlag(v: string | undefined): SplitFractions | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((x) => decimalNumber(x.trim()));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) throw new Error(`--split takes three fractions TRAIN,VAL,TEST, e.g. 0.7,0.15,0.15 (got ${JSON.stringify(v)})`);
  return { train: parts[0], val: parts[1], test: parts[2] };
}

/** `--lr-range`/`--lr-steps` only with `--find-lr`, which trains nothing to resume or export. */
function checkFindLrFlags(values: { 'find-lr'?: boolean; 'lr-range'?: string; 'lr-steps'?: string; resume?: string; export?: string }): void {
  if (!values['find-lr']) {
    if (values['lr-range'] !== undefined || values['lr-steps'] !== undefined) throw new Error('--lr-range and --lr-steps go with --find-lr');
    return;
  }
  if (values.resume !== undefined) throw new Error('--find-lr tests a design from the weights it starts from; drop --resume');
  if (values.export !== undefined) throw new Error('--find-lr trains nothing to export; drop --export');
}

/** `--freeze`: `backbone` or a node's id (checked against the design once it is read). */
function freezeFlag(v: string | undefined): string | undefined {
  if (v !== undefined && v.trim() === '') throw new Error('--freeze takes backbone or the id of a node');
  return v;
}

/** `--lr-range START,END`: two numbers (the range itself is checked by the test: TRAIN_LR_RANGE). */
function lrRangeFlag(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((x) => decimalNumber(x.trim()));
  if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x) || x <= 0)) throw new Error(`--lr-range must be two rates > 0, START,END (got ${JSON.stringify(v)})`);
  return [parts[0], parts[1]];
}

/** A flag's number > 0 (at most 1e6, as the app's learning-rate override); undefined when not given. */
function positiveNumberFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = decimalNumber(v);
  if (!(n > 0 && n <= 1e6)) throw new Error(`--${name} must be a number > 0 and ≤ 1e6 (got ${JSON.stringify(v)})`);
  return n;
}

/** `--data`, `--target`, `--missing`, `--gaps`: the user's own data (the train and evaluate CLIs). */
export const DATA_FLAGS = { data: { type: 'string' }, target: { type: 'string' }, missing: { type: 'string' }, gaps: { type: 'string' } } as const;

/** Refuse `--target` without `--data`, and a `--missing` or `--gaps` that is no policy. */
export function checkDataFlags(values: { data?: string; target?: string; missing?: string; gaps?: string }): void {
  if (values.target !== undefined && values.data === undefined) throw new Error('--target names a column of the table given with --data');
  if (values.missing !== undefined && !(MISSING_POLICIES as readonly string[]).includes(values.missing)) throw new Error(`--missing must be one of ${MISSING_POLICIES.join(', ')}`);
  if (values.gaps !== undefined && !(SERIES_GAP_POLICIES as readonly string[]).includes(values.gaps)) throw new Error(`--gaps must be one of ${SERIES_GAP_POLICIES.join(', ')}`);
}

/**
 * `--seed`'s highest value: the random streams are seeded by the seed's low 32 bits (base/rng.ts),
 * so every seed up to it is another stream. None of the CLIs' numbers is meaningful below 0.
 */
const MAX_SEED = 2 ** 32 - 1;

/**
 * A flag's whole number from `min` to `max`, written in decimal (`decimalNumber`: not `0x10`, nor
 * blank); undefined when not given; throws a usage message naming the flag otherwise. The default
 * `max` is the largest a double holds exactly.
 */
export function wholeNumberFlag(name: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = decimalNumber(v);
  if (!(Number.isInteger(n) && n >= min && n <= max)) throw new Error(`--${name} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`} (got ${JSON.stringify(v)})`);
  return n;
}
