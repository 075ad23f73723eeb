import { listOps } from '../../ops/registry';
import { identity, type ImportRule } from '../../ops/onnx-import';

export { roundFloat, type ConstantValue, type ImportRule, type Lowered, type RuleContext, type RuleResult } from '../../ops/onnx-import';

/**
 * The ONNX op types Netwright reads (ai.onnx domain), one rule each: every op file's
 * `onnxImport` (its rules sit beside its export mapping), and `Identity`, which is no op. Patterns
 * that span several nodes are read from their first node (MatMul + Add, GlobalAveragePool +
 * Flatten) or by the fusions in import-fusions.ts (GELU's Erf and Tanh forms, the input
 * normalisation). A Map: an op type read from a file (`__proto__`, `toString`) finds no rule it
 * does not own.
 */
export const IMPORT_RULES: ReadonlyMap<string, ImportRule> = (() => {
  const rules = new Map<string, ImportRule>([['Identity', identity]]);
  for (const def of listOps()) {
    for (const [opType, rule] of Object.entries(def.onnxImport ?? {})) {
      if (rules.has(opType)) throw new Error(`ONNX ${opType} is read by two ops (${def.name} and another): give it one rule`);
      rules.set(opType, rule);
    }
  }
  return rules;
})();
