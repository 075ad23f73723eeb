/**
 * What each node of a design costs at batch 1 (#85 deliverable 6, "latency where it is decided"):
 * the time its forward takes on a backend, measured, and the memory it holds — its output
 * (activation) and its weights (parameters and buffers), all float32.
 *
 * The forward is the executor's own (`compileGraph`, eval mode, batch 1, inputs zero) on a view of
 * the backend whose kernels are timed one by one, as bench/profile.ts times a training step's: each
 * op's forward (its backend kernel, or its reference kernel where the backend has none) and each
 * fused chain's (core/backend/fusion.ts), whose time is shared among its nodes by their FLOPs. Each
 * node's figure is its median over the repeats; the whole forward is timed too, its kernels untimed,
 * in the same repeats, so the nodes' summed times can be held to it (the clock reads and the calls
 * around each kernel add a little of their own; the executor's loop between kernels is in the whole).
 */
import type { CheckedGraph } from '../analysis/checked';
import { compileGraph } from '../autodiff/executor';
import type { Backend } from '../backend/types';
import type { FusedKernel, FusedStepContext, KernelFusion } from '../backend/fusion';
import type { KernelSet, OpKernelOverride } from '../ops/kernel-set';
import { getOp, listOps } from '../ops/registry';
import { referenceKernel } from '../ops/kernels/registry';
import type { Tensor } from '../../base/tensor';

/** One node's cost at batch 1. */
export interface NodeCost {
  id: string;
  /** Median forward time, in milliseconds (its share of a fused chain's, by FLOPs, when `fusedWith`). */
  ms: number;
  /** Its output's bytes at batch 1 (float32). */
  activationBytes: number;
  /** Its parameters' and buffers' bytes (float32). */
  paramBytes: number;
  /** The other nodes of the fused chain it ran in, whose time it shares; absent when it ran alone. */
  fusedWith?: string[];
}

/** The design's cost at batch 1 on one backend. */
export interface LatencyReport {
  /** In the graph's order. */
  nodes: NodeCost[];
  /**
   * The nodes' times summed, per timed forward, and the median of those sums: the figure to hold to
   * `forwardMs` (a shared machine's load moves a forward's median and a node's differently; the
   * sum of the nodes' medians, on a quiet machine about this, drops the spikes the whole keeps).
   */
  sumMs: number;
  /** The whole forward's median time, its kernels untimed, in the same repeats. */
  forwardMs: number;
  /** How many timed forwards the medians are of. */
  repeats: number;
  /** The backend, in words (`CPU · 4 threads (WebAssembly SIMD)`). */
  backend: string;
}

export interface LatencyOptions {
  /** Forwards run before timing (allocation, first-call costs). Default 2. */
  warmup?: number;
  /** Fewest timed forwards. Default 3. */
  minRepeats?: number;
  /** Most timed forwards. Default 25. */
  maxRepeats?: number;
  /** Stop repeating once this much time has gone by (after `minRepeats`), in ms. Default 800. */
  budgetMs?: number;
  /** Called between repeats, so a host can serve other messages meanwhile. */
  yieldBetween?: () => Promise<void>;
  /** The clock, in ms. Default `performance.now`. */
  now?: () => number;
}

/** The median of `xs` (not empty). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A view of `backend` whose op kernels and fused chains add their time to `record` while `timing()`
 * is true, keyed by the output tensor they write (a chain: by its steps' outputs, with their shares).
 */
function timedBackend(backend: Backend, timing: () => boolean, now: () => number, record: (outputs: readonly Tensor[], ms: number) => void): Backend {
  const base: KernelSet = backend.overrides ?? {};
  const overrides: Record<string, OpKernelOverride> = {};
  for (const def of listOps()) {
    const own = (base as Record<string, OpKernelOverride | undefined>)[def.name];
    const forward = own?.forward ?? referenceKernel(def).forward;
    overrides[def.name] = {
      ...own,
      forward: (ctx) => {
        if (!timing()) return forward(ctx);
        const t = now();
        forward(ctx);
        record([ctx.output], now() - t);
      },
    };
  }
  const fusions = backend.fusions?.map(
    (rule): KernelFusion => ({
      ops: rule.ops,
      build(steps: readonly FusedStepContext[]): FusedKernel | null {
        const k = rule.build(steps);
        if (!k) return null;
        const outputs = steps.map((s) => s.output);
        return {
          ...k,
          materializeOutputs: () => k.materializeOutputs(),
          materializeGrads: () => k.materializeGrads(),
          backward: () => k.backward(),
          forward: () => {
            if (!timing()) return k.forward();
            const t = now();
            k.forward();
            record(outputs, now() - t);
          },
        };
      },
    }),
  );
  // Everything else (primitives, heap, dispose) is the backend's own.
  const view = Object.create(backend) as Backend & { overrides: KernelSet; fusions?: readonly KernelFusion[] };
  Object.defineProperty(view, 'overrides', { value: overrides });
  Object.defineProperty(view, 'fusions', { value: fusions });
  return view;
}

