import type { OpDef } from '../types';
import type { OpName } from '../registry';
import type { ReferenceKernel } from './kernel';
import { avgPool2dKernel } from './avg-pool2d';
import { batchNormKernel } from './batch-norm';
import { concatKernel } from './concat';
import { convTranspose2dKernel } from './conv-transpose2d';
import { conv1dKernel } from './conv1d';
import { conv2dKernel } from './conv2d';
import { crossEntropyLossKernel } from './cross-entropy-loss';
import { dropoutKernel } from './dropout';
import { embeddingKernel } from './embedding';
import { flattenKernel } from './flatten';
import { ganLossKernel } from './gan-loss';
import { globalAvgPoolKernel } from './global-avg-pool';
import { groupNormKernel } from './group-norm';
import { gruKernel } from './gru';
import { inputKernel } from './input';
import { diceLossKernel } from './dice-loss';
import { layerNormKernel } from './layer-norm';
import { linearKernel } from './linear';
import { lstmKernel } from './lstm';
import { maxPool2dKernel } from './max-pool2d';
import { multiHeadAttentionKernel } from './multi-head-attention';
import { noiseKernel } from './noise';
import { oneHotKernel } from './one-hot';
import { positionalEmbeddingKernel } from './positional-embedding';
import { realFakeBatchKernel } from './real-fake-batch';
import { reshapeKernel } from './reshape';
import { rnnKernel } from './rnn';
import { sequencePoolKernel } from './sequence-pool';
import { sliceKernel } from './slice';
import { softmaxKernel } from './softmax';
import { tokenCrossEntropyLossKernel } from './token-cross-entropy-loss';
import { transposeKernel } from './transpose';
import { upsampleKernel } from './upsample';

/**
 * The reference kernels of the ops whose kernels are written by hand, one file each beside this
 * one (`ops/kernels/<op>.ts`, its declaration `ops/<op>.ts`). Only the engine loads this table:
 * the renderer reads declarations and never reaches it (test/unit/architecture/ui-bundle.test.ts).
 */
const KERNELS: readonly (ReferenceKernel & { readonly op: OpName })[] = [
  avgPool2dKernel,
  batchNormKernel,
  concatKernel,
  convTranspose2dKernel,
  conv1dKernel,
  conv2dKernel,
  crossEntropyLossKernel,
  dropoutKernel,
  embeddingKernel,
  flattenKernel,
  ganLossKernel,
  globalAvgPoolKernel,
  groupNormKernel,
  gruKernel,
  inputKernel,
  diceLossKernel,
  layerNormKernel,
  linearKernel,
  lstmKernel,
  maxPool2dKernel,
  multiHeadAttentionKernel,
  noiseKernel,
  oneHotKernel,
  positionalEmbeddingKernel,
  realFakeBatchKernel,
  reshapeKernel,
  rnnKernel,
  sequencePoolKernel,
  sliceKernel,
  softmaxKernel,
  tokenCrossEntropyLossKernel,
  transposeKernel,
  upsampleKernel,
];

const BY_OP: ReadonlyMap<string, ReferenceKernel> = new Map(KERNELS.map((k) => [k.op, k]));

/**
 * The reference kernels of `op`: its file under ops/kernels/, or, for an elementwise op, the
 * forward and backward its declaration carries. Throws for an op with neither (a registry test
 * checks that every op has one).
 */
export function referenceKernel(op: OpDef): ReferenceKernel {
  const kernel = BY_OP.get(op.name);
  if (kernel) return kernel;
  if (op.forward) return op as ReferenceKernel;
  throw new Error(`${op.name} has no reference kernel: add ops/kernels/<op>.ts and list it in ops/kernels/registry.ts`);
}
