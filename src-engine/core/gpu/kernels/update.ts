/**
 * An update (core/elementwise/update.ts) as a WGSL kernel over one parameter: its arrays bound in
 * order (`w` read_write, `g` read, the state slots read_write), then the uniforms `P` — the element
 * count, the row stride of the 2-D grid, each array's offset (in floats) and the step's scalars
 * (float32) — one invocation per element at `i = gid.y * rowStride + gid.x`, every operation in
 * float32 in the statements' order.
 */
import type { Named } from '../../elementwise/expr';
import { resolve, type UpdateForm } from '../../elementwise/update';
import { kernel1d, words } from './dispatch';
import { printWgsl } from './activations';

/** The WGSL source of `form` (`what` names it in errors). */
export function updateWgsl<S>(form: UpdateForm<S>, what?: string): string {
  const r = resolve(form, what);
  const params = `struct Params { n: u32, rowStride: u32, ${r.arrays.map((_, k) => `o${k}: u32, `).join('')}${r.scalars.map((_, k) => `s${k}: f32, `).join('')}}`;
  const text = (at: string): string => (at.startsWith('in:') ? `x${at.slice(3)}` : at.startsWith('s:') ? `P.s${at.slice(2)}` : `t${at.slice(2)}`);
  const lines = r.arrays.map((_, k) => `  let x${k} = A${k}[P.o${k} + i];`);
  r.stmts.forEach((st, j) => {
    const named: Record<Named, string> = {};
    for (const [name, at] of Object.entries(st.reads)) named[name as Named] = text(at);
    lines.push(`  let t${j} = ${printWgsl(st.value, named)};`);
    if (st.storeTo >= 0) lines.push(`  A${st.storeTo}[P.o${st.storeTo} + i] = t${j};`);
  });
  const storage = r.arrays.map((_, k) => [`A${k}`, k === 1 ? 'read' : 'read_write'] as [string, 'read' | 'read_write']);
  return kernel1d(params, storage, `${lines.join('\n')}\n`, { bound: 'P.n' });
}

/** The uniform words of one parameter: its size, grid stride, arrays' offsets and this step's scalars. */
export function updateUniforms(n: number, rowStride: number, offsets: readonly number[], scalars: ArrayLike<number>): Uint32Array {
  const f32: Record<number, number> = {};
  for (let k = 0; k < scalars.length; k++) f32[2 + offsets.length + k] = scalars[k];
  return words([n, rowStride, ...offsets], f32);
}
