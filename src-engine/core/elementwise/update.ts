/**
 * The expression language for in-place updates (an optimizer's step): named inputs and outputs,
 * per-step scalars and state slots, and an explicit operation order — statements, each one tree of
 * expr.ts over named values (`v('m')`). One update is written once, as transformations chained in
 * optax's manner (`chain(l2Decay, adamMoments)`: each brings its statements and the scalars it
 * reads); the reference loop (JS, `update-js.ts`), the GPU's WGSL (core/gpu/optim.ts) and the CPU
 * backend's f32x4 WebAssembly (node/cpu/kernels/optim-gen.ts) are printed from it.
 *
 * Names: `w` (the parameter, read and written), `g` (its gradient, read), the state slots the form
 * lists (read and written), the scalars, and every statement's name. A statement may name a value
 * again (`temp('g', add(v('g'), …))`): later statements read the new one.
 *
 * NOTE (precision): the devices compute every operation in float32, in the statements' order, as
 * PyTorch's float32 kernels do (Adam's order is PyTorch 1.13's `_single_tensor_adam`); the
 * reference computes in float64 and rounds where a value is stored (`store`: state is float32, as
 * PyTorch's, and later statements read the stored value). Scalars are computed on the host in
 * float64 once per parameter and step and rounded to float32 there (`stepScalars`), so every
 * backend — the reference, the GPU's uniforms, the CPU's kernels — reads the same float32 values.
 *
 * @example SGD's step after L2 decay: `chain(l2Decay, { scalars: [lr], body: [store('w', sub(v('w'), mul(v('lr'), v('g'))))] })`.
 */
import { keyOf, occurrences, type Expr, type Named } from './expr';

/** Where a step's scalars are computed: the rate this step, the 1-based step, the parameter's decay flag. */
export interface StepAt {
  readonly lr: number;
  readonly t: number;
  /** Whether weight decay applies to this parameter (`OptimParam.decay`). */
  readonly decay: boolean;
}

/** A per-step scalar: its name and its value from the settings `S` (defaults filled in) and the step. */
export interface Scalar<S> {
  readonly name: string;
  value(s: S, at: StepAt): number;
}

/** A scalar named `name` (computed in host float64; `stepScalars` rounds it to float32). */
export const scalar = <S>(name: string, value: (s: S, at: StepAt) => number): Scalar<S> => ({ name, value });

/**
 * This step's scalars of `update` into `out` (its order), each rounded to float32 once, here: the
 * one place a step's scalars are computed, for every backend.
 *
 * NOTE: PyTorch 1.13 computes them in Python (float64: `step_size = lr / bias_correction1`,
 * `1 - beta2` in `_single_tensor_adam`) and its float32 kernels cast each to the tensor's dtype
 * before any arithmetic (`scalar_t scalar_val = value.to<scalar_t>()` in addcdiv_/addcmul_'s CPU
 * kernels, aten/src/ATen/native/cpu/PointwiseOpsKernel.cpp; `add_(alpha=)`, `mul_(β)` alike:
 * test/golden/check_scalar_cast.py measures it). Rounding here gives the reference those values
 * too; the GPU's uniforms and the CPU's kernels (`f32.demote_f64`) took them so already.
 */
export function stepScalars<S>(update: Pick<UpdateStep<S>, 'scalars'>, settings: S, at: StepAt, out: Float64Array): Float64Array {
  for (let k = 0; k < update.scalars.length; k++) out[k] = Math.fround(update.scalars[k].value(settings, at));
  return out;
}

/**
 * One statement: `temp` names a temporary (float64 in the reference, float32 on the devices);
 * `store` writes the state slot (or `w`) it names, rounded to float32 — later reads see that value.
 */
export type Stmt = { readonly kind: 'let' | 'store'; readonly name: string; readonly value: Expr };

export const temp = (name: string, value: Expr): Stmt => ({ kind: 'let', name, value });
export const store = (name: string, value: Expr): Stmt => ({ kind: 'store', name, value });

