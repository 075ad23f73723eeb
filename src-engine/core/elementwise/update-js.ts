/**
 * The reference loop of an update (update.ts), printed as JavaScript: float64 arithmetic, each
 * `store` rounded to float32 (`Math.fround`, then written), in the statements' order; compiled once
 * per form on first use.
 *
 * NOTE: compiled with `new Function`, in the engine's process only (as js.ts's kernels).
 */
import type { Named } from './expr';
import { printJs } from './js';
import { resolve, type UpdateForm } from './update';

/** One parameter's update: its arrays (`w`, `g`, then the form's state slots) and its scalars (the form's order). */
export type UpdateLoop = (arrays: readonly Float32Array[], scalars: Float64Array) => void;

/** The loop's source: every element of `w` updated in place, its state slots written. */
export function updateSource<S>(form: UpdateForm<S>, what?: string): string {
  const r = resolve(form, what);
  const text = (at: string): string => (at.startsWith('in:') ? `x${at.slice(3)}` : at.startsWith('s:') ? `s${at.slice(2)}` : `t${at.slice(2)}_`);
  const head = [...r.arrays.map((_, k) => `const a${k} = A[${k}];`), ...r.scalars.map((_, k) => `const s${k} = S[${k}];`)];
  const body: string[] = [...r.arrays.map((_, k) => `const x${k} = a${k}[i];`)];
  r.stmts.forEach((st, j) => {
    const named: Record<Named, string> = {};
    for (const [name, at] of Object.entries(st.reads)) named[name as Named] = text(at);
    const { lines, result } = printJs(st.value, named);
    // Each statement's common subexpressions are its own (printJs names them t0, t1 …): a block keeps them apart.
    const value = st.storeTo >= 0 ? `Math.fround(${result})` : result;
    body.push(lines.length ? `let t${j}_;\n{\n${lines.map((l) => `  ${l}`).join('\n')}\n  t${j}_ = ${value};\n}` : `const t${j}_ = ${value};`);
    if (st.storeTo >= 0) body.push(`a${st.storeTo}[i] = t${j}_;`);
  });
  return `${head.join('\n')}\nconst n = a0.length;\nfor (let i = 0; i < n; i++) {\n${body.map((l) => l.replace(/^/gm, '  ')).join('\n')}\n}`;
}

const compiled = new WeakMap<object, UpdateLoop>();

/** The form's reference loop, compiled on first use. */
export function updateLoop<S>(form: UpdateForm<S>, what?: string): UpdateLoop {
  let loop = compiled.get(form);
  if (!loop) compiled.set(form, (loop = new Function('A', 'S', updateSource(form, what)) as UpdateLoop));
  return loop;
}
