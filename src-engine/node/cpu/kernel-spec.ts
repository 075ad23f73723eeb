/** A WebAssembly value type. */
export type WasmType = 'i32' | 'i64' | 'f32' | 'f64';

/** A kernel function as instantiated (every argument a JavaScript number). */
export type WasmFunction = (...args: number[]) => number | undefined;

/**
 * One kernel as generated/kernel-table.ts describes it: where it lives, its signature, and how its
 * arguments `A` (by parameter name) map to positions. Apart from the table it describes, so the
 * generated table and kernel.ts, which reads it, import each other in one direction only.
 */
export interface KernelSpec<K extends string, A> {
  /** Index the worker pool addresses it by. */
  readonly id: number;
  readonly name: K;
  /** `module.export`: the module is the `.wat` file's name. */
  readonly qualified: string;
  /** Parameters in call order. */
  readonly params: readonly { readonly name: keyof A & string; readonly type: WasmType }[];
  readonly result: WasmType | null;
  /** Writes `args` into `row[at …]` in parameter order. */
  write(args: A, row: Float64Array, at: number): void;
  /** Calls `fn` with `row[at …]` as its arguments. */
  invoke(fn: WasmFunction, row: Float64Array, at: number): number | undefined;
}
