/**
 * Who runs an int8 model (#85 deliverable 2): a backend's own integer kernels where it has them (the
 * CPU backend's WebAssembly SIMD dot products, node/cpu/int8.ts), else `runInt8`, the pure
 * TypeScript reference. Both give the same uint8 outputs: the arithmetic is integer and the
 * requantisation the same float32 steps (test/unit/cpu-backend/int8.test.ts holds them equal).
 */
import type { Backend } from '../backend/types';
import { runInt8, type Int8Model, type Int8Outputs } from './int8';
import { isChain } from './plan';

/** One int8 model ready to run (its weights packed once). */
export interface Int8Inference {
  /** What runs it, for reports: "WebAssembly SIMD" or "TypeScript". */
  readonly kind: string;
  /** Int8 inference on `count` samples of raw features `x`, as `runInt8`. */
  run(x: Float32Array, count: number): Int8Outputs;
  /** Where the time goes (bench/int8.ts): `run` once, each step's milliseconds, named by step id and what runs it. */
  profile?(x: Float32Array, count: number): { id: string; what: string; ms: number }[];
}

/** A backend's int8 kernels. */
export interface Int8Runtime {
  /** `m` prepared for these kernels, or undefined where they do not cover one of its layers. */
  prepare(m: Int8Model): Int8Inference | undefined;
}

/** A backend that runs int8 models with its own kernels (the CPU backend). */
export interface Int8Capable {
  readonly int8: Int8Runtime;
}

/** What runs a graph (joins, branches, ops without an int8 kernel) that a backend's int8 kernels do not cover: the reference, said so. */
export const GRAPH_FALLBACK = 'TypeScript (a graph the int8 kernels do not cover)';

/** The pure-TypeScript reference as an `Int8Inference`; `kind` says why it runs where another might. */
export function referenceInt8(m: Int8Model, kind = 'TypeScript'): Int8Inference {
  return { kind, run: (x, count) => runInt8(m, x, count) };
}

/**
 * `m` on `backend`'s int8 kernels where it has them and they cover `m`, else the reference; a
 * graph (a U-Net's skips, MobileNet's squeeze-and-excitation) they do not cover says so in `kind`.
 */
export function int8Inference(m: Int8Model, backend?: Backend): Int8Inference {
  const runtime = backend && 'int8' in backend ? (backend as Backend & Int8Capable).int8 : undefined;
  return runtime?.prepare(m) ?? referenceInt8(m, runtime && !isChain(m.plan) ? GRAPH_FALLBACK : 'TypeScript');
}
