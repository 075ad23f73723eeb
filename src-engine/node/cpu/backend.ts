import { availableParallelism, cpus } from 'node:os';
import type { Backend, Conv2dGeometry, FusedUpdateItem, GemmArgs } from '../../core/backend/types';
import { createReferenceBackend } from '../../core/backend/reference';
import type { Int8Capable } from '../../core/quantize/runtime';
import type { CpuContext } from './context';
import { createInt8Runtime } from './int8';
import { compileKernelModules, describeCpu, detectWasmFeatures, instantiateKernels, type WasmFeatures } from './features';
import { SharedHeap } from './heap';
import { createOverrides } from './overrides';
import { batchNormReluFusions } from './fusions/batch-norm-relu';
import { convBatchNormFusions } from './fusions/conv-batch-norm';
import { KIND, MAX_TASKS_GEMM, partsFor } from './functions';
import { GEMM, HEAP, KERNELS, type KernelArgs } from './generated/kernel-table';
import { Kernel, KERNEL_LIST, type KernelName, type KernelPlan, type KernelProfiler, type KernelTally, type ParamName } from './kernel';
import type { WasmFunction } from './kernel-spec';
import { MAX_TASKS, MAX_THREADS, WorkerPool } from './pool';

/**
 * Multiply-adds below which a GEMM runs on the calling thread alone: waking a worker costs a few
 * microseconds, about what 2¹⁸ multiply-adds take on one core at ~50 GFLOP/s.
 */
const MIN_MACS_PER_THREAD = 1 << 18;

export interface CpuBackendOptions {
  /** Threads sharing each kernel, the calling thread included (at most 64). Default: every core. */
  threads?: number;
  /** Use relaxed-SIMD FMA where the runtime supports it (default true). */
  relaxedSimd?: boolean;
  /** Heap size to reserve up front, in bytes (it grows as needed). */
  initialHeapBytes?: number;
  /** Run chains of ops as one kernel where it has one (`Backend.fusions`; default true; tests compare both). */
  fusions?: boolean;
}

/** A CPU backend also reports what it detected (for the status bar and the bench). */
export interface CpuBackend extends Backend, Int8Capable {
  readonly threads: number;
  readonly features: WasmFeatures & { fma: boolean };
  /** The shared heap, for diagnostics (bytes in use). */
  readonly heap: SharedHeap;
  fusedUpdate: NonNullable<Backend['fusedUpdate']>;
  /** Independent GEMMs in one parallel round, as `gemm` on each in turn (see `CpuContext.gemmMany`). */
  gemmMany(list: readonly GemmArgs[], beside?: () => void): void;
  /** C = op(A)·op(B) + `bias` on every row (see `CpuContext.gemmBias`). */
  gemmBias(args: GemmArgs, bias: Float32Array): void;
  /** Parallel rounds run so far (fork/joins that woke the workers), for diagnostics (bench/profile.ts). */
  readonly launches: number;
  /** Start tallying every kernel's calls, wall time and (GEMMs) FLOPs, for diagnostics (bench/profile.ts, bench/run.ts). */
  startKernelProfile(): void;
  /** Stop tallying; the tallies since `startKernelProfile`, by kernel name. */
  stopKernelProfile(): Map<KernelName, KernelTally>;
  /**
   * The 128-bit multiply-add peak's loop (gemm.wat `fmaPeak`: relaxed-SIMD fused multiply-adds
   * where this backend uses them, else a mul and an add) as `tasks` tasks of `iterations` rounds
   * each, in one parallel round on this backend's threads; returns the FLOPs done. bench/run.ts
   * times it to state each GEMM as a share of the peak.
   */
  fmaPeak(iterations: number, tasks: number): number;
  zero: NonNullable<Backend['zero']>;
  dispose(): void;
}

/** Floats from which a memset is split across threads (a 1 MiB memset takes ~0.1 ms alone). */
const ZERO_SPLIT = 1 << 18;

