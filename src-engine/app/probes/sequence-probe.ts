import type { CompiledGraph } from '../../core/autodiff/executor';
import type { GraphIR } from '../../base/ir/types';
import { getOp } from '../../core/ops/registry';
import type { TimeTraces } from '../../core/ops/types';
import type { SequenceTrace } from '../../protocol/messages';
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

/**
 * Recurrent layers over time (ops with `OpDef.traces`: LSTM, GRU): for the first probe sample,
 * every gate's activations and the hidden state per step, from the probe plan's eval forward;
 * and the gradient by time step from the training plan's last backward.
 *
 * Reads a plan that has just run `forward(false)` on the probe batch; allocates only the frame.
 */
export class SequenceProbe {
  private readonly traced: Traced[];

  constructor(
    graph: GraphIR,
    private readonly plan: CompiledGraph,
  ) {
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    this.traced = [];
    for (const id of plan.order) {
      const node = byId.get(id)!;
      const traces = getOp(node.op)?.traces;
      if (!traces) continue;
      this.traced.push({ id, op: node.op, traces, input: plan.output(node.inputs[0]).shape, attrs: node.attrs });
    }
  }

  get empty(): boolean {
    return this.traced.length === 0;
  }

  /** `trainPlan`: the plan of the step just taken (its backward left the gradient by time), or null. */
  measure(trainPlan: CompiledGraph | null): SequenceTrace[] {
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