/**
 * Each node's forward time and memory at batch 1 on `backend` (which it leaves as it was: the
 * timing is a view of it).
 *
 * @example
 * const r = await measureNodeLatency(checkedOrThrow(graph), await createCpuBackend());
 * r.nodes.find((n) => n.id === 'conv1')!.ms; // → 0.21
 */
export async function measureNodeLatency(checked: CheckedGraph, backend: Backend, options: LatencyOptions = {}): Promise<LatencyReport> {
  const now = options.now ?? (() => performance.now());
  const shapes = checked.shapesAt(1);
  const byId = new Map(checked.ir.nodes.map((n) => [n.id, n]));
  // A node's FLOPs per sample, which share a fused chain's time among its nodes.
  const flops = (id: string): number => {
    const node = byId.get(id)!;
    try {
      const f = getOp(node.op)?.flops?.({ inputs: node.inputs.map((i) => shapes[i]), attrs: node.attrs, output: shapes[id] });
      return typeof f === 'number' && Number.isFinite(f) && f > 0 ? f : 0;
    } catch {
      return 0;
    }
  };
  let timing = false;
  const idOf = new Map<Tensor, string>();
  const round = new Map<string, number>();
  const fused = new Map<string, string[]>();
  const record = (outputs: readonly Tensor[], ms: number): void => {
    const ids = outputs.map((t) => idOf.get(t)).filter((id): id is string => id !== undefined);
    if (ids.length === 0) return;
    if (ids.length > 1) for (const id of ids) fused.set(id, ids.filter((x) => x !== id));
    const weights = ids.map(flops);
    const total = weights.reduce((a, b) => a + b, 0);
    ids.forEach((id, i) => round.set(id, (round.get(id) ?? 0) + ms * (total > 0 ? weights[i] / total : 1 / ids.length)));
  };
  const plan = compileGraph(checked, { batchSize: 1, backend: timedBackend(backend, () => timing, now, record), seed: checked.ir.training?.seed ?? 1 });
  for (const id of checked.order) idOf.set(plan.output(id), id);
  const warmup = options.warmup ?? 2;
  for (let i = 0; i < warmup; i++) plan.forward(false);
  const perNode = new Map<string, number[]>(checked.order.map((id) => [id, []]));
  const whole: number[] = [];
  const sums: number[] = [];
  const started = now();
  const minRepeats = options.minRepeats ?? 3;
  const maxRepeats = Math.max(minRepeats, options.maxRepeats ?? 25);
  const budget = options.budgetMs ?? 800;
  const forwardWhole = (): void => {
    timing = false;
    const t = now();
    plan.forward(false);
    whole.push(now() - t);
  };
  const forwardTimed = (): void => {
    timing = true;
    round.clear();
    plan.forward(false);
    timing = false;
  };
  while (whole.length < maxRepeats && (whole.length < minRepeats || now() - started < budget)) {
    // NOTE: the first forward after a yield runs on caches the host's other work has cooled; the
    // two kinds take turns being it, so neither is the slower one by order.
    if (whole.length % 2) {
      forwardTimed();
      forwardWhole();
    } else {
      forwardWhole();
      forwardTimed();
    }
    let sum = 0;
    for (const id of checked.order) {
      const ms = round.get(id) ?? 0;
      perNode.get(id)!.push(ms);
      sum += ms;
    }
    sums.push(sum);
    await options.yieldBetween?.();
  }
  const paramValues = new Map<string, number>();
  for (const p of [...plan.params, ...plan.buffers]) paramValues.set(p.nodeId, (paramValues.get(p.nodeId) ?? 0) + p.value.data.length);
  const nodes = checked.order.map((id): NodeCost => {
    const others = fused.get(id);
    return {
      id,
      ms: median(perNode.get(id)!),
      activationBytes: 4 * (shapes[id] ?? []).reduce((a, b) => a * b, 1),
      paramBytes: 4 * (paramValues.get(id) ?? 0),
      ...(others ? { fusedWith: others } : {}),
    };
  });
  return { nodes, sumMs: median(sums), forwardMs: median(whole), repeats: whole.length, backend: backend.description };
}