/** Number of cores this process may use. */
export function defaultThreadCount(): number {
  try {
    return Math.max(1, availableParallelism());
  } catch {
    return Math.max(1, cpus().length);
  }
}


/**
 * Arrays that are not heap views, staged into the heap for one kernel call: copied in, and copied
 * back out for outputs by `unstage` (see `CpuContext.addressOf`).
 */
class Staging {
  private at = 0;
  private bytes = 0;
  private readonly staged: { array: Float32Array; at: number; length: number; out: boolean }[] = [];

  constructor(private readonly heap: SharedHeap) {}

  addressOf(array: Float32Array, length: number, what: string, copyIn: boolean, out: boolean): number {
    if (array.length < length) {
      throw new Error(`CPU006: ${what} has ${array.length} elements but the operation needs ${length}.`);
    }
    const heap = this.heap;
    if (heap.owns(array)) return array.byteOffset;
    const staged = this.staged;
    const used = staged.reduce((s, e) => s + Math.ceil((e.length * 4) / 64) * 64, 0);
    const need = used + Math.ceil((length * 4) / 64) * 64;
    if (need > this.bytes) {
      // Grow geometrically; the old block is abandoned (bump heap), so this happens O(log n) times.
      const bytes = Math.max(need * 2, 1 << 16);
      const at = heap.reserve(bytes);
      const f = heap.f32();
      for (const e of staged) f.copyWithin(at / 4 + (e.at - this.at) / 4, e.at / 4, e.at / 4 + e.length);
      for (const e of staged) e.at = at + (e.at - this.at);
      this.at = at;
      this.bytes = bytes;
    }
    const at = this.at + used;
    if (copyIn) heap.f32().set(array.subarray(0, length), at / 4);
    staged.push({ array, at, length, out });
    return at;
  }

  unstage(): void {
    const staged = this.staged;
    if (staged.length === 0) return;
    const f = this.heap.f32();
    for (const e of staged) if (e.out) e.array.set(f.subarray(e.at / 4, e.at / 4 + e.length));
    staged.length = 0;
  }
}

/**
 * The op overrides' scratch (unfolded columns, partial gradients): grown on demand, so it settles
 * after the first step of a compiled graph and never allocates again.
 */
class ScratchArena {
  private threadBytes = 0;
  private readonly perThread: number[] = [];
  private sharedBytes = 0;
  private sharedAt = 0;

  constructor(
    private readonly heap: SharedHeap,
    private readonly threads: number,
  ) {}

  threadScratch(bytes: number): readonly number[] {
    if (bytes > this.threadBytes) {
      this.threadBytes = Math.ceil(bytes / 4096) * 4096;
      this.perThread.length = 0;
      for (let t = 0; t < this.threads; t++) this.perThread.push(this.heap.reserve(this.threadBytes));
    }
    return this.perThread;
  }

  sharedScratch(bytes: number): number {
    if (bytes > this.sharedBytes) {
      this.sharedBytes = Math.ceil(bytes / 4096) * 4096;
      this.sharedAt = this.heap.reserve(this.sharedBytes);
    }
    return this.sharedAt;
  }
}

/** One GEMM's task: the kernel's arguments but the per-thread scratch. */
type GemmTask = Omit<KernelArgs['gemm'], 'scratch'>;

/** GEMMs cut into tasks across the pool (`Backend.gemm`, `CpuContext.gemmMany`). */
class CpuGemm {
  constructor(
    private readonly heap: SharedHeap,
    private readonly staging: Staging,
    private readonly threads: number,
    private readonly kernel: Kernel<'gemm', 'scratch'>,
  ) {}

  gemm(args: GemmArgs): void {
    try {
      this.runTasks(this.tasks(args));
    } finally {
      this.staging.unstage();
    }
  }

