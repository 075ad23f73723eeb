import { featureInput, inputShape } from './inputs';
import { headToFit, predictionNodeId } from './prediction';
import type { AttrValue, GraphIR } from './types';

/** What a source of data gives per sample, as a design must take it (from a scan of the user's data). */
export interface DataShape {
  /** The data's name in messages ("titanic.csv"). */
  name: string;
  /** `a table`, `a folder`: how the messages speak of it. */
  kind: 'table' | 'folder' | 'arrays';
  /** Values per sample after encoding (`[9]`), or the images' shape. */
  featureShape: readonly number[];
  /** Classes of a classification target; 0 for regression. */
  classes: number;
  /** The loader converts every sample to the Input's shape (an image folder): its width never mismatches. */
  resizedToInput?: boolean;
}

/** One attribute change that makes a design take the data, with what was wrong and what it does. */
export interface FitEdit {
  nodeId: string;
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
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * How `graph` meets `data` (what the trainer's binding check would refuse at Start, found before
 * it): the features Input's shape against the values per sample (changed when the Input has the
 * data's rank, as a table's width), and a classifier's head against the classes (a Linear head
 * resized, as `headToFit`). `shapes` (the live analysis, dim 0 = batch) lets a head that is not a
 * Linear be checked too. Apply every edit in one undo step.
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
    const gives = data.featureShape;
    if (size(takes) !== size(gives)) {
      const problem = `Input “${input.id}” takes ${fmt(takes)} (${size(takes)} values) but ${data.name} gives ${fmt(gives)} per sample (${size(gives)} values)`;
      if (takes.length === gives.length) edits.push({ nodeId: input.id, attrs: { shape: [...gives] }, problem: `${problem}.`, done: `${input.id} now takes ${fmt(gives)}, the ${data.kind}'s values per sample (it took ${fmt(takes)})` });
      else mismatches.push(`${problem}: set the Input's shape to ${fmt(gives)}.`);
    }
  }
  if (data.classes >= 2) {
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
  return { edits, mismatches };
}
