import { isProbedOp } from '../../core/ops/categories';
import type { CompiledGraph } from '../../core/autodiff/executor';
import type { GraphIR } from '../../base/ir/types';
import { getOp } from '../../core/ops/registry';
import { suggestLr } from '../../catalog/optimizers/registry';
import type { LoopHooks, LoopView, StepContext, StepVerdict } from '../../core/train';
import type { EventData } from '../../protocol';
import { allFinite } from '../../base/tensor';
import { compact } from '../probes/summary';
import { rawTargetAdvice } from '../../core/data/target-normalization';
import type { SessionPlan } from './session-plan';

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
      if (p.nodeId === id && !p.frozen && !allFinite(p.grad.data)) return { where: 'gradient', nodeId: id, op: ops.get(id) ?? '?', param: p.name };
    }
  }
  return null;
}

/** True when every parameter gradient is finite (cheap enough for every step); a frozen parameter has none to read. */
export function gradientsFinite(plan: { readonly params: readonly { readonly grad: { readonly data: Float32Array }; readonly frozen?: boolean }[] }): boolean {
  for (const p of plan.params) if (!p.frozen && !allFinite(p.grad.data)) return false;
  return true;
}

/** A short, actionable hint for a divergence at `site` with learning rate `lr` (`suggested`: the rate to try, see `suggestLr`). */
export function divergenceHint(site: NonFiniteSite, lr: number, suggested = lr / 10, rawTargets?: { mean: number; std: number }): string {
  const hint = siteHint(site, lr, suggested);
  // A large target trained as it is: its scale, not only the rate, is what to change (#83).
  return rawTargets ? `${rawTargetAdvice(rawTargets)} ${hint}` : hint;
}

