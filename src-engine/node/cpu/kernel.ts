import { KERNELS, type KernelArgs, type KernelResults } from './generated/kernel-table';
import { ARGS_STRIDE, MAX_TASKS, type WorkerPool } from './pool';
import type { KernelSpec as WasmKernelSpec, WasmFunction } from './kernel-spec';

/** A kernel's name: its `.wat` export name (unique across modules). */
export type KernelName = keyof KernelArgs;

/** A parameter name of kernel `K`. */
export type ParamName<K extends KernelName> = keyof KernelArgs[K] & string;

/** One kernel as generated/kernel-table.ts describes it (kernel-spec.ts). */
export type KernelSpec<K extends KernelName> = WasmKernelSpec<K, KernelArgs[K]>;

/** Any one kernel's spec. */
export type AnyKernelSpec = { [K in KernelName]: KernelSpec<K> }[KernelName];

/** Every kernel in id order. */
export const KERNEL_LIST: readonly AnyKernelSpec[] = Object.values(KERNELS).sort((a, b) => a.id - b.id);

/** One kernel's tally while a profile is on (`KernelProfiler`). */
export interface KernelTally {
  calls: number;
  /** Wall time inside the kernel's calls and rounds, the fork/join included. */
  ms: number;
  /** Floating-point operations done, for the kernels that count them (KERNEL_FLOPS); else 0. */
  flops: number;
  /** Bytes moved to and from memory, for the kernels that count them (KERNEL_BYTES); else 0. */
  bytes: number;
}

/**
 * Where kernels tally their calls while a profile is on (`CpuBackend.startKernelProfile`): one per
 * backend, shared by its kernels; `tallies` is null when off, so a call then costs one check.
 */
export interface KernelProfiler {
  tallies: Map<KernelName, KernelTally> | null;
}

/**
 * FLOPs of one task of a kernel, from its arguments (`get` reads one by name): the GEMMs', 2·m·n·k
 * per product, so a profile can state their GFLOP/s against the machine's peak (bench/run.ts).
 */
const KERNEL_FLOPS: { readonly [K in KernelName]?: (get: (p: ParamName<K>) => number) => number } = {
  gemm: (get) => 2 * get('m') * get('n') * get('k'),
  gemmBatched: (get) => 2 * get('m') * get('n') * get('k') * Math.max(0, get('i1') - get('i0')),
  fmaPeak: (get) => 96 * Math.max(0, get('iters')),
  // Its GEMMs (the unfold's copies are not FLOPs): y = W·cols, and backward dW += dy·colsᵀ, dcols = Wᵀ·dy (dx's channels only).
  conv2dForward: (get) => 2 * (get('n1') - get('n0')) * get('Cout') * get('C') * get('kH') * get('kW') * get('oH') * get('oW'),
  conv2dBackward: (get) => 2 * (get('n1') - get('n0')) * get('Cout') * get('kH') * get('kW') * get('oH') * get('oW') * ((get('dWt') ? get('C') : 0) + (get('dx') ? get('dxC') : 0)),
  // A 1×1 layer's batch GEMMs: [m × k]·[k × (n1 − n0)·L], and dW's rows [o0, o1) × columns [j0, j1) over N·L terms.
  gemmSampleCols: (get) => 2 * get('m') * get('k') * get('L') * Math.max(0, get('n1') - get('n0')),
  gemmSampleDepth: (get) => 2 * Math.max(0, get('o1') - get('o0')) * Math.max(0, get('j1') - get('j0')) * get('N') * get('L'),
};

/**
 * Bytes one task of a kernel moves to and from memory, from its arguments (bench/profile.ts): each
 * operand read once and each result written once (read too where it accumulates), plus the
 * unfolded columns a convolution writes and reads back (`cols`, `dcols`; none for a `direct` one):
 * the traffic of the algorithm as written, not what the caches save or a re-read costs.
 */
