import { featureInput, isGraphInput, isTargetInput } from '../../base/ir/inputs';
import type { GraphIR, NodeIR } from '../../base/ir/types';
import { isStreamed, type Samples } from '../data/types';
import { idOutOfRange } from '../ops/id-range';
import { getOp } from '../ops/registry';

/**
 * Ids against the tables that look them up (#83): an Embedding of 128 rows fed word ids of a
 * vocabulary of 4,874 gave rows of zeros for every id past 127 and trained to 54 % with nothing
 * said. These find it before training, on the data itself (Start, `netwright train`) or on what a
 * scan knows of it (the vocabulary: Problems, Add data), as the kernels refuse it on a batch.
 */

/** A node that looks up ids in a table (its op's `idTable`) fed straight from an Input. */
export interface IdTable {
  node: NodeIR;
  /** The table's size: ids run from −size to size − 1. */
  size: number;
  /** What its entries are called ("rows", "classes") and the attribute that sizes it. */
  noun: string;
  attr: string;
  /** The Input it reads, and whether that is the features (else a target: a conditional GAN's labels). */
  input: NodeIR;
  features: boolean;
}

/** The id tables of `graph` whose ids come straight from an Input (through anything else, only the kernels check them). */
export function idTables(graph: Pick<GraphIR, 'nodes'>): IdTable[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const feats = featureInput(graph);
  const out: IdTable[] = [];
  for (const node of graph.nodes) {
    const table = getOp(node.op)?.idTable;
    const input = byId.get(node.inputs[0] ?? '');
    const size = node.attrs[table?.attr ?? ''];
    if (!table || !input || !isGraphInput(input) || typeof size !== 'number') continue;
    const features = input.id === feats?.id;
    if (!features && !isTargetInput(input)) continue;
    out.push({ node, size, noun: table.noun, attr: table.attr, input, features });
  }
  return out;
}

/**
 * The first id a split feeds a table outside it, as a sentence naming the node, the data, the
 * sample and the fix; undefined when every id is in range. Splits streamed from disk (images, not
 * ids) are not read here. `labels`: whether the target Input receives the class labels.
 */
export function idRangeProblem(graph: Pick<GraphIR, 'nodes'>, splits: readonly Samples[], labels: boolean): string | undefined {
  for (const t of idTables(graph)) {
    for (const ds of splits) {
      if (!t.features && !labels) continue;
      const values = t.features ? (isStreamed(ds) ? undefined : ds.features) : ds.targets;
      if (!values || values.length === 0) continue;
      const bad = idOutOfRange(values, t.size);
      if (!bad) continue;
      const per = Math.max(1, values.length / Math.max(1, ds.count));
      let max = -Infinity;
      for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
      const need = Number.isFinite(max) && max >= t.size ? ` at least ${Math.trunc(max) + 1}` : '';
      return (
        `${t.node.op} “${t.node.id}” has ${t.size.toLocaleString('en-US')} ${t.noun} (ids 0 to ${(t.size - 1).toLocaleString('en-US')}) but ${ds.name} gives it the id ${bad.id} ` +
        `(sample ${Math.floor(bad.at / per)}${Number.isFinite(max) ? `; its ids run to ${max.toLocaleString('en-US')}` : ''}): set ${t.attr} to${need || ' cover every id'}, or fix the data.`
      );
    }
  }
  return undefined;
}
