/**
 * The primitives a backend provides (GEMM, im2col, allocation, a fused Adam): what an op's
 * kernels may call. Imports nothing of the engine, so that the ops (core/ops/types.ts) can name
 * it and the backend (./types.ts), which adds the per-op kernel set, can name the ops.
 */

/** Parameters of a row-major single-precision matrix product. */
export interface GemmArgs {
  /** A is m×k, or k×m when transA. */
  transA: boolean;
  /** B is k×n, or n×k when transB. */
  transB: boolean;
  m: number;
  n: number;
  k: number;
  a: Float32Array;
  b: Float32Array;
  /** C is m×n. */
  c: Float32Array;
  /** When true, C += op(A)·op(B); otherwise C = op(A)·op(B). */
  accumulate: boolean;
}

/** Geometry of a 2-D convolution/pooling window over one `[C, H, W]` image. */
export interface Conv2dGeometry {
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  outH: number;
  outW: number;
}

/**
 * The compute primitives a backend provides. Ops are written against this interface, so a faster
 * backend (WebAssembly SIMD, WebGPU) speeds every op that uses it without the op changing.
 *
 * Every array argument may be a view (`subarray`) into larger storage the backend allocated; a
 * backend that keeps its own memory (a WebAssembly heap) finds the offset from `byteOffset`.
 */
export interface BackendPrimitives {
  /** Stable id, e.g. `reference`, `cpu-wasm`. */
  readonly name: string;
  /** Human description for the status bar, e.g. `CPU · 2 threads (WebAssembly SIMD)`. */
  readonly description: string;

  /** Allocate zeroed storage. Storage for a compiled graph is allocated once, not per step. */
  alloc(length: number): Float32Array;

  /** C (+)= op(A)·op(B). */
  gemm(args: GemmArgs): void;

  /**
   * Unfold one image `[C, H, W]` into columns `[C·kH·kW, outH·outW]` (zero padding).
   * `image` and `cols` are views for a single sample.
   */
  im2col(image: Float32Array, g: Conv2dGeometry, cols: Float32Array): void;

  /** Fold columns back, accumulating into `image` (`image += col2im(cols)`): the adjoint of im2col. */
  col2im(cols: Float32Array, g: Conv2dGeometry, image: Float32Array): void;

  /**
   * Optional fused Adam/AdamW update of one parameter, in place, with the contract of `adamUpdate`
   * in optim/adam.ts (PyTorch 1.13 semantics; `maxExpAvgSq` null without AMSGrad, `t` the 1-based
   * step); it may compute in float32 as PyTorch does. Optimizers call it when the backend has it.
   * Added by the CPU backend.
   */
  adamUpdate?(
    w: Float32Array,
    g: Float32Array,
    expAvg: Float32Array,
    expAvgSq: Float32Array,
    maxExpAvgSq: Float32Array | null,
    h: AdamUpdateHyper,
    t: number,
  ): void;

  /**
   * Optional: `adamUpdate` for many parameters at once, each with its own hyperparameters, with
   * the same results as calling it once per item in order (the update is element-wise). A
   * threaded backend runs them as one parallel round instead of one per parameter. Adam/AdamW
   * call it when the backend has it. Added by the CPU backend.
   */
  adamUpdateMany?(items: readonly AdamUpdateItem[], t: number): void;

  /**
   * Optional: set every element of `array` to 0, as `array.fill(0)`. Backends whose storage makes
   * `TypedArray.prototype.fill` slow provide it (V8 fills a SharedArrayBuffer-backed array element
   * by element, ~7× slower than a memset); the executor zeroes gradients through it. Added by the
   * CPU backend.
   */
  zero?(array: Float32Array): void;

  /** Release threads and memory. */
  dispose?(): void;
}

/** Adam/AdamW hyperparameters, resolved, as `adamUpdate` takes them (optim's `AdamHyper`). */
export interface AdamUpdateHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: shrink weights by `lr·wd` before the update; Adam: add `wd·w` to the gradient (L2). */
  decoupled: boolean;
  amsgrad: boolean;
}

/** One parameter's update in `BackendPrimitives.adamUpdateMany` (the arguments of `adamUpdate`). */
export interface AdamUpdateItem {
  w: Float32Array;
  g: Float32Array;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  maxExpAvgSq: Float32Array | null;
  h: AdamUpdateHyper;
}