  /** C = op(A)·op(B) + `bias` on every row (`CpuContext.gemmBias`). */
  gemmBias(args: GemmArgs, bias: Float32Array): void {
    if (args.accumulate) throw new Error('gemmBias: C is written, not accumulated onto');
    try {
      this.runTasks(this.tasks(args, bias));
    } finally {
      this.staging.unstage();
    }
  }

  /**
   * Independent GEMMs (no output read or written by another) as one parallel round where any of
   * them would run in parallel: each is cut as `gemm` cuts it, so every element is computed the
   * same way and the results are the same bits; only the worker wake-ups are shared. GEMMs that
   * would each run on the calling thread alone still do, one after another.
   */
  gemmMany(list: readonly GemmArgs[], beside?: () => void): void {
    const heap = this.heap;
    // NOTE: a staged copy may move when a later `addressOf` grows the staging area, so operands
    // outside the heap (tests, mostly) take the one-GEMM-at-a-time path, which stages per GEMM
    // (and `beside` after them, which may stage its own).
    if (!list.every((g) => heap.owns(g.a) && heap.owns(g.b) && heap.owns(g.c))) {
      for (const g of list) this.gemm(g);
      beside?.();
      return;
    }
    try {
      const each = list.map((g) => this.tasks(g));
      const all = each.flat();
      if (all.length > MAX_TASKS || each.every((tasks) => tasks.length <= 1)) {
        beside?.();
        for (const tasks of each) this.runTasks(tasks);
      } else this.runTasks(all, beside);
    } finally {
      this.staging.unstage();
    }
  }

  /**
   * The tasks one GEMM is cut into, on staged addresses; [] when there is nothing to multiply
   * (k ≤ 0 has already cleared C unless accumulating).
   */
  private tasks(args: GemmArgs, biasRow?: Float32Array): GemmTask[] {
    const { transA, transB, m, n, k: depth, accumulate } = args;
    if (m <= 0 || n <= 0) return [];
    if (depth <= 0) {
      if (biasRow) for (let i = 0; i < m; i++) args.c.set(biasRow.subarray(0, n), i * n);
      else if (!accumulate) args.c.fill(0, 0, m * n);
      return [];
    }
    const a = this.staging.addressOf(args.a, m * depth, 'gemm: A', true, false);
    const b = this.staging.addressOf(args.b, depth * n, 'gemm: B', true, false);
    const c = this.staging.addressOf(args.c, m * n, 'gemm: C', accumulate, true);
    const bias = biasRow ? this.staging.addressOf(biasRow, n, 'gemm: bias', true, false) : 0;
    const lda = transA ? m : depth;
    const ldb = transB ? depth : n;
    const macs = m * n * depth;
    const threads = this.threads;
    // NOTE: products with m·n ≤ GEMM.DOT_MAX_OUTPUT stay whole: gemm.wat computes them as dot
    // products when transB (a path chosen from the block's own m·n), so splitting could change
    // the method. Otherwise up to two tasks per thread (dynamic scheduling; each task re-packs
    // its shared operand, so more would cost more packing than it saves).
    const parts =
      m * n <= GEMM.DOT_MAX_OUTPUT || threads === 1 ? 1 : Math.min(2 * threads, MAX_TASKS_GEMM, Math.max(1, Math.floor(macs / MIN_MACS_PER_THREAD)));
    const whole: GemmTask = { transA: transA ? 1 : 0, transB: transB ? 1 : 0, m, n, k: depth, a, lda, b, ldb, c, ldc: n, accumulate: accumulate ? 1 : 0, bias };
    if (parts === 1) return [whole];
    const tasks: GemmTask[] = [];
    if (n >= m) {
      // Split columns in whole micro-panels: each thread packs its own slice of B.
      const chunk = Math.ceil(n / parts / GEMM.NR) * GEMM.NR;
      for (let n0 = 0; n0 < n; n0 += chunk) tasks.push({ ...whole, n: Math.min(chunk, n - n0), b: b + 4 * (transB ? n0 * ldb : n0), c: c + 4 * n0, bias: bias && bias + 4 * n0 });
    } else {
      const chunk = Math.ceil(m / parts / GEMM.MR) * GEMM.MR;
      for (let m0 = 0; m0 < m; m0 += chunk) tasks.push({ ...whole, m: Math.min(chunk, m - m0), a: a + 4 * (transA ? m0 : m0 * lda), c: c + 4 * m0 * n });
    }
    return tasks;
  }

