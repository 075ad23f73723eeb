import { featureInput, inputShape, isTargetInput } from '../../base/ir/inputs';
import { headToFit, headToWidth, predictionNodeId } from '../../base/ir/prediction';
import { trainingLossNodes } from '../../base/ir/training';
import type { AttrValue, GraphIR, NodeIR } from '../../base/ir/types';
import { taskFor, taskOf } from '../../catalog/tasks';
import { BINARY_LOSS_OPS, CLASS_LABEL_LOSS_OPS, GENERATIVE_LOSS_OPS } from '../ops/categories';
import { idTables } from './id-ranges';

/** What a source of data gives per sample, as a design must take it (from a scan of the user's data). */
export interface DataShape {
  /** The data's name in messages ("titanic.csv"). */
  name: string;
  /** `a table`, `a folder`: how the messages speak of it. A series' windows (`[window, 1]`) fill a flat Input as `[window]`. */
  kind: 'table' | 'folder' | 'arrays' | 'time series';
  /** Values per sample after encoding (`[9]`), or the images' shape. */
  featureShape: readonly number[];
  /** Classes of a classification target; 0 for regression. */
  classes: number;
  /** A regression's values to predict per sample (`[1]`: a table's target column; absent: `[1]`). */
  targetShape?: readonly number[];
  /** The loader converts every sample to the Input's shape (an image folder): its width never mismatches. */
  resizedToInput?: boolean;
  /** The features are token ids from 0 to `idCount − 1` (texts as ids: the vocabulary's size, padding and unknown included). */
  idCount?: number;
}

/** One node change that makes a design take the data, with what was wrong and what it does. */
export interface FitEdit {
  nodeId: string;
  /** The node's new op (a classifier's loss for a regression's), its attributes then `attrs` alone; absent: the same op, `attrs` set on it. */
  op?: string;
  attrs: Record<string, AttrValue>;
  /** The mismatch, as Problems lists it while it stands. */
  problem: string;
  /** What the change did, as the notice after "Use this data" says it. */
  done: string;
}

/** How a design meets some data: the changes that fit it, and the mismatches no single change fixes. */
export interface DataFit {
  edits: FitEdit[];
  mismatches: string[];
  /** The training's metrics for the data's task, where the design's measure another (a classifier's accuracy on a regression), with what was wrong and what it does. */
  metrics?: { to: string[]; problem: string; done: string };
  /** A graph output to rename for the data's task (a regression's `logits` are its `prediction`: values, not class scores), with what it does. */
  output?: { from: string; to: string; done: string };
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * How `graph` meets `data` (what the trainer's binding check would refuse at Start, found before
 * it): the features Input's shape against the values per sample (changed when the Input has the
 * data's rank, as a table's width), and a classifier's head against the classes (a Linear head
 * resized, as `headToFit`), and the task: a loss of the other kind of target becomes the data's
 * task's, with its target Input, head and metrics (`taskFit`). `shapes` (the live analysis, dim 0 =
 * batch) lets a head that is not a Linear be checked too. Apply every edit in one undo step.
 *
 * @example fitToData(irisMlp, { name: 'titanic.csv', kind: 'table', featureShape: [9], classes: 2 })
 * // { edits: [{ nodeId: 'input', attrs: { shape: [9] }, … }, { nodeId: 'fc2', attrs: { outFeatures: 2 }, … }], mismatches: [] }
 */
export function fitToData(graph: Pick<GraphIR, 'nodes' | 'outputs' | 'training'>, data: DataShape, shapes: Readonly<Record<string, readonly number[]>> = {}): DataFit {
  const edits: FitEdit[] = [];
  const mismatches: string[] = [];
  const input = featureInput(graph);
  if (input && !data.resizedToInput) {
    const takes = inputShape(input);
    // A series' window of one value a step is as many values to a flat Input (an MLP): the loader's [window, 1] feeds [window].
    const gives = data.kind === 'time series' && takes.length === 1 ? [size(data.featureShape)] : data.featureShape;
    if (size(takes) !== size(gives)) {
      const problem = `Input “${input.id}” takes ${fmt(takes)} (${size(takes)} values) but ${data.name} gives ${fmt(gives)} per sample (${size(gives)} values)`;
      if (takes.length === gives.length) edits.push({ nodeId: input.id, attrs: { shape: [...gives] }, problem: `${problem}.`, done: `${input.id} now takes ${fmt(gives)}, the ${possessive(data.kind)} values per sample (it took ${fmt(takes)})` });
      else mismatches.push(`${problem}: set the Input's shape to ${fmt(gives)}.`);
    }
  }
  const task = taskFit(graph, data, shapes);
  if (data.classes >= 2 && !task?.binary) {
    const head = headToFit(graph, data.classes);
    const pred = predictionNodeId(graph);
    if (head) {
      edits.push({
        nodeId: head.nodeId,
        attrs: { outFeatures: data.classes },
        problem: `${head.nodeId} outputs ${head.from} but ${data.name} has ${data.classes} classes.`,
        done: `${head.nodeId} now outputs ${data.classes}, one per class of the ${data.kind} (it output ${head.from}); its weights start afresh`,
      });
    } else if (pred !== undefined && shapes[pred]) {
      // A single logit or probability reads two classes; any other width must be the classes.
      const width = size(shapes[pred].slice(1));
      if (width !== data.classes && !(width === 1 && data.classes === 2)) mismatches.push(`The prediction “${pred}” gives ${width} values per sample but ${data.name} has ${data.classes} classes: make the last layer output ${data.classes}.`);
    }
  }
  if (task) edits.push(...task.edits);
  edits.push(...idFit(graph, data));
  return { edits, mismatches, ...(task?.metrics ? { metrics: task.metrics } : {}), ...(task?.output ? { output: task.output } : {}) };
}

