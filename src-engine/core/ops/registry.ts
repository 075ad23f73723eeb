import type { OpDef } from './types';
import { add } from './add';
import { multiply } from './multiply';
import { avgPool2d } from './avg-pool2d';
import { batchNorm } from './batch-norm';
import { concat } from './concat';
import { conv2d } from './conv2d';
import { conv1d } from './conv1d';
import { convTranspose2d } from './conv-transpose2d';
import { dropout } from './dropout';
import { flatten } from './flatten';
import { globalAvgPool } from './global-avg-pool';
import { input } from './input';
import { noise } from './noise';
import { oneHot } from './one-hot';
import { realFakeBatch } from './real-fake-batch';
import { layerNorm } from './layer-norm';
import { groupNorm } from './group-norm';
import { linear } from './linear';
import { lstm } from './lstm';
import { gru } from './gru';
import { rnn } from './rnn';
import { embedding } from './embedding';
import { multiHeadAttention } from './multi-head-attention';
import { positionalEmbedding } from './positional-embedding';
import { sequencePool } from './sequence-pool';
import { maxPool2d } from './max-pool2d';
import { reshape } from './reshape';
import { transpose } from './transpose';
import { slice } from './slice';
import { upsample } from './upsample';

// — activations and losses —
import { relu } from './relu';
import { leakyRelu } from './leaky-relu';
import { elu } from './elu';
import { sigmoid } from './sigmoid';
import { tanh } from './tanh';
import { gelu } from './gelu';
import { silu } from './silu';
import { hardSwish } from './hard-swish';
import { mish } from './mish';
import { hardSigmoid } from './hard-sigmoid';
import { clip } from './clip';
import { prelu } from './prelu';
import { softplus } from './softplus';
import { softsign } from './softsign';
import { softmax } from './softmax';
import { crossEntropyLoss } from './cross-entropy-loss';
import { tokenCrossEntropyLoss } from './token-cross-entropy-loss';
import { bceWithLogitsLoss } from './bce-with-logits-loss';
import { mseLoss } from './mse-loss';
import { l1Loss } from './l1-loss';
import { diceLoss } from './dice-loss';
import { huberLoss } from './huber-loss';
import { smoothL1Loss } from './smooth-l1-loss';
import { ganLoss } from './gan-loss';
import { klDivLoss } from './kl-div-loss';

/**
 * The one table of ops. The canvas palette, the inspector, the IR validator, shape inference,
 * the executor and the exporters all read it. Adding an op = one file under ops/ + one line here.
 */
const ALL_OPS = [
  // — input, layers, normalization, regularization, structure (ops/*.ts) —
  input,
  noise,
  linear,
  rnn,
  lstm,
  gru,
  embedding,
  positionalEmbedding,
  multiHeadAttention,
  conv2d,
  conv1d,
  convTranspose2d,
  maxPool2d,
  avgPool2d,
  globalAvgPool,
  upsample,
  batchNorm,
  layerNorm,
  groupNorm,
  dropout,
  flatten,
  reshape,
  transpose,
  slice,
  sequencePool,
  add,
  multiply,
  concat,
  oneHot,
  realFakeBatch,
  // — activations and losses (ops/*.ts) —
  relu,
  leakyRelu,
  elu,
  sigmoid,
  tanh,
  gelu,
  silu,
  hardSwish,
  hardSigmoid,
  clip,
  prelu,
  softplus,
  mish,
  softsign,
  softmax,
  crossEntropyLoss,
  tokenCrossEntropyLoss,
  bceWithLogitsLoss,
  mseLoss,
  l1Loss,
  diceLoss,
  huberLoss,
  smoothL1Loss,
  ganLoss,
  klDivLoss,
] as const;

/**
 * The name of a registered op: the union of every op file's `name`. Tables keyed by op (the CPU
 * and GPU kernel sets) are `Partial<Record<OpName, …>>`, so a misspelt or removed op is a type error.
 */
export type OpName = (typeof ALL_OPS)[number]['name'];

const BY_NAME: ReadonlyMap<string, OpDef> = new Map(ALL_OPS.map((op) => [op.name, op]));

/** Every registered op, in palette order. */
export function listOps(): readonly OpDef[] {
  return ALL_OPS;
}

/** The op called `name`, or undefined for an unknown op (a name from a file or a message may be anything). */
export function getOp(name: string): OpDef | undefined {
  return BY_NAME.get(name);
}

/** Whether `name` is a registered op's name (own entries only: `__proto__` and `toString` are not ops). */
export function isOpName(name: string): name is OpName {
  return BY_NAME.has(name);
}
