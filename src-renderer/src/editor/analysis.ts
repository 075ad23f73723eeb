import { getOp, type Diagnostic, type DesignRun, type GraphIR, type MemoryLimits, analyzeGraph, designMemoryVerdict, probeBatchRequest, splitCountsOf, withInputShape } from '../../../src-engine/facade';
import type { DatasetPreview } from '../../../src-engine/protocol';
import { UNCONNECTED } from './graph';

/** What the canvas shows about a design: the engine's own analysis plus per-node figures. */
export interface DesignAnalysis {
  /** Output shape of every node that could be inferred (dim 0 = batch). */
  shapes: Record<string, number[]>;
  /** Trainable parameters of each node with a known input shape. */
  nodeParams: Record<string, number>;
  /** Forward FLOPs per sample of each node whose op counts them (2 per multiply-accumulate). */
  nodeFlops: Record<string, number>;
  diagnostics: Diagnostic[];
  /** Diagnostics grouped by node id (graph-level ones are only in `diagnostics`). */
  byNode: Record<string, Diagnostic[]>;
  params: number;
  /** Of `params`, those of frozen nodes (`NodeIR.frozen`): kept as they are, not trained. */
  frozenParams: number;
  flopsPerSample: number;
  /** The batch size shapes were inferred with (undefined: unknown, shown as N). */
  batchSize?: number;
  /**
   * A run's memory estimate in bytes at the batch size (`designMemoryVerdict`: the weights, the
   * trained ones' gradients and optimizer state, checkpoint copies, two plans of activations,
   * workspaces and the gradients a backward computes — none in a frozen prefix); with
   * `memoryWithEngine`, the engine's peak as Start estimates it: its base and the data it keeps too.
   */
  memoryBytes: number;
  /** `memoryBytes` counts the engine and the data it would keep (the dataset preview's, `DesignRun.residence`); absent: before the data. */
  memoryWithEngine?: boolean;
  /** How long the analysis took, in ms. */
  elapsedMs: number;
}

/**
 * The document's IR as the engine should receive it (to analyse or to train): identical, except
 * that input slots the user has not connected yet (`""`) are left out, so the engine reports a
 * missing input on that node. A graph with no unconnected slot is returned as is (same object).
 */
export function engineGraph(graph: GraphIR): GraphIR {
  if (!graph.nodes.some((n) => n.inputs.includes(UNCONNECTED))) return graph;
  return { ...graph, nodes: graph.nodes.map((n) => (n.inputs.includes(UNCONNECTED) ? { ...n, inputs: n.inputs.filter((s) => s !== UNCONNECTED) } : n)) };
}

/**
 * Analyse a design the way the engine will: `analyzeGraph` from src-engine/base/ir on exactly the
 * document's IR. The one adaptation: an input slot the user has not connected yet (`""` in
 * `inputs`) is left out, so the engine reports it as a missing input on that node rather than
 * as a reference to a node called "". `limits`: what the engine may use (`EngineInfo.memory`), for
 * the memory verdict Start gives.
 */
export function analyzeDesign(graph: GraphIR, limits: MemoryLimits = {}, run: DesignRun = {}): DesignAnalysis {
  const t0 = performance.now();
  const batchSize = graph.training && Number.isInteger(graph.training.batchSize) && graph.training.batchSize >= 1 ? graph.training.batchSize : undefined;
  const a = analyzeGraph(engineGraph(graph), batchSize === undefined ? {} : { batchSize });
  // Keyed by node ids, which come from files: no prototype, so `toString` is an ordinary key.
  const nodeParams = Object.create(null) as Record<string, number>;
  const nodeFlops = Object.create(null) as Record<string, number>;
  for (const node of graph.nodes) {
    if (!Object.hasOwn(a.shapes, node.id)) continue;
    const def = getOp(node.op);
    if (!def?.params && !def?.flops) continue;
    if (!node.inputs.every((s) => Object.hasOwn(a.shapes, s))) continue;
    const inputs = node.inputs.map((s) => a.shapes[s]);
    try {
      if (def.params) nodeParams[node.id] = def.params({ inputs, attrs: node.attrs }).reduce((sum, p) => sum + p.shape.reduce((x, d) => x * d, 1), 0);
      const f = def.flops?.({ inputs, attrs: node.attrs, output: a.shapes[node.id] });
      if (typeof f === 'number' && Number.isFinite(f) && f > 0) nodeFlops[node.id] = f;
    } catch {
      // The engine's own analysis reports a node whose rules throw; the badge just stays empty.
    }
  }
  let frozenParams = 0;
  for (const node of graph.nodes) if (node.frozen && Object.hasOwn(nodeParams, node.id)) frozenParams += nodeParams[node.id];
  // Start's verdict on memory, with the engine's limits (EngineInfo.memory) and what is known of the
  // run (`run`: `designRun`): the Problems panel shows the refusal, and the largest batch that fits,
  // before Train is pressed.
  const memory = designMemoryVerdict(a, engineGraph(graph), batchSize ?? 1, batchSize === undefined ? {} : limits, run);
  const memoryBytes = memory.verdict.estimate.bytes;
  const tooBig = memory.diagnostic;
  // An empty canvas is where every design starts, not a problem (the start panel shows instead);
  // the engine still refuses to train one.
  const found = graph.nodes.length === 0 ? a.diagnostics.filter((d) => d.code !== 'E_EMPTY') : a.diagnostics;
  const diagnostics: Diagnostic[] = tooBig ? [...found, tooBig] : found;
  const byNode = Object.create(null) as Record<string, Diagnostic[]>;
  for (const d of diagnostics) if (d.nodeId !== undefined) (byNode[d.nodeId] ??= []).push(d);
  return { shapes: a.shapes, nodeParams, nodeFlops, diagnostics, byNode, params: a.params, frozenParams, flopsPerSample: a.flopsPerSample, batchSize, memoryBytes, ...(run.residence && batchSize !== undefined ? { memoryWithEngine: true } : {}), elapsedMs: performance.now() - t0 };
}

/**
 * What the Problems panel's memory verdict knows of the run Start would make (`DesignRun`): the
 * splits' sizes and what the engine would keep for the run (its base and the data: `residence`,
 * counted as Start counts it) from the train panel's dataset preview, when it is of this design's
 * data (`key`: the preview's, `datasetPreviewKey`), and the probes when they are on
 * (`probeBatchRequest`, as Start asks), so Problems names the batch Start would and the status bar
 * an estimate of the engine's peak. Without a preview of this data, Start's first check's (no splits, no engine).
 */
export function designRun(graph: GraphIR, ui: { probes: boolean; preview?: DatasetPreview; previewKey?: string }): DesignRun {
  const t = graph.training;
  if (!t) return {};
  const own = ui.preview && ui.previewKey === datasetPreviewKey(graph) ? ui.preview : undefined;
  const counts = own?.counts;
  const splits = counts ? { train: { count: counts.train }, val: { count: counts.val }, test: { count: counts.test } } : undefined;
  return {
    ...(splits ? { splitCounts: splitCountsOf(splits) } : {}),
    ...(own?.engine ? { residence: own.engine } : {}),
    ...(ui.probes ? { probes: splits ? probeBatchRequest(splits) : {} } : {}),
  };
}

/** The train panel's dataset preview's key for `graph`'s data (its dataset at the Input's shape); undefined without training settings. */
export function datasetPreviewKey(graph: GraphIR): string | undefined {
  return graph.training ? JSON.stringify(withInputShape(graph.training.dataset, graph)) : undefined;
}