/** A transformation: statements and the scalars they read (what `chain` composes). */
export interface UpdateStep<S> {
  readonly scalars: readonly Scalar<S>[];
  readonly body: readonly Stmt[];
}

/** The steps one after another (optax's `chain`): their statements in order, their scalars once each. */
export function chain<S>(...steps: readonly UpdateStep<S>[]): UpdateStep<S> {
  const scalars = new Map<string, Scalar<S>>();
  for (const s of steps) for (const k of s.scalars) scalars.set(k.name, k);
  return { scalars: [...scalars.values()], body: steps.flatMap((s) => s.body) };
}

/** One variant of an update (AMSGrad or not, …): its state slots in binding order, its statements. */
export interface UpdateForm<S> extends UpdateStep<S> {
  /** The state slots it reads and writes, as `stateSlots` names them for the settings that pick it. */
  readonly state: readonly string[];
}

/** What an optimizer file declares: its forms and which one settings pick. */
export interface UpdateDecl<S> {
  readonly forms: Readonly<Record<string, UpdateForm<S>>>;
  /** The form for these settings (defaults filled in). */
  pick(s: S): string;
}

/** The arrays a form binds, in order: `w`, `g`, then its state slots. */
export const arraysOf = (form: Pick<UpdateForm<unknown>, 'state'>): string[] => ['w', 'g', ...form.state];

/** The name of the CPU backend's generated kernel of `kind`'s form `form` (its `.wat` export). */
export const updateKernelName = (kind: string, form: string): string => `update_${kind}_${form}`.replace(/\W/g, '_');

/** The named values e reads (a key that starts with @ is a named leaf's: compound keys start with a parenthesis). */
const namesRead = (e: Expr): Named[] => [...occurrences(e).keys()].filter((k): k is Named => k.startsWith('@'));

/**
 * The statements checked and resolved for a printer: each statement's value with every name it reads
 * replaced by what it reads (`input:w`, `scalar:lr`, `stmt:3`), and what each stores. Throws on a name
 * read before it is set, a store to `g` or to a slot the form does not bind, a form that never stores `w`.
 */
export interface Resolved {
  readonly arrays: readonly string[];
  readonly scalars: readonly string[];
  /** Per statement: its value, the names it reads mapped to `in:k` (array k), `s:k` (scalar k) or `t:j` (statement j), and the array it stores to (-1: none). */
  readonly stmts: readonly { readonly value: Expr; readonly reads: Readonly<Record<Named, string>>; readonly storeTo: number }[];
}

export function resolve<S>(form: UpdateForm<S>, what = 'update'): Resolved {
  const arrays = arraysOf(form);
  const scalars = form.scalars.map((s) => s.name);
  const env = new Map<string, string>();
  arrays.forEach((a, k) => env.set(a, `in:${k}`));
  scalars.forEach((s, k) => {
    if (env.has(s)) throw new Error(`${what}: the scalar ${s} has an array's name`);
    env.set(s, `s:${k}`);
  });
  let storesW = false;
  const stmts = form.body.map((st, j) => {
    const reads: Record<Named, string> = {};
    for (const name of namesRead(st.value)) {
      const at = env.get(name.slice(1));
      if (!at) throw new Error(`${what}: statement ${j} (${st.name}) reads ${name.slice(1)} before it is set`);
      reads[name] = at;
    }
    const storeTo = st.kind === 'store' ? arrays.indexOf(st.name) : -1;
    if (st.kind === 'store' && (storeTo < 0 || st.name === 'g')) throw new Error(`${what}: statement ${j} stores to ${st.name}, which is not w or a state slot of the form`);
    storesW ||= st.kind === 'store' && st.name === 'w';
    env.set(st.name, `t:${j}`);
    return { value: st.value, reads, storeTo };
  });
  if (!storesW) throw new Error(`${what}: the form never stores w`);
  return { arrays, scalars, stmts };
}

/** A text that names the form's maths (for kernel caches and generated comments). */
export function describeForm<S>(form: UpdateForm<S>): string {
  return form.body.map((s) => `${s.kind === 'store' ? `${s.name} ←` : `${s.name} =`} ${keyOf(s.value)}`).join('; ');
}