/**
 * A table that looks the features' ids up (an Embedding, its op's `idTable`) smaller than the
 * data's ids (#83: word ids of a vocabulary of 4,874 into a 128-row Embedding gave rows of zeros
 * past id 127): it grows to take every id, as a head grows to the classes.
 */
function idFit(graph: Pick<GraphIR, 'nodes'>, data: DataShape): FitEdit[] {
  const count = data.idCount;
  if (count === undefined) return [];
  const n = (v: number) => v.toLocaleString('en-US');
  return idTables(graph)
    .filter((t) => t.features && t.size < count)
    .map((t) => ({
      nodeId: t.node.id,
      attrs: { [t.attr]: count },
      problem: `${t.node.id} (${t.node.op}) has ${n(t.size)} ${t.noun} but ${data.name}'s ids run to ${n(count - 1)} (a vocabulary of ${n(count)}): an id past its ${t.noun} has no vector to learn.`,
      done: `${t.node.id} now has ${n(count)} ${t.noun}, one per id of the vocabulary (it had ${n(t.size)}); its weights start afresh`,
    }));
}

/** What a fit changes, one phrase each, as the notice after "Use this data" and `netwright train --data`'s notes say it. */
export function fitChanges(fit: DataFit): string[] {
  return [...fit.edits.map((e) => e.done), ...(fit.metrics ? [fit.metrics.done] : []), ...(fit.output ? [fit.output.done] : [])];
}

/**
 * The losses that compare the data's targets in the wrong kind, with what they need: data of
 * values (a regression's table) against a loss of class labels (CrossEntropyLoss: the Iris MLP), or
 * classes against a loss of values (MSELoss: the housing MLP) whose target is a target Input (a
 * reconstruction's loss reads the features: not the labels). Each becomes the data's task's loss
 * (catalog/tasks.ts), the target Input it reads takes the data's target shape (`[1]` values, `[]` a
 * class label), for values a Linear head outputs one per value (for classes the caller resizes
 * it), and metrics of the other task become the task's `defaultMetrics`. `binary`: two classes
 * against a loss of 0/1 targets on one output (BCEWithLogitsLoss on a single logit), which reads
 * them as they are: nothing changes, the head neither.
 */
