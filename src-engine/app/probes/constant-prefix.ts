import type { CompiledGraph, LossSelection } from '../../core/autodiff/executor';
import { statisticsFrozen } from '../../base/ir/freeze';
import type { GraphIR } from '../../base/ir/types';
import { getOp } from '../../core/ops/registry';
import { withBoundary, type FrozenPrefix } from '../../core/train/feature-cache';

/**
 * The prefix of a graph whose eval-mode outputs on the probe batch stay the same all run: the
 * nodes fed by the feature Input alone, directly or through each other, each of them frozen or
 * without weights, and each with running statistics frozen (`statisticsFrozen`) or none. The
 * probe batch is fixed (drawn through the input transform once, with a fixed seed) and an eval
 * forward draws nothing (Dropout passes its input; Noise draws from its own seed), so unlike the
 * training loop's feature cache (`frozenPrefix`, core/train/feature-cache.ts) neither a random
 * transform nor a random layer nor an op reading its whole batch ends it; a BatchNorm whose
 * statistics training updates (`training.frozenBatchNorm` `'train'`, or not frozen) does.
 *
 * `excluded`: nodes the prefix must not hold (with what reads them), as the layers a sequence
 * probe reads the workspaces of. Answers null when the prefix holds no frozen weights (nothing
 * worth keeping).
 */
export function constantPrefix(graph: GraphIR, featureInput: string, plan: Pick<CompiledGraph, 'order' | 'params' | 'buffers'>, excluded: ReadonlySet<string> = new Set()): FrozenPrefix | null {
  const weighted = new Set(plan.params.map((p) => p.nodeId));
  const buffered = new Set(plan.buffers.map((b) => b.nodeId));
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const nodes = new Set<string>();
  for (const id of plan.order) {
    const node = byId.get(id)!;
    const def = getOp(node.op);
    if (id === featureInput || !def || def.isLoss || excluded.has(id)) continue;
    if (!node.inputs.every((i) => i === featureInput || nodes.has(i))) continue;
    if (weighted.has(id) && node.frozen !== true) continue;
    if (buffered.has(id) && !statisticsFrozen(node, graph.training)) continue;
    nodes.add(id);
  }
  if (![...nodes].some((id) => weighted.has(id))) return null;
  return withBoundary(graph, nodes, plan.order);
}

/**
 * The probe batch's eval forward over a graph with a constant prefix (`constantPrefix`): whole at
 * the first frame, which keeps the values of the prefix's boundary and of the prefix's nodes the
 * other probes read whole (`kept`: the prediction, a GAN's samples); at every frame after, those
 * values are written back and only the nodes after the prefix run (a selection with `fed`), so a
 * frozen backbone runs once per run instead of once per frame. The values are written back every
 * time because the probe plan may be the training plan (the same batch size), whose steps
 * overwrite them.
 *
 * NOTE: the nodes written back are never inside a fused chain that runs (BatchNorm → ReLU): such
 * a chain is frozen whole or not at all, and its interior feeds its next step alone.
 */
export class PrefixProbeForward {
  /** Every node outside the prefix, for the selection: the frame reads them all. */
  private readonly selection: LossSelection;
  private readonly kept: readonly string[];
  private readonly values: Float32Array[];
  private ran = false;

  constructor(
    private readonly plan: CompiledGraph,
    readonly prefix: FrozenPrefix,
    readWhole: readonly string[],
  ) {
    this.kept = [...new Set([...prefix.boundary, ...readWhole.filter((id) => prefix.nodes.has(id))])];
    this.values = this.kept.map((id) => new Float32Array(plan.output(id).data.length));
    const after = plan.order.filter((id) => !prefix.nodes.has(id));
    this.selection = plan.selectLosses(plan.lossNodes, undefined, after, this.kept);
  }

  /** The eval forward of the probe batch the caller wrote into the plan's inputs. */
  forward(): void {
    const { plan, kept, values } = this;
    if (!this.ran) {
      plan.forward(false);
      kept.forEach((id, k) => values[k].set(plan.output(id).data));
      this.ran = true;
      return;
    }
    kept.forEach((id, k) => plan.output(id).data.set(values[k]));
    plan.forward(false, this.selection);
  }
}