  /** Run tasks: one on the calling thread, more as one parallel round (with the caller's `beside` work: `WorkerPool.run`). */
  private runTasks(tasks: readonly GemmTask[], beside?: () => void): void {
    const k = this.kernel;
    if (tasks.length > 1) {
      k.begin(tasks[0], tasks.length);
      for (let t = 1; t < tasks.length; t++) for (const [name, value] of Object.entries(tasks[t]) as [keyof GemmTask, number][]) k.set(t, name, value);
      k.launch(beside);
      return;
    }
    beside?.();
    if (tasks.length === 1) k.call(tasks[0]);
  }
}

/** im2col's and col2im's arguments (the same parameters): `img` ⇄ `cols` for geometry `g`. */
function convArgs(img: number, g: Conv2dGeometry, cols: number): KernelArgs['im2col'] & KernelArgs['col2im'] {
  const { channels: C, height: H, width: W, kernelH: kH, kernelW: kW, strideH: sH, strideW: sW, padH: pH, padW: pW, dilationH: dH, dilationW: dW, outH: oH, outW: oW } = g;
  return { img, C, H, W, kH, kW, sH, sW, pH, pW, dH, dW, oH, oW, cols };
}

/**
 * One optimizer update's generated kernel (kernels/optim.wat, printed from its declaration by
 * optim-gen.ts: `update_<kind>_<form>(a0 … ak, i0, i1, s0 … sm)`) over every parameter, in as few
 * parallel rounds as fit (MAX_TASKS tasks each), not one round per parameter: each item is cut into
 * 16-aligned tasks (small ones stay one task), and the rounds run them side by side. The update is
 * element-wise, so any cut gives the same bits.
 */
class CpuUpdate {
  constructor(
    private readonly staging: Staging,
    private readonly threads: number,
    private readonly kernel: Kernel<KernelName>,
    private readonly name: string,
  ) {}

  run(items: readonly FusedUpdateItem[]): void {
    let tasks = 0;
    let from = 0;
    for (let i = 0; i <= items.length; i++) {
      const parts = i < items.length ? partsFor(items[i].arrays[0].length, this.threads, Infinity, 16) : 0;
      if (i === items.length || tasks + parts > MAX_TASKS) {
        if (i > from) this.round(items, from, i, tasks);
        tasks = 0;
        from = i;
      }
      tasks += parts;
    }
  }

  /** Items [from, to) as `tasks` tasks of one round. */
  private round(items: readonly FusedUpdateItem[], from: number, to: number, tasks: number): void {
    const { staging, kernel: k, name } = this;
    const set = k.set.bind(k) as (task: number, param: string, value: number) => void;
    try {
      let task = 0;
      for (let i = from; i < to; i++) {
        const { arrays, scalars } = items[i];
        const n = arrays[0].length;
        const args: Record<string, number> = {};
        // The gradient (a1) is only read; w and the state slots are updated in place.
        arrays.forEach((a, j) => (args[`a${j}`] = staging.addressOf(a, n, `${name}: array ${j}`, true, j !== 1)));
        scalars.forEach((v, j) => (args[`s${j}`] = v));
        if (task === 0) k.begin({ ...args, i0: 0, i1: n } as never, tasks);
        const parts = partsFor(n, this.threads, Infinity, 16);
        for (let p = 0; p < parts; p++, task++) {
          for (const key in args) set(task, key, args[key]);
          set(task, 'i0', p === 0 ? 0 : Math.floor((p * n) / parts / 16) * 16);
          set(task, 'i1', p === parts - 1 ? n : Math.floor(((p + 1) * n) / parts / 16) * 16);
        }
      }
      k.launch();
    } finally {
      staging.unstage();
    }
  }
}

