/** Whether the canvas already holds a given design (a stored run's): then opening it would lose nothing. */
import { analyzeGraph, type GraphIR } from '../../../src-engine/facade';
import { engineGraph } from './analysis';

/**
 * Whether `canvas` is the design `design` (a stored run's graph, as the engine kept it): the same
 * nodes, wiring, attributes, outputs, groups and training section, once both are normalised as the
 * engine normalises a graph it trains (attribute defaults filled: a run stores its graph so), and
 * with the canvas's unconnected slots left out as `train.start` sends them. The layout is no part of
 * either: a canvas that holds the design keeps its own. A graph the engine cannot read is compared
 * as it is.
 *
 * @example
 * ```ts
 * holdsDesign(editor.history.present.graph, (await openRun(client, id)).graph); // true right after training it
 * ```
 */
export function holdsDesign(canvas: GraphIR, design: unknown, resumedFrom?: { runId: string }): boolean {
  return canonicalJson(normalised(engineGraph(canvas))) === canonicalJson(normalised(asTrained(design, canvas, resumedFrom)));
}

/**
 * A resumed run's design as its parent's canvas held it: `train.resume` records the parent's design
 * starting from the parent's checkpoint (`startFrom: { kind: 'run', run: parent }`), whatever the
 * canvas said; that start is the resume's, not an edit, so the canvas's own stands in for it.
 */
function asTrained(design: unknown, canvas: GraphIR, resumedFrom: { runId: string } | undefined): unknown {
  if (!resumedFrom || !design || typeof design !== 'object') return design;
  const training = (design as { training?: { startFrom?: { kind?: string; run?: string } } }).training;
  const from = training?.startFrom;
  if (from?.kind !== 'run' || from.run !== resumedFrom.runId) return design;
  const { startFrom: _resumed, ...rest } = training as Record<string, unknown>;
  const own = canvas.training?.startFrom;
  return { ...design, training: { ...rest, ...(own ? { startFrom: own } : {}) } };
}

function normalised(graph: unknown): unknown {
  return analyzeGraph(graph).graph ?? graph;
}

/** JSON with every object's keys sorted (and members whose value is undefined left out, as JSON leaves them), so key order does not count. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}
