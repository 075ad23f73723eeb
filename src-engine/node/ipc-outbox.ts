/**
 * The engine's messages to a web-mode host over Node IPC, and a yield that lets them leave.
 *
 * NOTE (why): `process.send` writes what the pipe takes at once and leaves the rest queued in
 * libuv, which writes it only while the event loop runs. A training step holds the loop (the CPU
 * backend's main thread waits on its workers), and the loop's yields between steps
 * (`yieldToHost`) used to be one `setImmediate`: one pass of the loop, one pipe buffer (64 KiB)
 * written. A message of megabytes (a run's start answer carries its probe samples: 224×224 images
 * for an imported resnet18) then trickled out a pipe buffer per step, and everything after it
 * waited behind it: fine-tuning resnet18 with a frozen backbone, the browser saw "starting" for
 * 21 s and then the start answer, every "computing backbone features" line, each epoch and the end
 * in one burst, as the engine finished.
 * So each send counts until Node says it was written, and `yieldToHost`, after the one
 * `setImmediate` it was, waits while any is queued for the queue to empty (at most `maxWaitMs`, so
 * a host that stopped reading cannot stall the run).
 */
export class IpcOutbox {
  private pending = 0;
  private waiters: (() => void)[] = [];

  /**
   * @param write sends one message and calls `done` once it is written (or failed: the host is
   *   gone, and the engine exits on `disconnect`); Node's `process.send(m, undefined, {}, done)`.
   */
  constructor(
    private readonly write: (message: unknown, done: () => void) => void,
    private readonly maxWaitMs = 200,
  ) {}

  /** Messages handed to `write` and not yet written. */
  get queued(): number {
    return this.pending;
  }

  send(message: unknown): void {
    this.pending++;
    let settled = false;
    this.write(message, () => {
      if (settled) return;
      settled = true;
      if (--this.pending === 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
      }
    });
  }

  /**
   * The training loop's yield: one pass of the event loop (timers: the run store's flush; the
   * host's messages: Stop, pace), then, while messages are queued, until they are written (at
   * most `maxWaitMs`). NOTE: the pass comes first. A write Node completes at once reports on the
   * next tick, not in a pass of the loop; a yield that only waited for it let a run with a message
   * out between every two yields (two moons at full speed) go on in one macrotask: no timer fired
   * and no message was read until it ended (the e2e kill -9 test: a crashed run's log was empty).
   */
  yieldToHost = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, this.maxWaitMs);
      this.waiters.push(done);
    });
  };
}
