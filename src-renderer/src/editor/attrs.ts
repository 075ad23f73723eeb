import { getOp, type AttrSpec, type AttrValue, type NodeIR } from '../../../src-engine/facade';

/** Outcome of reading what a user typed into an attribute field. */
export type AttrParse = { ok: true; value: AttrValue } | { ok: false; message: string };

function rangeText(spec: { min?: number; max?: number }): string {
  if (spec.min !== undefined && spec.max !== undefined) return `between ${spec.min} and ${spec.max}`;
  if (spec.min !== undefined) return `at least ${spec.min}`;
  return `at most ${spec.max}`;
}

function checkNumber(spec: { kind: 'int' | 'float'; min?: number; max?: number }, n: number): string | undefined {
  if (!Number.isFinite(n)) return 'Enter a number.';
  if (spec.kind === 'int' && !Number.isInteger(n)) return 'Enter a whole number.';
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) return `Must be ${rangeText(spec)}.`;
  return undefined;
}

/**
 * Why `value` is not valid for `spec`, or undefined when it is. The reducer refuses invalid
 * values, so a document only ever holds attrs its ops accept.
 */
export function attrProblem(spec: AttrSpec, value: unknown): string | undefined {
  switch (spec.kind) {
    case 'int':
    case 'float':
      return typeof value === 'number' ? checkNumber(spec, value) : 'Enter a number.';
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'Must be true or false.';
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? undefined : `Must be one of: ${spec.values.join(', ')}.`;
    case 'ints': {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'number')) return 'Enter whole numbers separated by commas.';
      if (spec.length !== undefined && value.length !== spec.length) return `Enter exactly ${spec.length} value${spec.length === 1 ? '' : 's'}.`;
      const bad = (value as number[]).find((v) => !Number.isInteger(v) || (spec.min !== undefined && v < spec.min));
      if (bad !== undefined) return Number.isInteger(bad) ? `Every value must be at least ${spec.min}.` : 'Enter whole numbers separated by commas.';
      return undefined;
    }
    case 'floats':
      return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v)) ? undefined : 'Enter numbers separated by commas.';
  }
}

/**
 * Read a text field for a numeric or list attr, validating as the user types.
 *
 * @example
 * ```ts
 * parseAttrText({ kind: 'ints', default: [1], min: 1, doc: '' }, '1, 28, 28') // { ok: true, value: [1, 28, 28] }
 * parseAttrText({ kind: 'int', default: 10, min: 1, doc: '' }, '0')          // { ok: false, message: 'Must be at least 1.' }
 * ```
 */
export function parseAttrText(spec: AttrSpec, text: string): AttrParse {
  const t = text.trim();
  let value: AttrValue;
  switch (spec.kind) {
    case 'int':
    case 'float':
      if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return { ok: false, message: spec.kind === 'int' ? 'Enter a whole number.' : 'Enter a number.' };
      value = Number(t);
      break;
    case 'bool':
      if (t !== 'true' && t !== 'false') return { ok: false, message: 'Must be true or false.' };
      value = t === 'true';
      break;
    case 'enum':
      value = t;
      break;
    case 'ints':
    case 'floats': {
      const body = t.replace(/^\[|\]$/g, '').trim();
      const parts = body === '' ? [] : body.split(/[\s,×]+|(?<=\d)x(?=\d)/).filter((p) => p !== '');
      const nums = parts.map((p) => (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(p) ? Number(p) : NaN));
      if (nums.some((n) => Number.isNaN(n))) return { ok: false, message: spec.kind === 'ints' ? 'Enter whole numbers separated by commas.' : 'Enter numbers separated by commas.' };
      value = nums;
      break;
    }
  }
  const problem = attrProblem(spec, value);
  return problem ? { ok: false, message: problem } : { ok: true, value };
}

/** The text a field shows for a value (`1, 28, 28` for lists). */
export function formatAttrValue(value: AttrValue | undefined): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

/** Whether two attr values are equal (lists element-wise). */
export function sameValue(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/**
 * The attrs every given node has, with the same kind, in the first node's order: what the
 * inspector shows for a multi-selection (e.g. two Linears share outFeatures, bias and init; a
 * Linear and a ReLU share nothing).
 */
export function commonAttrs(nodes: readonly NodeIR[]): [string, AttrSpec][] {
  const defs = nodes.map((n) => getOp(n.op));
  if (defs.length === 0 || defs.some((d) => !d)) return [];
  return Object.entries(defs[0]!.attrs).filter(([name, spec]) => defs.every((d) => d!.attrs[name]?.kind === spec.kind));
}
