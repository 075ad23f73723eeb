import type { OptimizerConfig } from '../../catalog/optimizers/registry';
import type { ScheduleConfig } from '../../catalog/schedules/registry';
import type { DatasetConfig } from '../schemas';
import type { StartFrom } from './start-from';

/** A node attribute's value: a number, flag, name, or list of numbers (a shape, a kernel size). */
export type AttrValue = number | boolean | string | readonly number[];
/** A node's attributes, by name (each op declares its own: `OpDef.attrs`). */
export type Attrs = Record<string, AttrValue>;

/** The IR's `format` marker; files without it are not Netwright graphs. */
export const GRAPH_FORMAT = 'netwright.graph';
/** Current IR version. Older versions are upgraded by `migrateGraph` (ir/migrate.ts). */
export const GRAPH_VERSION = 4;

/**
 * A network as plain JSON. Every node has one output, referred to by the node's id.
 * Graph inputs are `Input` nodes (their id is the input's name); graph outputs are named in
 * `outputs`. See docs/ir.md for a full example.
 */
export interface GraphIR {
  format: typeof GRAPH_FORMAT;
  version: number;
  name?: string;
  nodes: NodeIR[];
  /** Named outputs, e.g. `{ "logits": "fc3", "loss": "loss" }`. */
  outputs: Record<string, string>;
  training?: TrainingConfig;
  /**
   * Named, nested sets of nodes (IR v3): the blocks of a network (an imported model's module
   * scopes, `features/denseblock1/denselayer3`, or blocks grouped on the canvas). They change
   * nothing the engine computes; the canvas draws a folded group as one card, and a group can be
   * named as a whole (e.g. to freeze it). Absent: no groups. Not to be confused with
   * `training.groups` (optimizer groups).
   */
  groups?: NodeGroup[];
}

/**
 * A named set of nodes (IR v3). `nodes` lists every node in the group, those of its sub-groups
 * included, so a reader needs no other field to know what it holds. Groups form a tree: a group
 * with a `parent` holds only nodes of its parent, and two groups with the same parent (or none)
 * share no node.
 *
 * @example
 * ```json
 * { "id": "g:features/denseblock1", "name": "denseblock1", "parent": "g:features", "nodes": ["features_denseblock1_denselayer1_Concat", "…"] }
 * ```
 */
export interface NodeGroup {
  /** Unique among groups (node ids and group ids are apart: a group id may equal a node id). */
  id: string;
  /** What the canvas shows (need not be unique: `denselayer1` in every dense block). */
  name: string;
  /** The enclosing group's id; absent for a top-level group. */
  parent?: string;
  /** Every node of the group, sub-groups' included, in graph order. */
  nodes: string[];
}

export interface NodeIR {
  id: string;
  op: string;
  attrs: Attrs;
  /** Ids of the nodes feeding this node's inputs, in the op's declared input order. */
  inputs: string[];
  /**
   * Frozen (IR v3, fine-tuning): the optimizer does not update this node's parameters (no weight
   * decay either, no gradient computed for them), and a node with running statistics (BatchNorm)
   * normalises with them and leaves them unchanged, as after PyTorch's `module.eval()`. Absent:
   * trained. See `freezeNodes` (ir/freeze.ts).
   */
  frozen?: boolean;
}

/** A graph's `training.dataset` (declared once, with its schema, in base/schemas.ts). */
export type { DatasetConfig };

/** A `training.optimizer` and a `training.schedule`: derived from their declarations (catalog/optimizers/, catalog/schedules/). */
export type { OptimizerConfig, ScheduleConfig };

export type GradClipConfig = { kind: 'norm'; maxNorm: number } | { kind: 'value'; clipValue: number };

/**
 * One optimizer group (IR v2): the parameters of some nodes, trained by their own optimizer on
 * their own loss. Groups step in the declared order on each batch, each with a fresh forward
 * pass, so a later group sees the earlier groups' updated weights (a GAN: the discriminator's
 * step on real + fake, then the generator's step through the updated, frozen discriminator).
 * Parameters outside a group are frozen during its step; gradients flow through them.
 */
export interface TrainingGroup {
  /** Unique; names the group's loss in progress events and charts (e.g. `discriminator`). */
  name: string;
  /**
   * Which parameters the group trains: those of the nodes listed, and of every node of the
   * sub-graph `between.from` → `between.to` (nodes reachable from one of `from` that reach `to`,
   * both ends included). Each node's parameters belong to at most one group.
   */
  params: { nodes?: string[]; between?: { from: string[]; to: string } };
  /** The loss node(s) this group minimises (their sum). */
  loss: string | string[];
  /** Default: `training.optimizer`. */
  optimizer?: OptimizerConfig;
  /** Default: `training.schedule`. */
  schedule?: ScheduleConfig;
  /** Default: `training.gradClip`. */
  gradClip?: GradClipConfig;
}

export interface TrainingConfig {
  dataset: DatasetConfig;
  /**
   * Id of the loss node to minimise (several losses: their sum). With `groups` each group
   * minimises its own, and every reported loss (training steps, validation, test) is the sum of
   * the groups' distinct losses; list them here too.
   */
  loss: string | string[];
  /**
   * Optimizer groups, stepped in order on every batch (IR v2). Absent: one group, all
   * parameters, `loss`, `optimizer`, `schedule` and `gradClip` (v1 graphs, most graphs).
   */
  groups?: TrainingGroup[];
  optimizer: OptimizerConfig;
  schedule?: ScheduleConfig;
  /** Whether the schedule steps per optimizer step or per epoch (default: per epoch, as PyTorch examples do for step/exponential/cosine/plateau; per step for warmup-cosine and onecycle). */
  scheduleUnit?: 'step' | 'epoch';
  gradClip?: GradClipConfig;
  batchSize: number;
  epochs: number;
  seed: number;
  /** `accuracy`, `top5`, `precision`, `recall`, `f1`, `confusion`, `roc-auc`, `mse`, `mae`, `r2`, `psnr`, `mean-iou`, `pixel-accuracy` (segmentation). */
  metrics: string[];
  earlyStopping?: { metric: string; mode: 'min' | 'max'; patience: number; minDelta?: number };
  /** The named graph output that metrics read (default `logits` or the loss's first input). */
  predictionOutput?: string;
  /**
   * How validation and test run. `eval` (default): as after PyTorch's `model.eval()` — Dropout
   * passes values through, BatchNorm uses its running statistics. `train`: as if `model.eval()`
   * were forgotten — Dropout drops, BatchNorm normalises with each batch's statistics (and
   * updates its running ones, as PyTorch does). A teaching switch: compare the two.
   */
  evaluation?: 'eval' | 'train';
  /**
   * How a frozen node with running statistics (BatchNorm, `NodeIR.frozen`) runs in training steps.
   * `eval` (default): with its running statistics, which it leaves unchanged — Keras runs a layer
   * with `trainable = False` so, and PyTorch's fine-tuning idiom calls `.eval()` on it after
   * `model.train()`. `train`: with each batch's statistics, updating its running ones (PyTorch's
   * `model.train()` alone); its weight and bias stay frozen either way.
   */
  frozenBatchNorm?: 'eval' | 'train';
  /** Where the run's weights start (base/ir/start-from.ts). Absent: fresh initialisation. */
  startFrom?: StartFrom;
}
