import { listOps } from '../../ops/registry';
import { identity, ints, type ImportRule } from '../../../base/onnx/import-rule';
import type { ImportFusion } from '../../../base/onnx/import-fusion';

/**
 * A `Pad` that adds nothing (torch.onnx writes one before `AveragePool` for `nn.AvgPool2d`) is the
 * identity; any other padding is refused.
 */
const zeroPad: ImportRule = (n, cx) => {
  const pads = cx.opset >= 11 ? cx.constant(n.input[1])?.values : ints(n, 'pads');
  if (!pads) return { unsupported: 'the pads must be a constant' };
  if ([...pads].some((p) => p !== 0)) return { unsupported: `only a Pad that adds nothing is supported (pads [${[...pads].join(', ')}]); pad inside the Conv or pool instead` };
  return { alias: n.input[0] };
};

/**
 * The ONNX op types Netwright reads (ai.onnx domain), one rule each: every op file's
 * `onnxImport` (its rules sit beside its export mapping; an op type several ops claim goes by its
 * weight's rank), and `Identity`, which is no op. Patterns that span several nodes are read from
 * their first node (MatMul + Add, GlobalAveragePool + Flatten) or by the op files' `onnxFusions`
 * (`IMPORT_FUSIONS`: GELU's Erf and Tanh forms…) and the importer's input normalisation. A Map:
 * an op type read from a file (`__proto__`, `toString`) finds no rule it does not own.
 */
export const IMPORT_RULES: ReadonlyMap<string, ImportRule> = (() => {
  const claims = new Map<string, { op: string; rule: ImportRule }[]>([
    ['Identity', [{ op: 'Identity', rule: identity }]],
    ['Pad', [{ op: 'Pad', rule: zeroPad }]],
  ]);
  for (const def of listOps()) {
    for (const [opType, rule] of Object.entries(def.onnxImport ?? {})) claims.set(opType, [...(claims.get(opType) ?? []), { op: def.name, rule }]);
  }
  return new Map([...claims].map(([opType, rules]) => [opType, rules.length === 1 ? rules[0].rule : byWeightRank(opType, rules)]));
})();

/**
 * One rule for an op type several ops claim, each for its weight's rank: the node goes to the rule
 * claiming its weight's rank, else to the first claimant, whose own checks say why it cannot be
 * read.
 *
 * @throws Error when a claimant declares no `weightRank`, or two declare the same one.
 */
function byWeightRank(opType: string, claims: readonly { op: string; rule: ImportRule }[]): ImportRule {
  const ranks = claims.map((c) => c.rule.weightRank);
  if (ranks.some((r, i) => r === undefined || ranks.indexOf(r) !== i)) {
    throw new Error(`ONNX ${opType} is read by ${claims.map((c) => c.op).join(' and ')}: give it one rule, or give each a different weightRank`);
  }
  return (n, cx) => {
    const rank = cx.constant(n.input[1])?.dims.length;
    return (claims.find((c) => c.rule.weightRank === rank) ?? claims[0]).rule(n, cx);
  };
}

/**
 * Multi-node patterns read as one op, tried before the per-node rules: every op file's
 * `onnxFusions`, in registry order.
 */
export const IMPORT_FUSIONS: readonly ImportFusion[] = listOps().flatMap((def) => def.onnxFusions ?? []);