function taskFit(graph: Pick<GraphIR, 'nodes' | 'outputs' | 'training'>, data: DataShape, shapes: Readonly<Record<string, readonly number[]>>): (Pick<DataFit, 'edits' | 'metrics' | 'output'> & { binary?: boolean }) | undefined {
  const t = graph.training;
  const classes = data.classes >= 2;
  // A reconstruction's target is the sample itself (dataset.target `features`: the denoising AE), whatever the data's labels.
  if (!t || t.dataset.target === 'features' || (!classes && data.kind === 'folder')) return undefined;
  const lossIds = trainingLossNodes(t);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const readsTarget = (n: NodeIR): boolean => {
    const target = byId.get(n.inputs[1] ?? '');
    return target !== undefined && isTargetInput(target);
  };
  const losses = graph.nodes.filter((n) => lossIds.includes(n.id) && readsTarget(n) && CLASS_LABEL_LOSS_OPS.has(n.op) !== classes && !GENERATIVE_LOSS_OPS.has(n.op));
  if (losses.length === 0) return undefined;
  const pred = predictionNodeId(graph) ?? '';
  const outFeatures = byId.get(pred)?.attrs.outFeatures;
  const predWidth = shapes[pred] ? size(shapes[pred].slice(1)) : typeof outFeatures === 'number' ? outFeatures : undefined;
  if (classes && data.classes === 2 && predWidth === 1 && losses.every((n) => BINARY_LOSS_OPS.has(n.op))) return { edits: [], binary: true };
  const task = taskOf(taskFor(classes ? 'classes' : 'values'));
  const values = classes ? [] : (data.targetShape ?? [1]);
  const width = size(values);
  const what = classes ? `a class label per sample, of ${data.classes} classes` : `${width} value${width === 1 ? '' : 's'} to predict per sample (${fmt(values)})`;
  const edits: FitEdit[] = losses.map((n) => ({
    nodeId: n.id,
    op: task.loss,
    attrs: {},
    problem: `${n.id} (${n.op}) compares ${classes ? 'values' : 'class labels'} but ${data.name}'s target holds ${classes ? 'classes' : 'numbers to predict (a regression)'}: it needs ${task.loss}.`,
    done: `${n.id} is now ${task.loss}, ${classes ? "a classifier's" : "a regression's"} loss (it was ${n.op})`,
  }));
  for (const target of new Set(losses.map((n) => byId.get(n.inputs[1]!)!))) {
    const takes = inputShape(target);
    if (sameShape(takes, values)) continue;
    edits.push({
      nodeId: target.id,
      attrs: { shape: [...values] },
      problem: `Target “${target.id}” takes ${classes ? `${fmt(takes)} values` : `class labels (${fmt(takes)})`} but ${data.name} gives ${what}.`,
      done: `${target.id} now takes ${classes ? 'class labels ([])' : `${fmt(values)}, the values to predict`} (it took ${fmt(takes)})`,
    });
  }
  const resize = classes ? null : headToWidth(graph, width);
  if (resize) {
    edits.push({
      nodeId: resize.nodeId,
      attrs: { outFeatures: width },
      problem: `${resize.nodeId} outputs ${resize.from} but ${data.name} has ${width} value${width === 1 ? '' : 's'} to predict.`,
      done: `${resize.nodeId} now outputs ${width}, ${width === 1 ? 'the value' : 'one per value'} to predict (it output ${resize.from}); its weights start afresh`,
    });
  }
  const measured = t.metrics.some((m) => task.defaultMetrics.includes(m));
  const kind = classes ? 'classes' : 'values';
  const metrics = measured
    ? undefined
    : { to: [...task.defaultMetrics], problem: `${t.metrics.length ? `The metrics (${t.metrics.join(', ')}) measure ${classes ? 'values' : 'classes'}` : 'No metric measures'}, not ${data.name}'s ${kind}.`, done: `the metrics are now ${task.defaultMetrics.join(', ')}` };
  // A regression's output of class scores by name (the Iris MLP's `logits`) is its prediction; where
  // the settings name the output they read (predictionOutput), it keeps its name.
  const rename = !classes && graph.outputs.logits !== undefined && graph.outputs.prediction === undefined && t.predictionOutput === undefined;
  const output = rename ? { from: 'logits', to: 'prediction', done: 'the output logits is now called prediction (values, not class scores)' } : undefined;
  return { edits, ...(metrics ? { metrics } : {}), ...(output ? { output } : {}) };
}

/** `the table's`, `the arrays'`. */
const possessive = (noun: string): string => (noun.endsWith('s') ? `${noun}'` : `${noun}'s`);

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A design's name for new data (#60: a design trained on a breast-cancer table kept the name
 * `Iris MLP (4-16-3)`, and so did its runs): where it names the data it was made for
 * (`previousData`, a dataset's or a file's name) it names the new data instead (`dataName`, its
 * file or folder name without the extension), and a width summary in parentheses (`(4-16-3)`)
 * takes the new input's width and what the head now outputs (the classes, or a regression's
 * values). A name that says neither stays the user's. The app's "Use this data" and the CLI's
 * `--data` both rename with it.
 *
 * @example nameForData('titanic MLP (9-16-2)', 'titanic.csv', 'houses.csv', { name: 'houses.csv', kind: 'table', featureShape: [6], classes: 0 }) // 'houses MLP (6-16-1)'
 */
export function nameForData(name: string, previousData: string | undefined, dataName: string, shape: DataShape | undefined): string {
  const stem = dataName.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const old = previousData?.replace(/^.*[\\/]/, '').replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const next = old && old.toLowerCase() !== stem.toLowerCase() ? name.replace(new RegExp(`(^|[^A-Za-z0-9])${escaped(old)}(?=$|[^A-Za-z0-9])`, 'i'), (_m, before: string) => `${before}${stem}`) : name;
  return next.replace(/\((\d+(?:-\d+)+)\)/, (_whole, widths: string) => {
    const w = widths.split('-');
    if (shape?.featureShape.length === 1 && !shape.resizedToInput) w[0] = String(shape.featureShape[0]);
    if (shape && shape.classes >= 2) w[w.length - 1] = String(shape.classes);
    // A regression's values to predict (a table's one column: 1), as the fit resizes the head.
    else if (shape && shape.classes === 0 && shape.kind !== 'folder') w[w.length - 1] = String(size(shape.targetShape ?? [1]));
    return `(${w.join('-')})`;
  });
}
