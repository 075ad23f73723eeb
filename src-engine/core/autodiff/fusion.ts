import type { FusedKernel, FusedStepContext, KernelFusion } from '../backend/fusion';

/** A run of consecutive steps `[start, end)` of a plan that its backend runs as one kernel. */
export interface FusedGroup {
  readonly start: number;
  readonly end: number;
  readonly kernel: FusedKernel;
  /** Node ids whose outputs and gradients the kernel leaves unwritten (all but the last). */
  readonly interior: readonly string[];
  /** A fused forward ran since the interior outputs were last written. */
  outputsStale: boolean;
  /** A fused backward ran since the interior gradients were last written. */
  gradsStale: boolean;
}

/** What `planFusions` reads of a step. */
export interface ChainStep {
  readonly id: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly ctx: FusedStepContext;
}

/**
 * The chains of `steps` (a plan's forward order) that `rules` fuse, first rule first: consecutive
 * steps whose ops are a rule's, each after the first fed by the one before alone, which it alone
 * consumes (`consumers`: how many nodes read each node's output), and none of the interior ones in
 * `keep` (the losses, whose outputs the step sums). The rule's `build` has the last word (shapes,
 * attributes).
 */
export function planFusions(rules: readonly KernelFusion[] | undefined, steps: readonly ChainStep[], consumers: ReadonlyMap<string, number>, keep: ReadonlySet<string>): FusedGroup[] {
  const groups: FusedGroup[] = [];
  if (!rules?.length) return groups;
  for (let i = 0; i < steps.length; i++) {
    for (const rule of rules) {
      const chain = chainAt(rule, steps, i, consumers, keep);
      const kernel = chain && rule.build(chain.map((s) => s.ctx));
      if (!kernel) continue;
      groups.push({ start: i, end: i + chain.length, kernel, interior: chain.slice(0, -1).map((s) => s.id), outputsStale: false, gradsStale: false });
      i += chain.length - 1;
      break;
    }
  }
  return groups;
}

function chainAt(rule: KernelFusion, steps: readonly ChainStep[], i: number, consumers: ReadonlyMap<string, number>, keep: ReadonlySet<string>): ChainStep[] | null {
  if (i + rule.ops.length > steps.length) return null;
  const chain = steps.slice(i, i + rule.ops.length);
  for (let j = 0; j < chain.length; j++) {
    if (chain[j].op !== rule.ops[j]) return null;
    if (j === 0) continue;
    const prev = chain[j - 1];
    if (chain[j].inputs.length !== 1 || chain[j].inputs[0] !== prev.id) return null;
    if (consumers.get(prev.id) !== 1 || keep.has(prev.id)) return null;
  }
  return chain;
}