/** `Backend.zero` on the heap: a memset, split across threads from ZERO_SPLIT floats. */
function zeroOnHeap(heap: SharedHeap, threads: number, fillZero: Kernel<'fillZero'>, array: Float32Array): void {
  if (!heap.owns(array)) {
    array.fill(0);
    return;
  }
  const n = array.length;
  const parts = n < ZERO_SPLIT ? 1 : threads;
  if (parts === 1) fillZero.call({ p: array.byteOffset, n });
  else {
    // fillZero takes (address, count): cut [0, n) into 16-aligned shares by hand.
    fillZero.begin({ p: array.byteOffset, n }, parts);
    let i0 = 0;
    for (let t = 0; t < parts; t++) {
      const i1 = t === parts - 1 ? n : Math.max(i0, Math.floor(((t + 1) * n) / parts / 16) * 16);
      fillZero.set(t, 'p', array.byteOffset + 4 * i0);
      fillZero.set(t, 'n', i1 - i0);
      i0 = i1;
    }
    fillZero.launch();
  }
}

/** The heap, the kernels' instances on the calling thread and the worker pool, set up for `threads` threads. */
async function startKernels(features: WasmFeatures, fma: boolean, threads: number, initialHeapBytes: number) {
  const modules = compileKernelModules(features, fma);
  const heap = new SharedHeap(Math.max(initialHeapBytes, threads * GEMM.SCRATCH_BYTES + (1 << 20)), HEAP.MAX_PAGES);
  const exports = instantiateKernels(modules, heap.memory);
  const scratch: number[] = [];
  for (let t = 0; t < threads; t++) scratch.push(heap.reserve(GEMM.SCRATCH_BYTES));
  const pool = await WorkerPool.create(
    threads,
    modules,
    heap.memory,
    KERNEL_LIST.map((k) => k.qualified),
  );
  pool.setThreadValues(KIND.gemmScratch, scratch);
  const profiler: KernelProfiler = { tallies: null };
  /** Kernel `name` on the calling thread's instance of its module, run through `pool`. */
  function kernel<K extends KernelName, T extends ParamName<K> = never>(name: K, plan?: KernelPlan<K, T>): Kernel<K, T> {
    const [m, f] = KERNELS[name].qualified.split('.');
    return new Kernel(name, exports[m][f] as WasmFunction, pool, plan, profiler);
  }
  return { heap, pool, kernel, profiler };
}

/**
 * The fast CPU backend: WebAssembly SIMD kernels (packed, cache-blocked GEMM; im2col/col2im) over
 * one shared heap, split across a pool of worker threads with synchronous fork/join.
 *
 * @example
 * ```ts
 * const backend = await createCpuBackend({ threads: 2 });
 * const x = backend.alloc(64 * 784); // a view into the shared heap
 * // … compileGraph(graph, { batchSize: 64, backend, seed: 0 }) …
 * backend.dispose();
 * ```
 */
