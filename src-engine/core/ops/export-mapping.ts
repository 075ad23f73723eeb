import type { AttrValue, Attrs, NoMapping, OpDef, TorchExpression, TorchMapping } from './types';
import { pyNumber, pyString, pyTuple } from '../export/python-source';

/** True when a mapping exists (not an explicit `{ none: reason }`). */
export function isMapped<T extends object>(m: T | NoMapping): m is T {
  return !('none' in m);
}

/** The attr's value, or the op's default when the design leaves it out. */
function attrOf(def: OpDef, attrs: Readonly<Record<string, unknown>>, name: string): AttrValue | undefined {
  const v = attrs[name];
  return v === undefined ? def.attrs[name]?.default : (v as AttrValue);
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

/** An attr's value in a template: strings through the exporters' one escaper (python-source.ts), a list as a tuple (empty: None). */
function pythonLiteral(v: AttrValue): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return pyString(v);
  if (typeof v === 'number') return pyNumber(v);
  return v.length === 0 ? 'None' : pyTuple(v);
}

/**
 * The PyTorch module constructor for one node, from the op's `torch` template (see
 * `TorchMapping`), or undefined when the op has no module.
 *
 * @param inputShape the first input's shape, batch included.
 * @throws Error when the template names an attr the op does not have (a bug in the op file).
 * @example torchModuleText(getOp('Linear')!, { outFeatures: 10 }, [64, 784]) // 'nn.Linear(784, 10, bias=True)'
 */
export function torchModuleText(def: OpDef, attrs: Attrs, inputShape: readonly number[]): string | undefined {
  const m = torchModule(def);
  if (!m) return undefined;
  const template = m.byRank?.[inputShape.length] ?? m.module;
  return fillTorchTemplate(def, template, attrs, inputShape);
}

/**
 * `torchModuleText` in parts: the template the node's module is written from, and the text of each
 * of its placeholders in order (`key`, e.g. `in[1]` or `outChannels`, and the Python it stands for).
 * model.py's repeated blocks (core/export/torch-blocks.ts) compare templates and pass the texts
 * that differ from one block to the next as the block's arguments. Undefined when the op has no module.
 */
export function torchModuleParts(def: OpDef, attrs: Attrs, inputShape: readonly number[]): { template: string; slots: { key: string; text: string }[] } | undefined {
  const m = torchModule(def);
  if (!m) return undefined;
  const template = m.byRank?.[inputShape.length] ?? m.module;
  const slots = [...template.matchAll(PLACEHOLDER)].map((x) => ({ key: x[1], text: fillTorchTemplate(def, x[0], attrs, inputShape) }));
  return { template, slots };
}

/** `template` (a `torchModuleParts` template) with its placeholders replaced by `texts`, in order. */
export function fillTorchSlots(template: string, texts: readonly string[]): string {
  let k = 0;
  return template.replace(PLACEHOLDER, () => texts[k++]);
}

/** The op's PyTorch module mapping, or undefined when it is no module. */
export function torchModule(def: OpDef): TorchMapping | undefined {
  return 'module' in def.torch ? def.torch : undefined;
}

/** The op's `forward()` expression when it is no module (`TorchExpression`), else undefined. */
export function torchExpression(def: OpDef): TorchExpression | undefined {
  return 'expr' in def.torch ? def.torch : undefined;
}

/**
 * The Python expression `forward()` writes for a node whose op is no module (Add, Concat), from
 * the op's `torch.expr` template; `inputs` are the variables holding its inputs.
 *
 * @example torchExpressionText(getOp('Add')!, {}, [[2, 4], [2, 4]], ['a', 'b']) // 'a + b'
 */
export function torchExpressionText(def: OpDef, attrs: Attrs, inputShape: readonly number[], inputs: readonly string[]): string | undefined {
  const e = torchExpression(def);
  if (!e) return undefined;
  const joined = e.expr.replace(/\{inputs\|([^{}]*)\}/g, (_m, sep: string) => inputs.join(sep));
  return fillTorchTemplate(def, joined, attrs, inputShape);
}

function fillTorchTemplate(def: OpDef, template: string, attrs: Attrs, inputShape: readonly number[]): string {
  return template.replace(PLACEHOLDER, (whole, key: string) => {
    const dims = /^in\[(-?\d+)\]$/.exec(key);
    if (dims) {
      const i = Number(dims[1]);
      return String(inputShape[i < 0 ? inputShape.length + i : i]);
    }
    const tail = /^in\[-(\w+):\]$/.exec(key);
    if (tail) return pythonLiteral(inputShape.slice(-Number(attrOf(def, attrs, tail[1]))));
    const [name, modifier] = key.split(':');
    const v = attrOf(def, attrs, name);
    if (v === undefined) throw new Error(`${def.name}: the torch template's ${whole} names no attr of the op.`);
    if (modifier === 'tensor') return Array.isArray(v) && v.length ? `torch.tensor([${v.map(pyNumber).join(', ')}])` : 'None';
    return pythonLiteral(v);
  });
}
