import type { AttrValue, Attrs, NoMapping, OpDef } from './types';

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

function pythonLiteral(v: AttrValue): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') return String(v);
  return v.length === 0 ? 'None' : `(${v.join(', ')}${v.length === 1 ? ',' : ''})`;
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
  if (!isMapped(def.torch)) return undefined;
  return def.torch.module.replace(PLACEHOLDER, (whole, key: string) => {
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
    if (modifier === 'tensor') return Array.isArray(v) && v.length ? `torch.tensor([${v.join(', ')}])` : 'None';
    return pythonLiteral(v);
  });
}