export async function createCpuBackend(opts: CpuBackendOptions = {}): Promise<CpuBackend> {
  const features = detectWasmFeatures();
  if (!features.simd || !features.threads) {
    throw new Error(
      'CPU005: this runtime lacks WebAssembly SIMD or shared memory, which the fast CPU backend needs; use createBestBackend() to fall back to the reference backend.',
    );
  }
  const fma = (opts.relaxedSimd ?? true) && features.relaxedSimd;
  const threads = Math.min(MAX_THREADS, Math.max(1, Math.floor(opts.threads ?? defaultThreadCount())));
  const { heap, pool, kernel, profiler } = await startKernels(features, fma, threads, opts.initialHeapBytes ?? 0);
  const staging = new Staging(heap);
  const addressOf = staging.addressOf.bind(staging);
  const unstage = staging.unstage.bind(staging);
  const gemms = new CpuGemm(heap, staging, threads, kernel('gemm', { perThread: { scratch: KIND.gemmScratch } }));
  const gemmMany = (list: readonly GemmArgs[], beside?: () => void): void => gemms.gemmMany(list, beside);
  const gemmBias = (args: GemmArgs, bias: Float32Array): void => gemms.gemmBias(args, bias);
  const im2colKernel = kernel('im2col');
  const col2imKernel = kernel('col2im');
  const fillZero = kernel('fillZero');
  const peak = kernel('fmaPeak');
  const updates = new Map<string, CpuUpdate>();
  /** The generated kernel of an optimizer update's form, made once per name; undefined where optim.wat has none. */
  const fusedUpdate = (name: string): ((items: readonly FusedUpdateItem[]) => void) | undefined => {
    if (!(name in KERNELS)) return undefined;
    let u = updates.get(name);
    if (!u) updates.set(name, (u = new CpuUpdate(staging, threads, kernel(name as KernelName), name)));
    return (items) => u.run(items);
  };
  const scratch = new ScratchArena(heap, threads);
  const ctx: CpuContext = {
    heap,
    threads,
    addressOf,
    unstage,
    threadScratch: (bytes) => scratch.threadScratch(bytes),
    sharedScratch: (bytes) => scratch.sharedScratch(bytes),
    setThreadValues: (kind, values) => pool.setThreadValues(kind, values),
    kernel,
    gemmMany,
    gemmBias,
  };
  const overrides = createOverrides(ctx);
  // A chain starting at a Conv2d is planned before one starting at its BatchNorm (planFusions goes step by step).
  const fusions = opts.fusions === false ? undefined : [...convBatchNormFusions(ctx), ...batchNormReluFusions(ctx, overrides)];
  return {
    name: 'cpu-wasm',
    description: describeCpu(threads, true, fma),
    threads,
    features: { ...features, fma },
    heap,
    alloc: (length: number) => heap.allocFloats(length),
    gemm: (args) => gemms.gemm(args),
    gemmMany,
    gemmBias,
    im2col(image, g, cols) {
      try {
        const src = addressOf(image, g.channels * g.height * g.width, 'im2col: image', true, false);
        const dst = addressOf(cols, g.channels * g.kernelH * g.kernelW * g.outH * g.outW, 'im2col: cols', false, true);
        im2colKernel.call(convArgs(src, g, dst));
      } finally {
        unstage();
      }
    },
    col2im(cols, g, image) {
      try {
        const src = addressOf(cols, g.channels * g.kernelH * g.kernelW * g.outH * g.outW, 'col2im: cols', true, false);
        const dst = addressOf(image, g.channels * g.height * g.width, 'col2im: image', true, true);
        col2imKernel.call(convArgs(dst, g, src));
      } finally {
        unstage();
      }
    },
    overrides,
    ...(fusions ? { fusions } : {}),
    fusedUpdate,
    int8: createInt8Runtime(heap, threads, kernel),
    get launches() {
      return pool.launches;
    },
    startKernelProfile: () => void (profiler.tallies = new Map()),
    stopKernelProfile() {
      const tallies = profiler.tallies ?? new Map<KernelName, KernelTally>();
      profiler.tallies = null;
      return tallies;
    },
    fmaPeak(iterations, tasks) {
      peak.run({ iters: iterations, seed: 1e-3 }, tasks);
      return 96 * iterations * tasks;
    },
    zero: (array) => zeroOnHeap(heap, threads, fillZero, array),
    dispose: () => void pool.dispose(),
  };
}

/**
 * The fastest backend this runtime supports: the WebAssembly SIMD CPU backend when SIMD and shared
 * memory validate, the reference backend otherwise (same results, slower).
 */
export async function createBestBackend(opts: CpuBackendOptions = {}): Promise<Backend> {
  const f = detectWasmFeatures();
  if (f.simd && f.threads) return createCpuBackend(opts);
  return createReferenceBackend();
}
