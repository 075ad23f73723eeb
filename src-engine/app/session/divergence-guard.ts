import type { CompiledGraph } from '../../core/autodiff/executor';
import type { GraphIR } from '../../base/ir/types';
import { getOp } from '../../core/ops/registry';
import { allFinite } from '../probes/summary';

/** Where a NaN or Inf first appeared in one training step. */
export interface NonFiniteSite {
  where: 'loss' | 'activation' | 'gradient';
  nodeId: string;
  op: string;
  /** Set when a parameter's gradient is the first non-finite gradient. */
  param?: string;
}

/**
 * Find where a step first went non-finite. Activations are scanned in topological (forward)
 * order; when they are all finite, gradients are scanned in backward order — for each node its
 * dLoss/dOutput, then its parameter gradients — because that is the order the backward pass
 * produced them in. Runs only after a step failed the cheap check, so it may scan everything.
 */
export function locateNonFinite(plan: CompiledGraph, graph: GraphIR): NonFiniteSite | null {
  const ops = new Map(graph.nodes.map((n) => [n.id, n.op]));
  for (const id of plan.order) {
    if (!allFinite(plan.output(id).data)) {
      const op = ops.get(id) ?? '?';
      return { where: getOp(op)?.isLoss ? 'loss' : 'activation', nodeId: id, op };
    }
  }
  for (let i = plan.order.length - 1; i >= 0; i--) {
    const id = plan.order[i];
    const g = plan.grad(id);
    if (g && !allFinite(g.data)) return { where: 'gradient', nodeId: id, op: ops.get(id) ?? '?' };
    for (const p of plan.params) {
      if (p.nodeId === id && !allFinite(p.grad.data)) return { where: 'gradient', nodeId: id, op: ops.get(id) ?? '?', param: p.name };
    }
  }
  return null;
}

/** True when every parameter gradient is finite (cheap enough for every step). */
export function gradientsFinite(plan: Pick<CompiledGraph, 'params'>): boolean {
  for (const p of plan.params) if (!allFinite(p.grad.data)) return false;
  return true;
}

/** A short, actionable hint for a divergence at `site` with learning rate `lr` (`suggested`: the rate to try, see `suggestLr`). */
export function divergenceHint(site: NonFiniteSite, lr: number, suggested = lr / 10): string {
  const lower = `Resume with a lower learning rate (now ${formatLr(lr)}; try ${formatLr(suggested)})`;
  if (site.where === 'loss') {
    return `${lower}. If the loss is BCE/log of a probability, use BCEWithLogitsLoss; check the targets for extreme values.`;
  }
  if (site.where === 'gradient') return `${lower}, or enable gradient clipping (by norm, e.g. 1.0) in the training settings.`;
  const advice = getOp(site.op)?.divergenceAdvice?.(site.nodeId);
  if (advice) return `${lower}; ${advice}`;
  return `${lower}, or add BatchNorm before ${site.nodeId} to keep its inputs in range.`;
}

function formatLr(lr: number): string {
  return Number(lr.toPrecision(3)).toString();
}
