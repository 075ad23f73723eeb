/**
 * The reference kernels of an elementwise op, printed from its expressions as JavaScript (float64,
 * rounded once when stored, as every op file's reference kernel) and compiled once per form (a
 * binary op's: once per form, direction and which inputs are broadcast).
 *
 * NOTE: compiled with `new Function` on first use, in the engine's process only (the renderer,
 * whose CSP forbids it, reads op metadata and never runs a kernel).
 */
import { erf, sigmoid, softplus } from '../ops/special';
import type { Attrs, OpBackwardContext, OpForwardContext } from '../ops/types';
import { backwardOf, formFor, gradient, keyOf, uses, type Cond, type ElementwiseDecl, type Expr, type Fn, type Input } from './expr';

/** Each primitive as a float64 JS expression of its argument's text. */
const LOWER: Record<Fn, (u: string) => string> = {
  exp: (u) => `Math.exp(${u})`,
  expm1: (u) => `Math.expm1(${u})`,
  log1p: (u) => `Math.log1p(${u})`,
  log: (u) => `Math.log(${u})`,
  abs: (u) => `Math.abs(${u})`,
  tanh: (u) => `Math.tanh(${u})`,
  tanhGrad: (t) => `(1 - ${t} * ${t})`,
  sigmoid: (u) => `sigmoid(${u})`,
  sigmoidRest: (u) => `(1 - sigmoid(${u}))`,
  softplus: (u) => `softplus(${u})`,
  erf: (u) => `erf(${u})`,
  normCdf: (u) => `(0.5 * (1 + erf(${u} * ${Math.SQRT1_2})))`,
  normPdf: (u) => `(0.3989422804014327 * Math.exp(-0.5 * ${u} * ${u}))`,
  sqrt: (u) => `Math.sqrt(${u})`,
};

const BINARY = { add: '+', sub: '-', mul: '*', div: '/' } as const;
const COMPARE = { gt: '>', ge: '>=', lt: '<', le: '<=', eq: '===' } as const;

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * The body of one element's computation: `const` lines for the subexpressions used more than once
 * (computed once), and the result's text.
 */
export function printJs(e: Expr, leaves: Readonly<Record<string, string>>): { lines: string[]; result: string } {
  const counts = new Map<string, number>();
  const count = (n: Expr | Cond): void => {
    const k = keyOf(n);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    if ((counts.get(k) ?? 0) > 1) return;
    if (n.kind === 'leaf' || n.kind === 'const') return;
    if (n.kind === 'neg' || n.kind === 'call') count(n.a);
    else if (n.kind === 'select') [n.cond, n.then, n.else].forEach(count);
    else {
      count(n.a);
      count(n.b);
    }
  };
  count(e);
  const lines: string[] = [];
  const named = new Map<string, string>();
  const print = (n: Expr): string => {
    const k = keyOf(n);
    const seen = named.get(k);
    if (seen) return seen;
    const text = printNode(n);
    if ((counts.get(k) ?? 0) < 2 || n.kind === 'leaf' || n.kind === 'const') return text;
    const name = `t${named.size}`;
    lines.push(`const ${name} = ${text};`);
    named.set(k, name);
    return name;
  };
  const printCond = (k: Cond): string => (k.kind === 'and' ? `(${printCond(k.a)} && ${printCond(k.b)})` : `${print(k.a)} ${COMPARE[k.kind]} ${print(k.b)}`);
  const printNode = (n: Expr): string => {
    switch (n.kind) {
      case 'leaf':
        return leaves[n.name];
      case 'const':
        return n.value < 0 || Object.is(n.value, -0) ? `(${num(n.value)})` : num(n.value);
      case 'neg':
        return `(-${print(n.a)})`;
      case 'call':
        return LOWER[n.fn](print(n.a));
      case 'select':
        return `(${printCond(n.cond)} ? ${print(n.then)} : ${print(n.else)})`;
      case 'max':
        return `Math.max(${print(n.a)}, ${print(n.b)})`;
      case 'min':
        return `Math.min(${print(n.a)}, ${print(n.b)})`;
      default:
        return `(${print(n.a)} ${BINARY[n.kind]} ${print(n.b)})`;
    }
  };
  const result = print(e);
  return { lines, result };
}

type Loop = (x: Float32Array, y: Float32Array, dy: Float32Array | undefined, dx: Float32Array | undefined, p: number, q: number) => void;

function compile<K>(args: string, body: string): K {
  const make = new Function('erf', 'sigmoid', 'softplus', `return function kernel(${args}) {\n${body}\n};`) as (...fns: unknown[]) => K;
  return make(erf, sigmoid, softplus);
}

const UNARY_ARGS = 'x, y, dy, dx, p, q';

type Kernels = { forward(ctx: OpForwardContext): void; backward(ctx: OpBackwardContext): void };

/** p and q of the declaration for these attributes (absent: 0). */
const paramsOf = (decl: ElementwiseDecl, attrs: Attrs): [number, number] => [decl.params?.[0](attrs) ?? 0, decl.params?.[1]?.(attrs) ?? 0];

