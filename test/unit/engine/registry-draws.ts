/**
 * What the tests draw from the op registry instead of keeping lists of their own: every activation
 * (one input, its output the input's shape) with the settings its file declares (`testDomain`:
 * its canonical attributes, then its variants), and every op that declares how a random graph draws
 * it (`testDomain.graph`: the structural ops — Reshape, Concat, Add, …). An op added to the registry
 * is drawn by the exporters' random graphs (engine/export/random-graphs.ts,
 * engine/export/onnx/random-graphs.ts) with no edit here or there.
 */
import { listOps } from '../../../src-engine/core/ops/registry';
import { testDomainOf, type GraphDraw } from '../../../src-engine/core/ops/test-domain';
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

/** An op the random graphs draw by its declaration (`testDomain.graph`). */
export interface DrawnStructure extends GraphDraw {
  op: string;
}

/** Every op of the registry that declares how a random graph draws it, in registry order: the joins (`[x, f(x)]`) and the ops of one input. */
export function registryStructure(): { joins: DrawnStructure[]; singles: DrawnStructure[] } {
  const drawn = listOps().flatMap((d): DrawnStructure[] => {
    const g = d.testDomain?.graph;
    return g && 'draw' in g ? [{ op: d.name, ...(g.join ? { join: g.join } : {}), draw: g.draw }] : [];
  });
  return { joins: drawn.filter((d) => d.join), singles: drawn.filter((d) => !d.join) };
}

/** The structural ops whose files say nothing of how a random graph draws them, each with what to declare. */
export function missingGraphDraws(): string[] {
  return listOps()
    .filter((d) => d.category === 'structure' && !d.testDomain?.graph)
    .map((d) => `src-engine/core/ops/<the file declaring ${d.name}>: declare testDomain.graph (how a random graph draws it: GraphDraw), or graph: { none: why }`);
}

/** One of `ops` and its setting for a node of `shape`, drawn from `pick` (which op) and `rng` (its setting); undefined where the drawn op does not apply. */
export function drawStructure(pick: Rng, rng: Rng, ops: readonly DrawnStructure[], shape: readonly number[]): [DrawnStructure, Attrs] | undefined {
  const d = ops[pick.int(ops.length)];
  const attrs = d.draw(shape, rng);
  return attrs && [d, attrs];
}
