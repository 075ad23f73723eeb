import type { NodeIR } from '../../../base/ir/types';
import type { Normalization } from '../../data/normalize';
import { getOp } from '../../ops/registry';
import { OnnxError, type OnnxDiagnostic } from './errors';

/**
 * Fold the input normalisation `(x − mean) / std` into the layers that read the features, so the
 * exported file takes raw features with no extra nodes: a Linear's weight columns are divided by
 * std and its bias absorbs `−W·(mean/std)`. Works for Linear layers reading an input directly or
 * through a `Flatten` (startDim 1), and for a global normalisation also for Conv2d without padding
 * (padding would add zeros in normalised units, which no weight change reproduces). Changes
 * `weights` in place.
 *
 * NOTE: computed in float64, rounded once to float32: the folded model differs from normalising
 * then multiplying by float32 rounding only.
 *
 * @throws OnnxError `E_EXPORT_FOLD` naming each node that prevents it.
 */
export function foldNormalization(
  order: readonly NodeIR[],
  featureInputs: readonly NodeIR[],
  norm: Normalization,
  weights: Map<string, Float32Array>,
  shapeOf: (id: string) => readonly number[],
): void {
  const consumers = (id: string) => order.filter((n) => n.inputs.includes(id));
  const problems: OnnxDiagnostic[] = [];
  const blocked = (n: NodeIR, why: string) => problems.push({ code: 'E_EXPORT_FOLD', nodeId: n.id, op: n.op, message: `The input normalisation cannot be folded into it: ${why}. Export with the normalisation as leading nodes instead.` });
  const folds: (() => void)[] = [];

  const linear = (n: NodeIR) => {
    const w = weights.get(`${n.id}.weight`)!;
    const b = weights.get(`${n.id}.bias`);
    if (!b) return blocked(n, 'it has no bias to take the mean');
    const inF = shapeOf(n.inputs[0]).at(-1)!;
    const out = b.length;
    const m = (i: number) => (norm.kind === 'global' ? norm.mean[0] : norm.mean[i]);
    const s = (i: number) => (norm.kind === 'global' ? norm.std[0] : norm.std[i]);
    if (norm.kind === 'per-feature' && norm.mean.length !== inF) return blocked(n, `the normalisation has ${norm.mean.length} features, the layer reads ${inF}`);
    folds.push(() => {
      for (let o = 0; o < out; o++) {
        let shift = 0;
        for (let i = 0; i < inF; i++) {
          shift += (w[o * inF + i] * m(i)) / s(i);
          w[o * inF + i] = w[o * inF + i] / s(i);
        }
        b[o] = b[o] - shift;
      }
    });
  };

  const conv = (n: NodeIR) => {
    const pad = n.attrs.padding as number[];
    if (norm.kind !== 'global') return blocked(n, 'a convolution shares its weights across positions, so only a global normalisation folds into it');
    if (pad.some((p) => p !== 0)) return blocked(n, 'it pads its input with zeros');
    const w = weights.get(`${n.id}.weight`)!;
    const b = weights.get(`${n.id}.bias`);
    if (!b) return blocked(n, 'it has no bias to take the mean');
    const per = w.length / b.length;
    const [m, s] = [norm.mean[0], norm.std[0]];
    folds.push(() => {
      for (let o = 0; o < b.length; o++) {
        let sum = 0;
        for (let k = 0; k < per; k++) {
          sum += w[o * per + k];
          w[o * per + k] = w[o * per + k] / s;
        }
        b[o] = b[o] - (m / s) * sum;
      }
    });
  };

  for (const x of featureInputs) {
    for (const c of consumers(x.id)) {
      const fold = getOp(c.op)?.foldsNormalization;
      if (fold === 'dense' && shapeOf(x.id).length === 2) linear(c);
      else if (fold === 'conv') conv(c);
      else if (fold === 'flatten' && c.attrs.startDim === 1) {
        for (const l of consumers(c.id)) {
          if (getOp(l.op)?.foldsNormalization === 'dense') linear(l);
          else blocked(l, `it reads the flattened input "${x.id}" and is not a Linear layer`);
        }
      } else blocked(c, `it reads the input "${x.id}" and is not a Linear layer (or a Conv2d, or a Flatten before Linear layers)`);
    }
  }
  if (problems.length) throw new OnnxError('E_EXPORT_FOLD', problems);
  for (const f of folds) f();
}