/** A loop compiled on first use from `source()` (its parameters `args`), kept in `cache` under `key`. */
function cached<K>(cache: Map<string, K>, key: string, args: string, source: () => string): K {
  let k = cache.get(key);
  if (!k) cache.set(key, (k = compile<K>(args, source())));
  return k;
}

/** The forward loop's source: `y[i] = f(x[i])`. */
export function forwardSource(e: Expr): string {
  const { lines, result } = printJs(e, { x: 'v', p: 'p', q: 'q' });
  return `for (let i = 0; i < x.length; i++) {\n  const v = x[i];\n${lines.map((l) => `  ${l}\n`).join('')}  y[i] = ${result};\n}`;
}

/** The backward loop's source: `dx[i] += dy[i]·f'(x[i])`. */
export function backwardSource(fPrime: Expr): string {
  const g = gradient(fPrime);
  const { lines, result } = printJs(g, { x: 'x[i]', y: 'y[i]', dy: 'dy[i]', p: 'p', q: 'q' });
  return `for (let i = 0; i < dx.length; i++) {\n${lines.map((l) => `  ${l}\n`).join('')}  dx[i] += ${result};\n}`;
}

/** The op file's reference `forward` and `backward`, printed from its declaration (compiled once per form, on first use). */
export function referenceKernels(decl: ElementwiseDecl): Kernels {
  const forwards = new Map<string, Loop>();
  const backwards = new Map<string, Loop>();
  const params = (attrs: Attrs) => paramsOf(decl, attrs);
  const loop = (cache: Map<string, Loop>, form: string, source: () => string): Loop => cached(cache, form, UNARY_ARGS, source);
  return {
    forward({ inputs, output, attrs }) {
      const form = formFor(decl, attrs);
      loop(forwards, form, () => forwardSource(decl.forms[form].forward))(inputs[0].data, output.data, undefined, undefined, ...params(attrs));
    },
    backward({ inputs, output, dOutput, dInputs, attrs }) {
      const dx = dInputs[0]?.data;
      if (!dx) return;
      const form = formFor(decl, attrs);
      const fPrime = backwardOf(decl.forms[form]);
      if (uses(fPrime, 'y') && output.data.length !== dx.length) throw new Error('elementwise backward: the saved output is missing');
      loop(backwards, form, () => backwardSource(fPrime))(inputs[0].data, output.data, dOutput.data, dx, ...params(attrs));
    },
  };
}

/**
 * A binary loop: `a`, `b` the inputs, `ia`/`ib` their broadcast index maps (absent: the output's
 * shape, read at i), `y` the output, `dy` its gradient, `ds` the gradient written (backward).
 */
type BinaryLoop = (a: Float32Array, b: Float32Array, ia: Int32Array | undefined, ib: Int32Array | undefined, y: Float32Array, dy: Float32Array | undefined, ds: Float32Array | undefined, p: number, q: number) => void;
const BINARY_ARGS = 'a, b, ia, ib, y, dy, ds, p, q';

/** Where a binary loop reads its inputs: at their broadcast index, or at i where an input has the output's shape. */
const at = (broadcastA: boolean, broadcastB: boolean) => ({ a: broadcastA ? 'a[ia[i]]' : 'a[i]', b: broadcastB ? 'b[ib[i]]' : 'b[i]' });

/** A binary forward loop's source: `y[i] = f(a[ia[i]], b[ib[i]])`. */
export function binaryForwardSource(e: Expr, broadcastA: boolean, broadcastB: boolean): string {
  const r = at(broadcastA, broadcastB);
  const { lines, result } = printJs(e, { x: 'v', x2: 'w', p: 'p', q: 'q' });
  return `for (let i = 0; i < y.length; i++) {\n  const v = ${r.a};\n  const w = ${r.b};\n${lines.map((l) => `  ${l}\n`).join('')}  y[i] = ${result};\n}`;
}

/**
 * A binary backward loop's source for the input `wrt`: `ds[is[i]] += dy[i]·∂f/∂wrt`, over the
 * output in increasing order — the sum over the axes that input was broadcast along (a scatter:
 * each of its values gathers the output values that read it, in their order).
 */
export function binaryBackwardSource(fPrime: Expr, wrt: Input, broadcastA: boolean, broadcastB: boolean): string {
  const r = at(broadcastA, broadcastB);
  const g = gradient(fPrime);
  const { lines, result } = printJs(g, { x: r.a, x2: r.b, y: 'y[i]', dy: 'dy[i]', p: 'p', q: 'q' });
  const target = (wrt === 'x' ? broadcastA : broadcastB) ? `ds[${wrt === 'x' ? 'ia' : 'ib'}[i]]` : 'ds[i]';
  return `for (let i = 0; i < dy.length; i++) {\n${lines.map((l) => `  ${l}\n`).join('')}  ${target} += ${result};\n}`;
}

const indexMaps = new Map<string, Int32Array>();

