import { fail, fmt, ok, perSample, ShapeCode } from './shape-util';
import { defineOp, type Attrs } from './types';
import type { DrawRng } from './test-domain';
import { ints, unexpected, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

function transposeRule(n: OnnxNode): RuleResult {
  const bad = unexpected(n, ['perm']);
  if (bad) return { unsupported: bad };
  const perm = ints(n, 'perm');
  if (!perm) return { unsupported: 'a Transpose without perm (reversing every dim) moves the batch dim, which is not supported' };
  if (perm[0] !== 0) return { unsupported: `perm [${perm.join(', ')}] moves the batch dim; only per-sample dims may move` };
  return { op: 'Transpose', attrs: { perm }, inputs: [n.input[0]] };
}

export const permOf = (attrs: Attrs): readonly number[] => attrs.perm as readonly number[];

/**
 * Reorder the per-sample dims, as `x.permute(0, …)` in PyTorch (the batch dim stays first):
 * ShuffleNet's channel shuffle is a Reshape to [groups, C/groups, H, W], this with perm
 * [0, 2, 1, 3, 4], and a Reshape back.
 */
export const transpose = defineOp({
  name: 'Transpose',
  category: 'structure',
  onnx: { opType: 'Transpose', attrs: { perm: { attr: 'perm' } } },
  onnxImport: { Transpose: transposeRule },
  torch: { none: 'not a module: forward() calls x.permute(perm)', expr: '{inputs|}.permute{perm}' },
  doc: 'Reorder the per-sample dims (e.g. swap groups and channels for a channel shuffle).',
  card: (attrs) => `(${permOf(attrs).join(', ')})`,
  inputs: [{ name: 'x' }],
  testDomain: { graph: { draw: transposeDraw } },
  attrs: {
    perm: { kind: 'ints', default: [0, 2, 1], min: 0, doc: 'The input dim each output dim takes, batch first: (0, 2, 1) swaps the two per-sample dims.' },
  },
  inferShape({ inputs, attrs }) {
    const x = inputs[0];
    const perm = permOf(attrs);
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x.length || sorted.some((p, i) => p !== i) || perm[0] !== 0) {
      return fail(ShapeCode.ATTR_RANGE, `Transpose perm (${perm.join(', ')}) must order all ${x.length} dims of ${fmt(x)}, with the batch dim 0 first.`);
    }
    return ok(perm.map((p) => x[p]));
  },
  flops: ({ output }) => perSample(output),
});

/** A random graph's Transpose of a node of `shape`: its per-sample dims in a random order other than their own. */
function transposeDraw(shape: readonly number[], rng: DrawRng): Attrs | undefined {
  if (shape.length < 3) return undefined;
  const dims = Array.from({ length: shape.length - 1 }, (_, i) => i + 1);
  for (let i = dims.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [dims[i], dims[j]] = [dims[j], dims[i]];
  }
  if (dims.every((d, i) => d === i + 1)) [dims[0], dims[1]] = [dims[1], dims[0]];
  return { perm: [0, ...dims] };
}
