import { isGraphInput } from '../../base/ir/inputs';
import { getOp, listOps } from './registry';
import type { OpDef } from './types';

/**
 * Op-category sets, derived from the registry's traits (`category`, `isLoss`, `inputs`,
 * `trainingOnly`): the way code outside ops/ asks what kind of op a node is. No op name is written
 * here, so a new op with the right traits joins its sets by itself.
 */
const named = (pick: (def: OpDef) => boolean): ReadonlySet<string> => new Set(listOps().filter(pick).map((d) => d.name));

/** The losses: a scalar training minimises. */
export const LOSS_OPS = named((d) => d.isLoss === true);
/** Losses that read no target (a GAN's): a graph of them generates rather than predicts. */
export const GENERATIVE_LOSS_OPS = named((d) => d.isLoss === true && d.inputs.length === 1);
/** Losses that compare with class labels (CrossEntropyLoss): a graph that trains with one is a classifier. */
export const CLASS_LABEL_LOSS_OPS = named((d) => d.isLoss === true && 'target' in d.torch && d.torch.target === 'class-index');
/** Losses of raw scores against 0/1 targets (BCEWithLogitsLoss): one output reads two classes. */
export const BINARY_LOSS_OPS = named((d) => d.isLoss === true && d.binaryTargets === true);
/** Sources: the `input` category — graph Inputs and sampled sources (Noise). They compute nothing to measure. */
export const SOURCE_OPS = named((d) => d.category === 'input');
/** Constructs of training only (a GAN's RealFakeBatch): an inference export leaves them out. */
export const TRAINING_ONLY_OPS = named((d) => d.trainingOnly === true);

/**
 * Whether a node of op `op` is probed: the activation probe measures its output, the canvas shows
 * its probe strip, and the divergence guard looks for an explosion there. Every known op but the
 * sources and the losses. The one answer to "is this node probed?".
 */
export function isProbedOp(op: string): boolean {
  return getOp(op) !== undefined && !SOURCE_OPS.has(op) && !LOSS_OPS.has(op);
}

/** Whether `node` is a sampled source: an `input`-category op that is not a graph Input (Noise). */
export function isSampledSource(node: { op: string }): boolean {
  return SOURCE_OPS.has(node.op) && !isGraphInput(node);
}
