import { Worker } from 'node:worker_threads';
import { kernelOrder } from './features';

/** Most tasks one call may post (6 bits of the work word). */
export const MAX_TASKS = 63;
/** Most per-thread value kinds (see `setThreadValues`). */
export const MAX_KINDS = 8;
/** Most threads a pool runs (the per-thread value table's width). */
export const MAX_THREADS = 64;
/** Float64 argument slots per task: the most parameters a kernel the pool runs may take. */
export const ARGS_STRIDE = 32;
/**
 * How long (ms) a thread spins on the control word before sleeping in Atomics.wait: 0.1 ms.
 * NOTE (measured, `bench/profile.ts mnist-mlp 2` on the 2-core VM): waking a sleeping thread costs
 * tens of microseconds there (a futex wake, and on a VM an idle vCPU to rouse), which a small
 * model pays between every two kernels whenever the JavaScript between them (Dropout, the loss,
 * the optimizer's loop) outlasts the spin. A ~30 µs spin (2,000 polls) gave 100k samples/s, 60 µs
 * 102k, 100–120 µs 118–121k; the cost is at most this much CPU per idle gap, and with dynamic
 * scheduling a descheduled worker still only costs parallelism, never a wait.
 */
const SPIN_MS = 0.1;

// Control words (Int32Array over a SharedArrayBuffer).
const SEQ = 0; // bumped to wake workers; -1 tells them to exit
const WORK = 1; // the work word: tag | fn | task count | next task index (see below)
const DONE = 2; // tasks finished this round
const ERROR = 3; // a worker task threw
const MASK = 4; // bit j set: argument j of every task is a per-thread value kind

