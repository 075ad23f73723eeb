import { listOps } from '../../ops/registry';
import { identity, ints, type ImportRule } from '../../ops/onnx-import';

export { roundFloat, type ConstantValue, type ImportRule, type Lowered, type RuleContext, type RuleResult } from '../../ops/onnx-import';

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
 * `onnxImport` (its rules sit beside its export mapping), and `Identity`, which is no op. Patterns
 * that span several nodes are read from their first node (MatMul + Add, GlobalAveragePool +
 * Flatten) or by the fusions in import-fusions.ts (GELU's Erf and Tanh forms, the input
 * normalisation). A Map: an op type read from a file (`__proto__`, `toString`) finds no rule it
 * does not own.
 */
export const IMPORT_RULES: ReadonlyMap<string, ImportRule> = (() => {
  const rules = new Map<string, ImportRule>([
    ['Identity', identity],
    ['Pad', zeroPad],
  ]);
  for (const def of listOps()) {
    for (const [opType, rule] of Object.entries(def.onnxImport ?? {})) {
      if (rules.has(opType)) throw new Error(`ONNX ${opType} is read by two ops (${def.name} and another): give it one rule`);
      rules.set(opType, rule);
    }
  }
  return rules;
})();
