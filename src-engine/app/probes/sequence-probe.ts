import type { CompiledGraph } from '../../core/autodiff/executor';
import type { DeviceStep } from '../../core/train/types';
import type { GraphIR } from '../../base/ir/types';
import { getOp } from '../../core/ops/registry';
import type { AttentionMaps, TimeTraces } from '../../core/ops/types';
import { ATTENTION_STEPS, type AttentionMap, type SequenceTrace } from '../../protocol';
import { compactOrNull } from './summary';

/** Hidden units a frame shows per recurrent layer (of 128 in the MNIST-row LSTM): a readable heatmap, a small frame. */
export const TRACE_UNITS = 16;

interface Traced {
  id: string;
  op: string;
  traces: TimeTraces;
  input: readonly number[];
  attrs: GraphIR['nodes'][number]['attrs'];
}

interface Attending {
  id: string;
  op: string;
  maps: AttentionMaps;
  input: readonly number[];
  attrs: GraphIR['nodes'][number]['attrs'];
}

/**
 * Sequence layers over time, for the first probe sample, from the probe plan's eval forward:
 * recurrent layers (ops with `OpDef.traces`: RNN, LSTM, GRU) — every gate's activations and the
 * hidden state per step, and the gradient by time step from the training plan's last backward —
 * and attention layers (`OpDef.attentionMaps`: MultiHeadAttention) — each head's weights, queries
 * × keys.
 *
 * Reads a plan that has just run `forward(false)` on the probe batch; allocates only the frame.
 */
export class SequenceProbe {
  private readonly traced: Traced[] = [];
  private readonly attending: Attending[] = [];

  /** `tokens`: the first probe sample's token ids when its input is a sequence of tokens (else null). */
  constructor(
    graph: GraphIR,
    private readonly plan: CompiledGraph,
    private readonly tokens: readonly number[] | null = null,
  ) {
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    for (const id of plan.order) {
      const node = byId.get(id)!;
      const def = getOp(node.op);
      const input = () => plan.output(node.inputs[0]).shape;
      // Asked for now, before any forward: a frozen layer's workspace is then kept (CompileOptions.shareFrozenActivations).
      if (def?.traces || def?.attentionMaps) plan.workspace(id);
      if (def?.traces) this.traced.push({ id, op: node.op, traces: def.traces, input: input(), attrs: node.attrs });
      if (def?.attentionMaps) this.attending.push({ id, op: node.op, maps: def.attentionMaps, input: input(), attrs: node.attrs });
    }
  }

  /** The layers whose workspaces `measure` and `attention` read. */
  get nodes(): string[] {
    return [...this.traced.map((t) => t.id), ...this.attending.map((a) => a.id)];
  }

  get empty(): boolean {
    return this.traced.length === 0 && this.attending.length === 0;
  }

  /** Each attention layer's weights per head for the first probe sample, quantised to 0–255. */
  attention(): AttentionMap[] {
    return this.attending.map((a) => {
      const { heads, steps, of, causal } = a.maps.read(this.plan.workspace(a.id), a.input, a.attrs, 0, ATTENTION_STEPS);
      // NaN (a diverged run) shows as 0: the curves and health warnings say why.
      const quantised = heads.map((m) => Array.from(m, (v) => (Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, v)) * 255) : 0)));
      const tokens = this.tokens && this.tokens.length === of ? this.tokens.slice(0, steps) : undefined;
      return { nodeId: a.id, op: a.op, steps, of, causal, heads: quantised, ...(tokens ? { tokens } : {}) };
    });
  }

  /**
   * On a device run: read back what {@link measure} and {@link attention} read — the recurrent
   * layers' workspace after the probe plan's forward (`probe`), and after the training step's
   * backward (`train`, when a step was taken); the attention layers' weights of the first probe
   * sample — into the plans' host mirrors.
   */
  async fetch(probe: DeviceStep, train: DeviceStep | null): Promise<void> {
    for (const a of this.attending) await probe.readWorkspace(a.id, a.maps.ranges(a.input, a.attrs, 0, ATTENTION_STEPS));
    for (const t of this.traced) {
      const ranges = t.traces.ranges(t.input, t.attrs, 0, TRACE_UNITS);
      await probe.readWorkspace(t.id, ranges.forward);
      if (train) await train.readWorkspace(t.id, ranges.backward);
    }
  }

  /** `trainPlan`: the plan of the step just taken (its backward left the gradient by time), or null. */
  measure(trainPlan: CompiledGraph | null): SequenceTrace[] {
    if (this.traced.length === 0) return [];
    return this.traced.map((t) => {
      const { gates, hidden } = t.traces.read(this.plan.workspace(t.id), t.input, t.attrs, 0, TRACE_UNITS);
      const steps = hidden[0]?.length ?? 0;
      // The training plan's input has its own batch size; the time and feature sizes are the probe plan's.
      const grad = trainPlan ? t.traces.gradByTime(trainPlan.workspace(t.id), [trainPlan.batchSize, ...t.input.slice(1)], t.attrs) : null;
      return {
        nodeId: t.id,
        op: t.op,
        steps,
        gates: t.traces.gates.map((g, q) => ({ name: g.name, range: [g.range[0], g.range[1]] as [number, number], values: gates[q].map((row) => row.map(compactOrNull)) })),
        hidden: hidden.map((row) => row.map(compactOrNull)),
        gradByTime: grad ? grad.map(compactOrNull) : null,
      };
    });
  }
}
