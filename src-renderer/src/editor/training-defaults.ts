import { type GraphIR, type NodeIR, type ScheduleConfig, type TrainingConfig, type Attrs, DATASETS, SCHEDULES, defaultSetting, getOp, graphInputs, hasClasses, isGraphInput } from '../../../src-engine/facade';

/** The default per-sample shape of a new Input (the op's attribute default). */
const DEFAULT_INPUT_SHAPE = [1];

const isDefaultShape = (shape: unknown): boolean => Array.isArray(shape) && shape.length === 1 && shape[0] === DEFAULT_INPUT_SHAPE[0];

export { defaultTraining, lossNodeOf } from '../../../src-engine/facade';

/**
 * Settings whose `loss` names no loss node (added before the loss, or the loss was deleted) follow
 * the graph: the loss node added now becomes the one training minimises. Settings that already name
 * a loss node are kept (the user chose it).
 */
export function adoptLoss(graph: GraphIR, added: NodeIR): TrainingConfig | undefined {
  const t = graph.training;
  if (!t || !getOp(added.op)?.isLoss) return undefined;
  const names = Array.isArray(t.loss) ? t.loss : [t.loss];
  if (graph.nodes.some((n) => n.id !== added.id && names.includes(n.id) && getOp(n.op)?.isLoss)) return undefined;
  return { ...t, loss: added.id };
}

/**
 * Attributes for a new Input in this graph: the first is the features (shaped like the chosen
 * dataset's samples when it fixes them); once the graph has a features Input and no target, the
 * next one is the target, as class labels (shape []) for a classification dataset or with no
 * dataset yet — what CrossEntropyLoss, the usual first loss, compares against; for a regression
 * dataset, its target shape (e.g. `[1]` for the housing prices), else its sample shape.
 */
export function newInputAttrs(graph: GraphIR): Attrs {
  const inputs = graphInputs(graph);
  const spec = DATASETS.find((d) => d.name === graph.training?.dataset.name);
  const hasFeatures = inputs.some((n) => n.attrs.source !== 'target');
  const hasTarget = inputs.some((n) => n.attrs.source === 'target');
  if (hasFeatures && !hasTarget) {
    const labels = !spec || (spec.task !== 'auto' && hasClasses(spec.task));
    return { source: 'target', shape: labels ? [] : [...(spec?.targetShape ?? spec?.featureShape ?? DEFAULT_INPUT_SHAPE)] };
  }
  return { source: 'features', shape: [...(spec?.featureShape ?? DEFAULT_INPUT_SHAPE)] };
}

/**
 * When the dataset is chosen or changed, features Inputs still at the default shape [1] take the
 * dataset's sample shape (so nobody has to type [1, 28, 28] for MNIST). Shapes the user set are
 * kept. Returns the nodes to update, by id.
 */
export function inputsForDataset(graph: GraphIR, dataset: string): Record<string, Attrs> {
  const spec = DATASETS.find((d) => d.name === dataset);
  const out: Record<string, Attrs> = {};
  if (!spec?.featureShape) return out;
  for (const n of graph.nodes) {
    if (isGraphInput(n) && n.attrs.source !== 'target' && isDefaultShape(n.attrs.shape)) out[n.id] = { shape: [...spec.featureShape] };
  }
  return out;
}

/**
 * `t` with the schedule `kind` chosen in the Train dock: its defaults fitted to the run (a cosine
 * spans its epochs, one-cycle peaks at 10× its rate), stepping in the schedule's own unit. The dock
 * shows no unit, and a unit a template set (the Tiny GPT's cosine counts steps) would make a tMax of
 * "3 epochs" 3 steps.
 */
export function withSchedule(t: TrainingConfig, kind: ScheduleConfig['kind']): TrainingConfig {
  const { scheduleUnit: _unit, ...rest } = t;
  return { ...rest, schedule: defaultSetting(SCHEDULES, kind, { epochs: t.epochs, lr: t.optimizer.lr }) as unknown as ScheduleConfig };
}
