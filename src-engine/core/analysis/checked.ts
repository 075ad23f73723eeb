import { GraphError, hasErrors, type Diagnostic } from '../../base/ir/diagnostics';
import type { GraphIR, NodeIR, TrainingConfig } from '../../base/ir/types';
import { getOp } from '../ops/registry';
import { inferShapes } from './infer';
import { analyzeGraph } from './validate';

/**
 * A graph that passed `checkGraph`: the IR with attribute defaults filled and pairs expanded, its
 * nodes' topological order, and its shapes at any batch size. The executors (CPU and GPU), the
 * training loop's binding and the exporters take only this type, so a graph is validated once per
 * request and never again below it: there is no way to make one but `checkGraph` (the constructor
 * is private).
 */
export class CheckedGraph {
  private sortedNodes: readonly NodeIR[] | null = null;

  private constructor(
    /** The normalised IR (defaults filled): what every consumer reads. */
    readonly ir: GraphIR,
    /** Node ids in a topological order (the forward order). */
    readonly order: readonly string[],
    /** The warnings the check found (no errors: a graph with errors is no CheckedGraph). */
    readonly warnings: readonly Diagnostic[],
    /** Trainable parameter count. */
    readonly params: number,
    /** Forward FLOPs per sample. */
    readonly flopsPerSample: number,
    /** Shapes per batch size, inferred on first use (`-1`: the batch dimension left open); shared by `withTraining`'s copies. */
    private readonly shapes: Map<number, Record<string, number[]>>,
  ) {}

  /** The training section (absent for a graph that only runs inference). */
  get training(): TrainingConfig | undefined {
    return this.ir.training;
  }

  /**
   * Every node's output shape at batch size `batch` (dim 0), inferred from the ops' shape rules
   * without validating the graph again; cached per size. Without `batch` the batch dimension is -1.
   *
   * @throws GraphError when a shape rule refuses this batch size (a graph can fit one and not another).
   */
  shapesAt(batch?: number): Record<string, number[]> {
    const key = batch ?? -1;
    const known = this.shapes.get(key);
    if (known) return known;
    if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1)) {
      throw new GraphError([{ code: 'E_BATCH_SIZE', severity: 'error', message: `Batch size must be a positive whole number; got ${String(batch)}.` }]);
    }
    this.sortedNodes ??= sortNodes(this.ir, this.order);
    const inferred = inferShapes(this.sortedNodes, batch === undefined ? {} : { batchSize: batch });
    if (hasErrors(inferred.diagnostics)) throw new GraphError(inferred.diagnostics);
    this.shapes.set(key, inferred.shapes);
    return inferred.shapes;
  }

  /**
   * The same graph with other training settings (the app's and the CLI's overrides: epochs, batch
   * size, optimizer, seed). Settings that change what is trained — the losses, the groups, the
   * prediction output — are checked again: the result is only a `CheckedGraph` if they still hold.
   *
   * @throws GraphError when the new settings do not fit the graph.
   */
  withTraining(training: TrainingConfig): CheckedGraph {
    const old = this.ir.training;
    const same = old !== undefined && sameStructure(old, training);
    if (!same) return checkedOrThrow({ ...this.ir, training });
    const next = new CheckedGraph({ ...this.ir, training }, this.order, this.warnings, this.params, this.flopsPerSample, this.shapes);
    next.sortedNodes = this.sortedNodes;
    return next;
  }

  /**
   * The same graph with each op's regularisation off (`OpDef.withoutRegularization`: Dropout's
   * p = 0) and without early stopping: the sanity check's variant. Not checked again: such a change
   * keeps the graph valid and every shape (the trait's contract), so the shapes are shared.
   */
  withoutRegularization(): CheckedGraph {
    const t = this.ir.training;
    const ir: GraphIR = {
      ...this.ir,
      ...(t ? { training: { ...t, earlyStopping: undefined } } : {}),
      nodes: this.ir.nodes.map((nd) => {
        const off = getOp(nd.op)?.withoutRegularization;
        return off ? { ...nd, attrs: off(nd.attrs) } : nd;
      }),
    };
    return new CheckedGraph(ir, this.order, this.warnings, this.params, this.flopsPerSample, this.shapes);
  }

  /** @internal `checkGraph`'s one way in. */
  static check(json: unknown, batchSize?: number): CheckResult {
    const a = analyzeGraph(json, batchSize === undefined ? {} : { batchSize });
    if (!a.graph || !a.order || hasErrors(a.diagnostics)) return { diagnostics: a.diagnostics };
    return { graph: new CheckedGraph(a.graph, a.order, a.diagnostics, a.params, a.flopsPerSample, new Map([[batchSize ?? -1, a.shapes]])), diagnostics: a.diagnostics };
  }
}

/** `checkGraph`'s answer: the checked graph (and its warnings), or only the diagnostics, errors among them. */
export type CheckResult = { graph: CheckedGraph; diagnostics: Diagnostic[] } | { graph?: undefined; diagnostics: Diagnostic[] };

/**
 * Validate any JSON value as a graph (`analyzeGraph`: migration, structure, attributes, training
 * section, shapes) once, and answer a `CheckedGraph` — or the diagnostics when it has errors.
 * With `batchSize` the shapes are checked at that size too (and cached for it).
 *
 * @example
 * ```ts
 * const r = checkGraph(JSON.parse(text), { batchSize: 64 });
 * if (!r.graph) return showProblems(r.diagnostics);
 * const plan = compileGraph(r.graph, { batchSize: 64, backend, seed: 1 });
 * ```
 */
export function checkGraph(json: unknown, opts: { batchSize?: number } = {}): CheckResult {
  return CheckedGraph.check(json, opts.batchSize);
}

/** `checkGraph`, throwing GraphError (`E_GRAPH_INVALID`, every diagnostic) on errors. A checked graph is returned as it is. */
export function checkedOrThrow(json: unknown, opts: { batchSize?: number } = {}): CheckedGraph {
  if (json instanceof CheckedGraph) {
    if (opts.batchSize !== undefined) json.shapesAt(opts.batchSize);
    return json;
  }
  const r = checkGraph(json, opts);
  if (!r.graph) throw new GraphError(r.diagnostics);
  return r.graph;
}

function sortNodes(ir: GraphIR, order: readonly string[]): NodeIR[] {
  const byId = new Map(ir.nodes.map((n) => [n.id, n]));
  return order.map((id) => byId.get(id)!);
}

/** Whether two training sections train the same things (only the recipe's numbers differ). */
function sameStructure(a: TrainingConfig, b: TrainingConfig): boolean {
  const key = (t: TrainingConfig) => JSON.stringify([t.loss, t.groups ?? null, t.predictionOutput ?? null]);
  return key(a) === key(b);
}
