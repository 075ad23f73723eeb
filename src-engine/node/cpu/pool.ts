import { Worker } from 'node:worker_threads';
import { kernelOrder } from './features';

/** Int32 slots per worker in the control array: [seq, done, fn, nargs]. */
const CTRL_STRIDE = 16;
/** Float64 argument slots per worker. */
const ARGS_STRIDE = 32;
/** Spin iterations before sleeping in Atomics.wait (keeps fork/join latency in microseconds). */
const SPIN = 20000;

// The worker body, run with `eval: true` so the pool starts the same way under tsx, vitest and an
// electron-vite bundle (no worker file to locate). It instantiates the kernel modules on the shared
// heap, then loops: wait for its sequence number to change, run the kernel, publish `done`.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { modules, order, memory, fnNames, ctrlBuffer, argsBuffer, index, spin } = workerData;
const instances = {};
const imports = { env: { memory } };
for (const name of order) { instances[name] = new WebAssembly.Instance(modules[name], imports); imports[name] = instances[name].exports; }
const fns = fnNames.map((q) => { const [m, f] = q.split('.'); return instances[m].exports[f]; });
const ctrl = new Int32Array(ctrlBuffer);
const args = new Float64Array(argsBuffer);
const base = index * ${CTRL_STRIDE};
const abase = index * ${ARGS_STRIDE};
let seen = 0;
parentPort.postMessage('ready');
for (;;) {
  let s = Atomics.load(ctrl, base);
  for (let i = 0; s === seen && i < spin; i++) s = Atomics.load(ctrl, base);
  while (s === seen) { Atomics.wait(ctrl, base, seen); s = Atomics.load(ctrl, base); }
  seen = s;
  if (s < 0) break;
  const fn = fns[ctrl[base + 2]];
  const n = ctrl[base + 3];
  try {
    switch (n) {
      case 13: fn(args[abase], args[abase+1], args[abase+2], args[abase+3], args[abase+4], args[abase+5], args[abase+6], args[abase+7], args[abase+8], args[abase+9], args[abase+10], args[abase+11], args[abase+12]); break;
      default: { const a = []; for (let i = 0; i < n; i++) a.push(args[abase + i]); fn(...a); }
    }
  } catch (e) {
    ctrl[base + 4] = 1;
    parentPort.postMessage(String(e && e.stack || e));
  }
  Atomics.store(ctrl, base + 1, s);
  Atomics.notify(ctrl, base + 1);
}
`;

/**
 * A fixed set of worker threads that run WebAssembly kernels on a shared heap with synchronous
 * fork/join: the caller posts one task per worker through a SharedArrayBuffer, runs its own share,
 * then waits for all `done` flags. No messages, promises or allocations per call.
 */
export class WorkerPool {
  private seq = 0;
  private disposed = false;

  private constructor(
    private readonly workers: Worker[],
    private readonly ctrl: Int32Array,
    private readonly args: Float64Array,
  ) {}

  /** Total threads that share work, the calling thread included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Start `threads - 1` workers (the caller is the last thread). `fnNames` are `module.export`
   * names; tasks refer to them by index.
   */
  static async create(
    threads: number,
    modules: Record<string, WebAssembly.Module>,
    memory: WebAssembly.Memory,
    fnNames: readonly string[],
  ): Promise<WorkerPool> {
    const n = Math.max(0, threads - 1);
    const ctrl = new Int32Array(new SharedArrayBuffer(4 * CTRL_STRIDE * Math.max(n, 1)));
    const args = new Float64Array(new SharedArrayBuffer(8 * ARGS_STRIDE * Math.max(n, 1)));
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { modules, order: kernelOrder(modules), memory, fnNames, ctrlBuffer: ctrl.buffer, argsBuffer: args.buffer, index: i, spin: SPIN },
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
    return new WorkerPool(workers, ctrl, args);
  }

  /**
   * Run `fn` once per argument list: `tasks[i]` on worker i for i < tasks.length - 1, and the last
   * list on the calling thread via `local`. Returns when every task has finished.
   */
  run(fn: number, tasks: readonly (readonly number[])[], local: (args: readonly number[]) => void): void {
    if (this.disposed) throw new Error('CPU004: the CPU backend was disposed; create a new one.');
    const remote = tasks.length - 1;
    if (remote > this.workers.length) throw new Error(`WorkerPool.run: ${tasks.length} tasks for ${this.threads} threads`);
    const seq = ++this.seq;
    const { ctrl, args } = this;
    for (let i = 0; i < remote; i++) {
      const t = tasks[i];
      const base = i * CTRL_STRIDE;
      const abase = i * ARGS_STRIDE;
      for (let j = 0; j < t.length; j++) args[abase + j] = t[j];
      ctrl[base + 2] = fn;
      ctrl[base + 3] = t.length;
      Atomics.store(ctrl, base, seq);
      Atomics.notify(ctrl, base);
    }
    let error: unknown;
    try {
      local(tasks[remote]);
    } catch (e) {
      error = e;
    }
    for (let i = 0; i < remote; i++) {
      const at = i * CTRL_STRIDE + 1;
      let d = Atomics.load(ctrl, at);
      for (let s = 0; d !== seq && s < SPIN; s++) d = Atomics.load(ctrl, at);
      while (d !== seq) {
        Atomics.wait(ctrl, at, d);
        d = Atomics.load(ctrl, at);
      }
      if (ctrl[i * CTRL_STRIDE + 4] !== 0) {
        ctrl[i * CTRL_STRIDE + 4] = 0;
        error ??= new Error('CPU002: a CPU backend worker failed (see the log above).');
      }
    }
    if (error) throw error;
  }

  /** Stop every worker. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (let i = 0; i < this.workers.length; i++) {
      Atomics.store(this.ctrl, i * CTRL_STRIDE, -1);
      Atomics.notify(this.ctrl, i * CTRL_STRIDE);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
