/**
 * What the tests draw from the op registry instead of keeping lists of their own: every activation
 * (one input, its output the input's shape) with the settings its file declares (`testDomain`:
 * its canonical attributes, then its variants). An activation added to the registry is drawn by the
 * exporters' random graphs (engine/export/random-graphs.ts, engine/export/onnx/random-graphs.ts)
 * with no edit here.
 */
import { listOps } from '../../../src-engine/core/ops/registry';
import { testDomainOf } from '../../../src-engine/core/ops/test-domain';
import type { Attrs } from '../../../src-engine/core/ops/types';
import type { Rng } from '../../../src-engine/base/rng';

export interface DrawnOp {
  op: string;
  /** Its canonical settings first, then its declared variants. */
  settings: readonly Attrs[];
}

/** Every activation of the registry, in registry order, with its declared settings. */
export function registryActivations(): DrawnOp[] {
  return listOps()
    .filter((d) => d.category === 'activations' && !d.isLoss && d.inputs.length === 1)
    .map((d) => {
      const t = testDomainOf(d);
      return { op: d.name, settings: [t.attrs, ...t.variants] };
    });
}

/** One of `ops` and one of its settings, drawn from `rng` (one draw for the op, one more where it has several settings). */
export function drawSetting(rng: Rng, ops: readonly DrawnOp[]): [string, Attrs] {
  const { op, settings } = ops[rng.int(ops.length)];
  return [op, settings.length > 1 ? settings[rng.int(settings.length)] : settings[0]];
}
