/**
 * The reference kernels of an elementwise op, printed from its expressions as JavaScript (float64,
 * rounded once when stored, as every op file's reference kernel) and compiled once per form.
 *
 * NOTE: compiled with `new Function` on first use, in the engine's process only (the renderer,
 * whose CSP forbids it, reads op metadata and never runs a kernel).
 */
import { erf, sigmoid, softplus } from '../ops/special';
import type { Attrs, OpBackwardContext, OpForwardContext } from '../ops/types';
import { backwardOf, formFor, gradient, keyOf, uses, type Cond, type ElementwiseDecl, type Expr, type Fn } from './expr';

/** Each primitive as a float64 JS expression of its argument's text. */
const LOWER: Record<Fn, (u: string) => string> = {
  exp: (u) => `Math.exp(${u})`,
  expm1: (u) => `Math.expm1(${u})`,
  log1p: (u) => `Math.log1p(${u})`,
  abs: (u) => `Math.abs(${u})`,
  tanh: (u) => `Math.tanh(${u})`,
  tanhGrad: (t) => `(1 - ${t} * ${t})`,
  sigmoid: (u) => `sigmoid(${u})`,
  sigmoidRest: (u) => `(1 - sigmoid(${u}))`,
  softplus: (u) => `softplus(${u})`,
  erf: (u) => `erf(${u})`,
  normCdf: (u) => `(0.5 * (1 + erf(${u} * ${Math.SQRT1_2})))`,
  normPdf: (u) => `(0.3989422804014327 * Math.exp(-0.5 * ${u} * ${u}))`,
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

function compile(body: string): Loop {
  const make = new Function('erf', 'sigmoid', 'softplus', `return function kernel(x, y, dy, dx, p, q) {\n${body}\n};`) as (...fns: unknown[]) => Loop;
  return make(erf, sigmoid, softplus);
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
export function referenceKernels(decl: ElementwiseDecl): { forward(ctx: OpForwardContext): void; backward(ctx: OpBackwardContext): void } {
  const forwards = new Map<string, Loop>();
  const backwards = new Map<string, Loop>();
  const params = (attrs: Attrs): [number, number] => [decl.params?.[0](attrs) ?? 0, decl.params?.[1]?.(attrs) ?? 0];
  const loop = (cache: Map<string, Loop>, form: string, source: () => string): Loop => {
    let k = cache.get(form);
    if (!k) cache.set(form, (k = compile(source())));
    return k;
  };
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
 * An elementwise op's declaration with the reference kernels printed from it: what an activation's
 * op file spreads into its `defineOp` (`...elementwise({ forms: { main: { forward: mul(x, sigmoid(x)) } }, cost: 10 })`).
 */
export function elementwise(decl: ElementwiseDecl): { elementwise: ElementwiseDecl } & ReturnType<typeof referenceKernels> {
  return { elementwise: decl, ...referenceKernels(decl) };
}