/**
 * For each element of the output `out`, the index it reads in an input of `shape` broadcast to it
 * (a dim of 1 repeated); undefined where the input has the output's shape (it reads index i).
 * Kept per pair of shapes (the last 8).
 */
export function broadcastIndex(shape: readonly number[], out: readonly number[]): Int32Array | undefined {
  if (shape.length === out.length && shape.every((d, k) => d === out[k])) return undefined;
  const key = `${shape.join()}|${out.join()}`;
  const known = indexMaps.get(key);
  if (known) return known;
  const n = out.reduce((p, d) => p * d, 1);
  const idx = new Int32Array(n);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  for (let o = 0; o < n; o++) {
    let rest = o;
    let src = 0;
    for (let i = out.length - 1; i >= 0; i--) {
      const c = rest % out[i];
      rest = (rest - c) / out[i];
      if (shape[i] !== 1) src += c * strides[i];
    }
    idx[o] = src;
  }
  // A graph has a few broadcast pairs; the maps are an output's size each, so keep only the recent ones.
  if (indexMaps.size >= 8) indexMaps.delete(indexMaps.keys().next().value!);
  indexMaps.set(key, idx);
  return idx;
}

/**
 * A binary op's reference `forward` and `backward`: each input read at its broadcast index, each
 * input's gradient summed over its broadcast axes; a variadic op folds its inputs left
 * (`y = f(x0, x1)`, then `y = f(y, xk)`: Add's float32 sums in the op's order).
 */
export function binaryReferenceKernels(decl: ElementwiseDecl): Kernels {
  const cache = new Map<string, BinaryLoop>();
  const params = (attrs: Attrs) => paramsOf(decl, attrs);
  const loop = (key: string, source: () => string): BinaryLoop => cached(cache, key, BINARY_ARGS, source);
  return {
    forward({ inputs, output, attrs }) {
      const form = formFor(decl, attrs);
      const forward = decl.forms[form].forward;
      if (inputs.length === 1) return output.data.set(inputs[0].data);
      const ia = broadcastIndex(inputs[0].shape, output.shape);
      for (let k = 1; k < inputs.length; k++) {
        // After the first step the left operand is the output itself (the fold's running value).
        const [a, iak] = k === 1 ? [inputs[0].data, ia] : [output.data, undefined];
        const ib = broadcastIndex(inputs[k].shape, output.shape);
        loop(`${form}:fwd:${!!iak}:${!!ib}`, () => binaryForwardSource(forward, !!iak, !!ib))(a, inputs[k].data, iak, ib, output.data, undefined, undefined, ...params(attrs));
      }
    },
    backward({ inputs, output, dOutput, dInputs, attrs }) {
      const form = formFor(decl, attrs);
      inputs.forEach((input, k) => {
        const ds = dInputs[k]?.data;
        if (!ds) return;
        const wrt: Input = k === 0 ? 'x' : 'x2';
        const fPrime = backwardOf(decl.forms[form], false, wrt);
        if (uses(fPrime, 'y') && output.data.length !== dOutput.data.length) throw new Error('elementwise backward: the saved output is missing');
        // A variadic op's derivatives read neither input (checked by `elementwise`): a two-input op's read both, at their indices.
        const [a, b] = inputs.length === 2 ? inputs : [input, input];
        const ia = broadcastIndex(a.shape, output.shape);
        const ib = broadcastIndex(b.shape, output.shape);
        const [iak, ibk] = inputs.length === 2 ? [ia, ib] : wrt === 'x' ? [ia, undefined] : [undefined, ib];
        loop(`${form}:bwd:${wrt}:${!!iak}:${!!ibk}`, () => binaryBackwardSource(fPrime, wrt, !!iak, !!ibk))(a.data, b.data, iak, ibk, output.data, dOutput.data, ds, ...params(attrs));
      });
    },
  };
}

/** A variadic declaration whose derivatives read an input or the output (the fold would need every step's value). */
function checkVariadic(decl: ElementwiseDecl): void {
  if (!decl.binary?.variadic) return;
  for (const [name, form] of Object.entries(decl.forms)) {
    for (const wrt of ['x', 'x2'] as const) {
      const g = backwardOf(form, false, wrt);
      if (uses(g, 'x') || uses(g, 'x2') || uses(g, 'y')) throw new Error(`elementwise: a variadic op's derivative may not read x, x2 or y (form ${name}, d/d${wrt})`);
    }
  }
}

/**
 * An elementwise op's declaration with the reference kernels printed from it: what an activation's
 * op file spreads into its `defineOp` (`...elementwise({ forms: { main: { forward: mul(x, sigmoid(x)) } }, cost: 10 })`),
 * and a binary op's (`...elementwise({ forms: { main: { forward: mul(x, x2) } }, binary: {}, cost: 1 })`).
 */
export function elementwise(decl: ElementwiseDecl): { elementwise: ElementwiseDecl } & Kernels {
  checkVariadic(decl);
  return { elementwise: decl, ...(decl.binary ? binaryReferenceKernels(decl) : referenceKernels(decl)) };
}