const KERNEL_BYTES: { readonly [K in KernelName]?: (get: (p: ParamName<K>) => number) => number } = {
  gemm: (get) => 4 * (get('m') * get('k') + get('k') * get('n') + get('m') * get('n') * (get('accumulate') ? 2 : 1)),
  conv2dForward: (get) => {
    const n = get('n1') - get('n0');
    const K = get('C') * get('kH') * get('kW');
    const L = get('oH') * get('oW');
    return 4 * (n * get('C') * get('H') * get('W') + get('Cout') * K + n * get('Cout') * L * (get('accumulate') ? 2 : 1) + (get('direct') ? 0 : 2 * n * K * L));
  },
  conv2dBackward: (get) => {
    const n = get('n1') - get('n0');
    const L = get('oH') * get('oW');
    const image = n * get('C') * get('H') * get('W');
    const unfold = (channels: number): number => (get('direct') ? 0 : 2 * n * channels * get('kH') * get('kW') * L);
    const weights = get('Cout') * get('C') * get('kH') * get('kW');
    const dW = get('dWt') ? image + 2 * weights + unfold(get('C')) : 0;
    const dx = get('dx') ? weights + 2 * (image / get('C')) * get('dxC') + unfold(get('dxC')) : 0;
    return 4 * (n * get('Cout') * L + dW + dx);
  },
  im2col: (get) => 4 * (get('C') * get('H') * get('W') + get('C') * get('kH') * get('kW') * get('oH') * get('oW')),
  unaryForward: (get) => 8 * Math.max(0, get('i1') - get('i0')),
  unaryBackward: (get) => (get('assign') ? 12 : 16) * Math.max(0, get('i1') - get('i0')),
};

/** How an override runs one kernel; fixed when it creates the kernel (see `CpuContext.kernel`). */
export interface KernelPlan<K extends KernelName, T extends ParamName<K>> {
  /**
   * The `[start, end)` parameter pair that `run` cuts into contiguous task ranges, e.g.
   * `['i0', 'i1']`: the arguments give the whole range, each task gets its share.
   */
  range?: readonly [ParamName<K>, ParamName<K>];
  /** Task boundaries inside the range are multiples of this (e.g. 4 for f32x4 loops). Default 1. */
  align?: number;
  /**
   * Parameters that take the running thread's value of a kind (see KIND), e.g. its scratch block:
   * `{ scratch: KIND.gemmScratch }`. Calls leave them out.
   */
  perThread?: { readonly [P in T]: number };
}

/** A call's arguments: every parameter of the kernel but its per-thread ones. */
export type CallArgs<K extends KernelName, T extends ParamName<K> = never> = Omit<KernelArgs[K], T>;

/** Per-task increments: task t gets `args[p] + t · step[p]` (e.g. its own block of partial sums). */
export type TaskStep<K extends KernelName> = Partial<Record<ParamName<K>, number>>;

/**
 * One WebAssembly kernel called by named arguments, type-checked against its `.wat` export
 * (generated/kernel-table.ts): once on the calling thread (`call`), or cut into tasks that the
 * worker pool's threads claim (`run`). Arguments go straight into the pool's shared argument rows,
 * so a call allocates nothing beyond its argument object.
 *
 * @example
 * ```ts
 * const relu = cpu.kernel('reluForward', { range: ['i0', 'i1'], align: 4 });
 * relu.run({ x, y, i0: 0, i1: n }, partsFor(n, cpu.threads)); // [0, n) cut into tasks
 * ```
 */
export class Kernel<K extends KernelName, T extends ParamName<K> = never> {
  readonly spec: KernelSpec<K>;
  private readonly index: Readonly<Record<string, number>>;
  private readonly start: number;
  private readonly end: number;
  private readonly align: number;
  /** Positions of the per-thread parameters, and their kinds. */
  private readonly threadPositions: readonly number[];
  private readonly threadKinds: readonly number[];
  private readonly mask: number;
  private readonly row: Float64Array;
  private readonly runTask: (row: Float64Array, at: number) => void;
  private tasks = 0;
  private readonly flopsOf: ((row: Float64Array, at: number) => number) | undefined;
  private readonly bytesOf: ((row: Float64Array, at: number) => number) | undefined;

  constructor(
    name: K,
    private readonly fn: WasmFunction,
    private readonly pool: WorkerPool,
    plan: KernelPlan<K, T> = {},
    private readonly profiler: KernelProfiler = { tallies: null },
  ) {
    const spec = KERNELS[name] as KernelSpec<K>;
    this.spec = spec;
    if (spec.params.length > ARGS_STRIDE) throw new Error(`Kernel ${name}: ${spec.params.length} parameters (the pool passes at most ${ARGS_STRIDE})`);
    this.index = Object.fromEntries(spec.params.map((p, j) => [p.name, j]));
    this.start = plan.range ? this.index[plan.range[0]] : -1;
    this.end = plan.range ? this.index[plan.range[1]] : -1;
    this.align = plan.align ?? 1;
    const perThread: Readonly<Record<string, number>> = plan.perThread ?? {};
    this.threadPositions = Object.keys(perThread).map((p) => this.index[p]);
    this.threadKinds = Object.values(perThread);
    this.mask = this.threadPositions.reduce((m, j) => m | (1 << j), 0);
    this.row = new Float64Array(spec.params.length);
    this.runTask = (row, at) => void spec.invoke(fn, row, at);
    const flops = KERNEL_FLOPS[name] as ((get: (p: string) => number) => number) | undefined;
    this.flopsOf = flops && ((row, at) => flops((p) => row[at + this.index[p]]));
    const bytes = KERNEL_BYTES[name] as ((get: (p: string) => number) => number) | undefined;
    this.bytesOf = bytes && ((row, at) => bytes((p) => row[at + this.index[p]]));
  }