// The work word packs everything a thread needs to claim a task into one atomic int32:
//   bits 0–5 next task index, 6–11 task count, 12–18 kernel id, 19–31 round tag.
// A thread claims task i by compare-exchanging i → i+1, so no task runs twice or is lost, and a
// thread that read a word from an earlier round cannot claim anything (the tag differs). The
// round's arguments stay put until every task is DONE, which needs the claimed task to finish.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { modules, order, memory, kernels, ctrlBuffer, argsBuffer, tableBuffer, tid, spinMs } = workerData;
const instances = {};
const imports = { env: { memory } };
for (const name of order) { instances[name] = new WebAssembly.Instance(modules[name], imports); imports[name] = instances[name].exports; }
const fns = kernels.map((q) => { const [m, f] = q.split('.'); return instances[m].exports[f]; });
const ctrl = new Int32Array(ctrlBuffer);
const args = new Float64Array(argsBuffer);
const table = new Float64Array(tableBuffer);
const a = new Array(${ARGS_STRIDE}).fill(0);
let seen = 0;
parentPort.postMessage('ready');
for (;;) {
  let s = Atomics.load(ctrl, ${SEQ});
  if (s === seen) {
    const until = performance.now() + spinMs;
    for (let i = 1; s === seen; i++) {
      s = Atomics.load(ctrl, ${SEQ});
      if ((i & 255) === 0 && performance.now() > until) break;
    }
  }
  while (s === seen) { Atomics.wait(ctrl, ${SEQ}, seen); s = Atomics.load(ctrl, ${SEQ}); }
  seen = s;
  if (s < 0) break;
  for (;;) {
    const w = Atomics.load(ctrl, ${WORK});
    const i = w & 63, n = (w >>> 6) & 63;
    if (i >= n) break;
    if (Atomics.compareExchange(ctrl, ${WORK}, w, w + 1) !== w) continue;
    const fn = fns[(w >>> 12) & 127];
    const base = i * ${ARGS_STRIDE};
    const mask = ctrl[${MASK}];
    const len = fn.length;
    for (let j = 0; j < len; j++) a[j] = (mask >>> j) & 1 ? table[args[base + j] * ${MAX_THREADS} + tid] : args[base + j];
    try {
      a.length = len;
      fn(...a);
    } catch (e) {
      Atomics.store(ctrl, ${ERROR}, 1);
      parentPort.postMessage(String((e && e.stack) || e));
    }
    if (Atomics.add(ctrl, ${DONE}, 1) + 1 === n) Atomics.notify(ctrl, ${DONE});
  }
}
`;

/**
 * A fixed set of worker threads that run WebAssembly kernels on a shared heap with synchronous
 * fork/join. A call posts its tasks through a SharedArrayBuffer and wakes the workers; every
 * thread, the caller included, then claims tasks until none are left (dynamic scheduling: if the
 * OS deschedules a worker, the others take its share), and the caller returns when all are done.
 * No messages, promises or allocations per call.
 */
export class WorkerPool {
  /** Rounds that went to the workers (a call of one task runs on the caller alone and does not count). */
  launches = 0;
  private seq = 0;
  private tag = 0;
  private disposed = false;
  private constructor(
    private readonly workers: Worker[],
    private readonly ctrl: Int32Array,
    /** Task argument rows: task i's arguments from `i * ARGS_STRIDE`. Fill them, then `run`. */
    readonly rows: Float64Array,
    private readonly table: Float64Array,
  ) {}

  /** Total threads that share work, the calling thread included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Start `threads − 1` workers (the caller is thread `threads − 1`). `kernels` are `module.export`
   * names (generated/kernel-table.ts, KERNEL_LIST); `run` refers to them by index (a kernel's id).
   */
  static async create(
    threads: number,
    modules: Record<string, WebAssembly.Module>,
    memory: WebAssembly.Memory,
    kernels: readonly string[],
  ): Promise<WorkerPool> {
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (kernels.length > 128) throw new Error('WorkerPool: at most 128 kernels');
    const n = Math.max(0, threads - 1);
    const ctrl = new Int32Array(new SharedArrayBuffer(4 * (MASK + 1)));
    const args = new Float64Array(new SharedArrayBuffer(8 * ARGS_STRIDE * (MAX_TASKS + 1)));
    const table = new Float64Array(new SharedArrayBuffer(8 * MAX_KINDS * MAX_THREADS));
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    const order = kernelOrder(modules);
    for (let i = 0; i < n; i++) {
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { modules, order, memory, kernels, ctrlBuffer: ctrl.buffer, argsBuffer: args.buffer, tableBuffer: table.buffer, tid: i, spinMs: SPIN_MS },
      });
      w.unref();
      workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
      );
      w.on('message', (m) => {
        if (m !== 'ready') console.error(`CPU002: a CPU backend worker failed: ${String(m)}`);
      });
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw new Error(`CPU003: could not start the CPU backend's worker threads: ${(e as Error).message}`);
    }
    return new WorkerPool(workers, ctrl, args, table);
  }

  /** Per-thread values of kind `kind` (index = thread), e.g. each thread's scratch address. */
  setThreadValues(kind: number, values: readonly number[]): void {
    for (let t = 0; t < values.length; t++) this.table[kind * MAX_THREADS + t] = values[t];
  }

  /** The calling thread's value of kind `kind`. */
  callerValue(kind: number): number {
    return this.table[kind * MAX_THREADS + this.threads - 1];
  }

  /**
   * Run kernel `fn` (its id) once per row of `rows[0 … n − 1]`, on whichever threads claim them;
   * `local` runs a task on the calling thread, from `row[at …]`. `mask` bit j set: argument j of
   * every task is a kind index, replaced by the executing thread's value of that kind. Returns
   * when every task has finished.
   *
   * `beside`: work of the calling thread's own, independent of the round's (it reads nothing the
   * tasks write and writes nothing they touch), run by the caller once the workers are woken and
   * before it claims tasks, so that the workers start on the tasks meanwhile (a Linear's bias
   * column sums beside its gradient GEMMs). It may call kernels on the calling thread
   * (`Kernel.call`), never a parallel round. Without workers, or with one task, it runs first.
   */
  run(fn: number, n: number, mask: number, local: (row: Float64Array, at: number) => void, beside?: () => void): void {
    if (this.disposed) throw new Error('CPU004: the CPU backend was disposed; create a new one.');
    if (n > MAX_TASKS) throw new Error(`WorkerPool.run: ${n} tasks (at most ${MAX_TASKS})`);
    if (n === 1 || this.workers.length === 0) {
      beside?.();
      for (let i = 0; i < n; i++) this.runLocal(i, mask, local);
      return;
    }
    this.launches++;
    const { ctrl } = this;
    ctrl[MASK] = mask;
    Atomics.store(ctrl, DONE, 0);
    this.tag = (this.tag + 1) & 0x1fff;
    const word = (this.tag << 19) | (fn << 12) | (n << 6);
    Atomics.store(ctrl, WORK, word);
    Atomics.store(ctrl, SEQ, (this.seq = (this.seq + 1) & 0x3fffffff));
    Atomics.notify(ctrl, SEQ);
    let error: unknown;
    if (beside) {
      try {
        beside();
      } catch (e) {
        error = e;
      }
    }
    for (;;) {
      const w = Atomics.load(ctrl, WORK);
      const i = w & 63;
      if (i >= ((w >>> 6) & 63)) break;
      if (Atomics.compareExchange(ctrl, WORK, w, w + 1) !== w) continue;
      try {
        this.runLocal(i, mask, local);
      } catch (e) {
        error ??= e;
      }
      Atomics.add(ctrl, DONE, 1);
    }
    let d = Atomics.load(ctrl, DONE);
    if (d !== n) {
      const until = performance.now() + SPIN_MS;
      for (let s = 1; d !== n; s++) {
        d = Atomics.load(ctrl, DONE);
        if ((s & 255) === 0 && performance.now() > until) break;
      }
    }
    while (d !== n) {
      Atomics.wait(ctrl, DONE, d);
      d = Atomics.load(ctrl, DONE);
    }
    if (Atomics.load(ctrl, ERROR) !== 0) {
      Atomics.store(ctrl, ERROR, 0);
      error ??= new Error('CPU002: a CPU backend worker failed (see the log above).');
    }
    if (error) throw error;
  }

  /** Task `i` on the calling thread; its per-thread arguments are resolved in place (the row is its own). */
  private runLocal(i: number, mask: number, local: (row: Float64Array, at: number) => void): void {
    const { rows } = this;
    const at = i * ARGS_STRIDE;
    const me = this.threads - 1;
    for (let m = mask, j = 0; m !== 0; m >>>= 1, j++) if (m & 1) rows[at + j] = this.table[rows[at + j] * MAX_THREADS + me];
    local(rows, at);
  }

  /** Stop every worker. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctrl, SEQ, -1);
    Atomics.notify(this.ctrl, SEQ);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
