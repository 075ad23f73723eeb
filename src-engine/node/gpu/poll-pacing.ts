/**
 * Paces Dawn's event polling in Node (npm `webgpu`: the web-mode engine child, the CLI, the tests
 * and the bench). While any of the binding's promises is pending — a `mapAsync`, a
 * `popErrorScope`, an `onSubmittedWorkDone` — it calls `wgpuInstanceProcessEvents` from a
 * `setImmediate` callback that queues itself again (Dawn's AsyncRunner; crbug.com/dawn/1127): the
 * event loop spins, a core at 100 % for as long as the GPU works. On a software adapter
 * (SwiftShader, whose own threads run the shaders) the spinning thread takes the core the shaders
 * need: the GPU tests ran 1.8× slower for it, and two test files side by side slower still.
 *
 * The binding looks `setImmediate` up on the global object on every poll, so the first Dawn
 * instance installs a wrapper that passes every other callback straight through and delays only
 * Dawn's poll: by an eighth of the time the wait has lasted (a wait is answered at most about an
 * eighth late; one shorter than MIN_SLEEP_US · LATE_FRACTION is not delayed at all), and by at
 * most MAX_SLEEP_US. The sleep blocks the thread (`Atomics.wait`), which is idle meanwhile anyway:
 * nothing else runs on it between two polls of a spinning loop except what the loop itself lets
 * through, which it still does between sleeps.
 *
 * On a software adapter (`pollSoftwareAdapter`) every poll of a wait but its first sleeps, at least
 * MIN_SLEEP_US: there a short wait is the shader threads' work too, which a poll loop spinning
 * beside them slows (the GPU tests' op-suite on SwiftShader: ~400,000 polls a run, ~30,000 of them
 * slept, and 10 % more CPU than with ~60,000 polls); a hardware GPU's short waits are answered at once.
 */

/** A poll sleeps for the wait's length so far divided by this. */
const LATE_FRACTION = 8;
/** Shorter sleeps are not taken (the kernel's timer slack alone is ~50 µs). */
const MIN_SLEEP_US = 50;
/** The longest sleep between two polls of a long wait (a shader running for seconds). */
const MAX_SLEEP_US = 500;

/**
 * How long Dawn's next poll sleeps, in µs, when its wait has lasted `waitedMs` (0: it runs at once);
 * on a `software` adapter every poll after the wait's first sleeps at least MIN_SLEEP_US.
 */
export function pollSleepUs(waitedMs: number, software = false): number {
  const us = Math.min(MAX_SLEEP_US, (waitedMs * 1000) / LATE_FRACTION);
  if (software && waitedMs > 0) return Math.max(MIN_SLEEP_US, us);
  return us >= MIN_SLEEP_US ? us : 0;
}

let installed = false;
let software = false;

/** Whether the adapter this process's Dawn works on is a software one (SwiftShader): its shaders run on the CPU's cores. */
export function pollSoftwareAdapter(isSoftware: boolean): void {
  software = isSoftware;
}
const stats = { polls: 0, sleeps: 0, sleptMs: 0 };

/**
 * Dawn's poll callback: an anonymous native function. User and Node callbacks are JS functions;
 * bound functions are native too, but named ("bound f").
 */
export function isDawnPoll(cb: unknown): cb is () => void {
  return typeof cb === 'function' && cb.name === '' && Function.prototype.toString.call(cb).endsWith('{ [native code] }');
}

/** Install the pacing in this process (idempotent; the first Dawn instance does it). */
export function paceDawnPolling(): void {
  if (installed) return;
  installed = true;
  const immediate = globalThis.setImmediate;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let inPoll = false;
  let waitStart = 0;
  const paced = function setImmediate(cb: unknown, ...args: unknown[]) {
    if (!isDawnPoll(cb)) return immediate(cb as (...a: unknown[]) => void, ...args);
    // Queued from inside a poll: the same wait goes on. From anywhere else: a new wait begins.
    const now = performance.now();
    if (!inPoll) waitStart = now;
    const sleepUs = pollSleepUs(now - waitStart, software);
    return immediate(() => {
      stats.polls++;
      if (sleepUs > 0) {
        stats.sleeps++;
        stats.sleptMs += sleepUs / 1000;
        Atomics.wait(sleeper, 0, 0, sleepUs / 1000);
      }
      inPoll = true;
      try {
        cb();
      } finally {
        inPoll = false;
      }
    });
  };
  // Keep setImmediate's own properties (util.promisify's custom form).
  globalThis.setImmediate = Object.assign(paced, immediate) as typeof globalThis.setImmediate;
}

/** Dawn's polls in this process so far, how many slept and for how long in all, and whether they are paced for a software adapter (tests, diagnostics). */
export function dawnPollStats(): { polls: number; sleeps: number; sleptMs: number; software: boolean } {
  return { ...stats, software };
}