  /** Add one call or round (`tasks` rows from `rows[0]`, already run) to the profile. */
  private tally(t0: number, rows: Float64Array, tasks: number): void {
    const tallies = this.profiler.tallies!;
    let e = tallies.get(this.spec.name);
    if (!e) tallies.set(this.spec.name, (e = { calls: 0, ms: 0, flops: 0, bytes: 0 }));
    e.calls++;
    e.ms += performance.now() - t0;
    if (this.flopsOf) for (let t = 0; t < tasks; t++) e.flops += this.flopsOf(rows, t * ARGS_STRIDE);
    if (this.bytesOf) for (let t = 0; t < tasks; t++) e.bytes += this.bytesOf(rows, t * ARGS_STRIDE);
  }

  /** Run once on the calling thread (per-thread parameters: its own values); returns the kernel's result. */
  call(args: CallArgs<K, T>): KernelResults[K] {
    const { row } = this;
    this.spec.write(args as KernelArgs[K], row, 0);
    for (let i = 0; i < this.threadPositions.length; i++) row[this.threadPositions[i]] = this.pool.callerValue(this.threadKinds[i]);
    if (!this.profiler.tallies) return this.spec.invoke(this.fn, row, 0) as KernelResults[K];
    const t0 = performance.now();
    const result = this.spec.invoke(this.fn, row, 0) as KernelResults[K];
    this.tally(t0, row, 1);
    return result;
  }

  /**
   * Run as `tasks` tasks, claimed by the pool's threads, and return when all are done. With a
   * `range`, `args` gives the whole `[start, end)` and task t gets its t-th contiguous share
   * (boundaries aligned; later shares may be empty); `step` offsets parameters per task;
   * `beside`, the calling thread's own independent work meanwhile (see `WorkerPool.run`).
   */
  run(args: CallArgs<K, T>, tasks = 1, step?: TaskStep<K>, beside?: () => void): void {
    this.begin(args, tasks);
    const { rows } = this.pool;
    if (this.start >= 0) {
      const s = this.start;
      const e = this.end;
      const first = rows[s];
      const n = rows[e] - first;
      // Task t ends at ⌊(t + 1)·n / tasks / align⌋·align past `first` (the last at the range's end).
      let at = first;
      for (let t = 0; t < tasks; t++) {
        const end = t === tasks - 1 ? n : Math.floor(((t + 1) * n) / tasks / this.align) * this.align;
        const base = t * ARGS_STRIDE;
        rows[base + s] = at;
        at = Math.max(at, first + end);
        rows[base + e] = at;
      }
    }
    if (step) {
      for (const p in step) {
        const j = this.index[p];
        const d = step[p as ParamName<K>] as number;
        for (let t = 1; t < tasks; t++) rows[t * ARGS_STRIDE + j] += t * d;
      }
    }
    this.launch(beside);
  }

  /** Start `tasks` tasks with `args` each; change them with `set`, then `launch`. */
  begin(args: CallArgs<K, T>, tasks: number): void {
    if (tasks < 1 || tasks > MAX_TASKS) throw new Error(`Kernel ${this.spec.name}: ${tasks} tasks (1 to ${MAX_TASKS})`);
    const { rows } = this.pool;
    this.spec.write(args as KernelArgs[K], rows, 0);
    for (let i = 0; i < this.threadPositions.length; i++) rows[this.threadPositions[i]] = this.threadKinds[i];
    const len = this.spec.params.length;
    for (let t = 1; t < tasks; t++) rows.copyWithin(t * ARGS_STRIDE, 0, len);
    this.tasks = tasks;
  }

  /** Set parameter `param` of task `task` (after `begin`). */
  set(task: number, param: Exclude<ParamName<K>, T>, value: number): void {
    this.pool.rows[task * ARGS_STRIDE + this.index[param]] = value;
  }

  /** Run the tasks `begin` started, with the caller's own `beside` work (see `WorkerPool.run`); returns when all are done. */
  launch(beside?: () => void): void {
    if (!this.profiler.tallies) return this.pool.run(this.spec.id, this.tasks, this.mask, this.runTask, beside);
    const t0 = performance.now();
    this.pool.run(this.spec.id, this.tasks, this.mask, this.runTask, beside);
    this.tally(t0, this.pool.rows, this.tasks);
  }
}
