/**
 * What a run learns to do with its samples — a dataset's task, a binding's, an evaluation's — and
 * what follows from it, declared once: the data layer, the binding, the metrics, the probes, the
 * protocol's schemas and the UI ask a task's traits here instead of comparing its name (#58).
 */
export interface TaskDeclaration<K extends string = string> {
  task: K;
  /** A line for the user. */
  doc: string;
  /**
   * What a sample's target is: class indices (per sample, or per position: a mask's pixels, a
   * text's next characters), values to regress, or the sample's own features (nothing is stored).
   */
  targets: 'classes' | 'values' | 'features';
  /** What its metrics accumulate against (`MetricTarget.kind`): class scores, or values (a reconstruction's pixels are values). */
  metrics: 'classes' | 'values';
  /** The loss op a design gets for it (an imported classifier's head: core/analysis/classifier.ts). */
  loss: string;
  /** How a prediction shows (the Playground, the sample probe): class probabilities, output values, or an image like the input. */
  predictions: 'probabilities' | 'values' | 'image';
  /** A data file may say it holds this task (a table's or an array file's `task` option; `auto` chooses one). */
  fromData: boolean;
  /** The metrics a design gets for it where its own measure another task (a classifier's accuracy, fitted to a regression's data). */
  defaultMetrics: readonly string[];
  /**
   * What an evaluation reports on top of the design's metrics (`netwright evaluate`, the app's
   * Evaluate, a run's test split): scikit-learn's classification_report, balanced accuracy and the
   * reliability diagram for classes; RMSE, MAE, R² and predicted-vs-true pairs for values.
   */
  reportMetrics: readonly string[];
}

/** Declare a task: its traits, in the registry's one table (`TASKS`). */
function declareTask<const D extends TaskDeclaration>(d: D): D {
  return d;
}

/** The one table of tasks. Adding one = a line here, and the traits its branches ask. */
export const TASKS = [
  declareTask({ task: 'classification', doc: 'A class per sample (or per pixel, per character).', targets: 'classes', metrics: 'classes', loss: 'CrossEntropyLoss', predictions: 'probabilities', fromData: true, defaultMetrics: ['accuracy'], reportMetrics: ['accuracy', 'balanced-accuracy', 'report', 'ece', 'confusion'] }),
  declareTask({ task: 'regression', doc: 'Values per sample (a price, the next value of a series).', targets: 'values', metrics: 'values', loss: 'MSELoss', predictions: 'values', fromData: true, defaultMetrics: ['mse', 'mae', 'r2'], reportMetrics: ['mse', 'rmse', 'mae', 'r2', 'residuals'] }),
  declareTask({ task: 'reconstruction', doc: 'The sample again (an autoencoder, a denoiser): the features are the target.', targets: 'features', metrics: 'values', loss: 'MSELoss', predictions: 'image', fromData: false, defaultMetrics: ['mse', 'psnr'], reportMetrics: ['mse', 'rmse'] }),
] as const;

type Declared = (typeof TASKS)[number];

/** A task's name: the union every dataset, binding, evaluation and schema takes. */
export type Task = Declared['task'];

/** The tasks a data file may declare (`fromData`). */
export type DataTask = Extract<Declared, { fromData: true }>['task'];

/** The tasks whose predictions show as values (an output, an image), not class probabilities: a sample probe's `kind`. */
export type ValueTask = Exclude<Declared, { predictions: 'probabilities' }>['task'];

/** Every task's name, in the table's order (the protocol's enums). */
export const TASK_NAMES = TASKS.map((t) => t.task) as [Task, ...Task[]];

/** The tasks a data file may declare, in the table's order. */
export const DATA_TASK_NAMES = TASKS.filter((t) => t.fromData).map((t) => t.task) as [DataTask, ...DataTask[]];

/** The tasks whose predictions show as values, in the table's order. */
export const VALUE_TASK_NAMES = TASKS.filter((t) => t.predictions !== 'probabilities').map((t) => t.task) as [ValueTask, ...ValueTask[]];

type Targets = TaskDeclaration['targets'];
type TaskByTargets = { readonly [T in Targets]: Extract<Declared, { targets: T }>['task'] };
/** Each kind of target's task: one a kind (a loader's data names its task by what its targets are). */
const BY_TARGETS = Object.fromEntries(TASKS.map((t) => [t.targets, t.task])) as TaskByTargets;

const BY_NAME: ReadonlyMap<string, TaskDeclaration<Task>> = new Map(TASKS.map((t) => [t.task, t]));

/**
 * The declaration of `task`.
 *
 * @throws Error for a name the table does not declare (a `Task` typed value always is).
 * @example taskOf(ds.task).targets === 'classes' // class indices to count, stratify and score
 */
export function taskOf(task: Task): TaskDeclaration<Task> {
  const d = BY_NAME.get(task);
  if (!d) throw new Error(`Unknown task "${String(task)}" (known: ${TASK_NAMES.join(', ')}).`);
  return d;
}

/** Whether `task`'s targets are class indices (counted, stratified, scored per class). */
export function hasClasses(task: Task): boolean {
  return taskOf(task).targets === 'classes';
}

/** Whether a prediction of `task` shows as class probabilities (else as values: a `ValueTask`). */
export function showsProbabilities(task: Task): task is Exclude<Task, ValueTask> {
  return taskOf(task).predictions === 'probabilities';
}

/** Whether a data file may declare `name` (a table's or an .npz's `task` option), narrowing it. */
export function isDataTask(name: unknown): name is DataTask {
  return typeof name === 'string' && BY_NAME.get(name)?.fromData === true;
}

/**
 * The task whose targets are `targets`: what a loader names the data it made (`taskFor('classes')`
 * for labelled images), or a table's `auto` chose.
 *
 * @example const ds = { name, task: taskFor('classes'), … };
 */
export function taskFor<const T extends Targets>(targets: T): TaskByTargets[T] {
  return BY_TARGETS[targets];
}

/**
 * The task of a binding or an evaluation: a reconstruction where the features are the target, else
 * the dataset's own.
 */
export function runTask(datasetTask: Task, target: 'label' | 'features'): Task {
  return target === 'features' ? taskFor('features') : datasetTask;
}