function siteHint(site: NonFiniteSite, lr: number, suggested: number): string {
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

/** What the guard found: `train.diverged` without the run id. */
export type Divergence = Omit<EventData<'train.diverged'>, 'runId'>;

/** The divergence guard's settings (`train.start`'s `guard`). */
export interface DivergenceGuardOptions {
  /**
   * Check every step's parameter gradients for NaN/Inf before the update (default false: ~5% of
   * an MNIST MLP step). Without it a NaN gradient is caught one step later, when the poisoned
   * weights make the loss non-finite; the run then rolls back all the same and names the layer
   * whose weights the previous update broke.
   */
  checkGradients?: boolean;
  /**
   * A batch loss above this multiple of the first step's loss counts as a divergence too
   * (default 100; 0 turns it off). Adam with a huge learning rate drives the loss to 1e10 and
   * beyond without ever producing a NaN, so NaN/Inf alone would let such a run go on.
   */
  lossExplosion?: number;
  /** The run's regression targets in their own units, when they are large and not standardised (`largeRawTargets`): the tip says so. */
  rawTargets?: { mean: number; std: number };
}

/**
 * The divergence guard, a loop hook: after each forward the loss must be finite and below
 * `lossExplosion`× the first step's loss (and, with `checkGradients`, every parameter gradient
 * finite before the update). On a failure the step is not applied, the first site in topological
 * order is located (`locateNonFinite`, or the first layer whose output RMS grew past the same
 * factor), the run holds in state `diverged` (`control.hold()`), and `onDiverged` hears where. The
 * run's `RollbackSnapshots` put the last good state back when it resumes; the failed batch is
 * then retried and the step counter keeps counting.
 */
export class DivergenceGuard implements LoopHooks<SessionPlan> {
  private loop!: LoopView<SessionPlan>;
  /** Loss and per-node activation RMS of the run's first step: what "exploding" is measured against. */
  private firstLoss: number | null = null;
  private readonly referenceRms = new Map<string, number>();

  constructor(
    private readonly options: DivergenceGuardOptions & {
      /** The step a resume rolls back to (the rollback snapshot's). */
      restoresTo(): number;
      onDiverged(d: Divergence): void;
    },
  ) {}

  setup(loop: LoopView<SessionPlan>): void {
    this.loop = loop;
  }

  afterForward(ctx: StepContext<SessionPlan>): StepVerdict {
    const loss = ctx.loss;
    if (this.firstLoss === null && Number.isFinite(loss)) this.recordReference(ctx.graph, loss);
    if (!Number.isFinite(loss)) return this.diverged(ctx, 'nonfinite');
    const explosion = this.options.lossExplosion ?? 100;
    if (explosion > 0 && loss > explosion * Math.max(this.firstLoss!, 1e-2)) return this.diverged(ctx, 'exploding');
    return 'ok';
  }

  afterBackward(ctx: StepContext<SessionPlan>): StepVerdict {
    // The group's own gradients: another group's hold its last step's (a diverged one's, before a resume).
    return (this.options.checkGradients ?? false) && !gradientsFinite(this.loop.groups[ctx.group] ?? ctx.graph) ? this.diverged(ctx, 'nonfinite') : 'ok';
  }

  /**
   * NOTE: the nodes whose outputs the plan keeps (`keepsOutput`). A frozen prefix's are not kept
   * (one arena while the forward needs them): reading them gave each storage of its own from the
   * first step on, 3.9 GB for resnet18's frozen backbone at batch 64 (a run with probes off held
   * 4.6 GB, against the 1.9 GB its estimate and `netwright train` hold), and recomputed its fused
   * convolutions once. Nothing in such a prefix trains, so no explosion starts there; with its
   * features cached it does not even run, and read zeros.
   */
  private recordReference(gb: CompiledGraph, loss: number): void {
    this.firstLoss = loss;
    for (const id of gb.order) if (gb.keepsOutput(id)) this.referenceRms.set(id, rms(gb.output(id).data));
  }

  /**
   * Where an exploding (finite) loss comes from: the first node in topological order whose
   * output RMS grew more than `factor`× since the first step, or went non-finite (of the nodes
   * the plan keeps, as `recordReference`).
   */
  private locateExplosion(gb: CompiledGraph, factor: number): NonFiniteSite | null {
    const ops = new Map(this.loop.graph.nodes.map((nd) => [nd.id, nd.op]));
    for (const id of gb.order) {
      const op = ops.get(id) ?? '?';
      if (!isProbedOp(op) || !gb.keepsOutput(id)) continue;
      const now = rms(gb.output(id).data);
      const ref = this.referenceRms.get(id) ?? 0;
      if (!Number.isFinite(now) || (ref > 0 && now > factor * ref)) return { where: 'activation', nodeId: id, op };
    }
    return null;
  }

  private diverged(ctx: StepContext<SessionPlan>, cause: 'nonfinite' | 'exploding'): StepVerdict {
    const gb = ctx.graph;
    const { epoch, loss } = ctx;
    const graph = this.loop.graph;
    const step = this.loop.step + 1;
    const lossNode = gb.lossNodes[0] ?? '?';
    const lossSite: NonFiniteSite = { where: 'loss', nodeId: lossNode, op: graph.nodes.find((nd) => nd.id === lossNode)?.op ?? '?' };
    const factor = this.options.lossExplosion ?? 100;
    let site = (cause === 'nonfinite' ? locateNonFinite(gb, graph) : this.locateExplosion(gb, factor)) ?? lossSite;
    let at = step;
    const poisoned = site.where === 'activation' ? gb.params.find((p) => p.nodeId === site.nodeId && !allFinite(p.value.data)) : undefined;
    if (poisoned) {
      // The weights were finite before the previous update: its gradient was not.
      site = { where: 'gradient', nodeId: site.nodeId, op: site.op, param: poisoned.name };
      at = step - 1;
    }
    const lr = this.loop.lr;
    const kind = this.loop.config.optimizer.kind;
    const what = site.where === 'loss' ? 'the loss' : site.where === 'activation' ? `the output of ${site.nodeId} (${site.op})` : site.param ? `the gradient of ${site.nodeId}.${site.param}` : `the gradient into ${site.nodeId} (${site.op})`;
    const head = poisoned
      ? `At step ${at} (epoch ${epoch}) ${what} became NaN or infinite, and the update put it into the weights; step ${step} then failed`
      : cause === 'nonfinite'
        ? `At step ${step} (epoch ${epoch}) ${what} became NaN or infinite`
        : `At step ${step} (epoch ${epoch}) the loss exploded to ${loss.toPrecision(3)} (more than ${factor}× the first step's ${this.firstLoss!.toPrecision(3)})${site.where === 'activation' ? `; ${what} grew first` : ''}`;
    this.loop.control.hold();
    const restored = this.options.restoresTo();
    this.options.onDiverged({
      step: at,
      epoch,
      cause,
      where: site.where,
      nodeId: site.nodeId,
      op: site.op,
      ...(site.param ? { param: site.param } : {}),
      lr: compact(lr),
      suggestedLr: suggestLr(kind, lr),
      hint: divergenceHint(site, lr, suggestLr(kind, lr), this.options.rawTargets),
      message: `${head}. The run paused without applying step ${step}; resuming restores the weights of step ${restored}.`,
      restoredStep: restored,
    });
    return 'retry';
  }
}

/** Root mean square of `data` (NaN/Inf when any value is). */
function rms(data: Float32Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return data.length ? Math.sqrt(s / data.length) : 0;
}
