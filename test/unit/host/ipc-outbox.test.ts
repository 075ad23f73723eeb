/**
 * The engine's messages leave a web-mode host's engine child while a run holds its loop
 * (src-engine/node/ipc-outbox.ts). Fine-tuning resnet18 with a frozen backbone, the browser saw
 * "starting" for 21 s, then the start answer (megabytes: its probe samples), every "computing
 * backbone features" line and the end in one burst: the answer went out one pipe buffer per
 * yield. Through a real child process (ipc-sender.ts): a 16 MB message sent before 1.6 s of
 * steps arrives during them with the outbox's yield, and only at their end with one
 * `setImmediate` (the yield before). And the outbox's own bookkeeping, with a writer that says
 * when it wrote: among it, that the loop turns at the yields of a run that sends between every two
 * (a write reported on the next tick; the e2e kill -9 scenario's crashed run had an empty log when
 * it did not).
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpcOutbox } from '../../../src-engine/node/ipc-outbox';

/** When (ms after the steps began) the big message and the end arrived. */
async function arrivals(how: 'outbox' | 'immediate'): Promise<{ big: number; done: number }> {
  const child = fork(path.join(__dirname, 'ipc-sender.ts'), [String(16 << 20), how], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    return await new Promise((resolve, reject) => {
      let t0 = 0;
      let big = -1;
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`ipc-sender exited (${code})`)));
      child.on('message', (m: { ready?: true; big?: Uint8Array; done?: number }) => {
        if (m.ready) {
          t0 = Date.now();
          child.send('go');
        } else if (m.big) {
          if (m.big.length !== 16 << 20 || m.big[12345] !== 7) reject(new Error('the big message arrived damaged'));
          big = Date.now() - t0;
        } else if (m.done !== undefined) resolve({ big, done: Date.now() - t0 });
      });
    });
  } finally {
    child.kill();
  }
}

describe('IpcOutbox', () => {
  it('lets a 16 MB message leave a busy engine during its steps, where one setImmediate a step held it to the end', async () => {
    const fixed = await arrivals('outbox');
    const before = await arrivals('immediate');
    // 16 steps of 100 ms: the message is out within the first few steps, not after the last.
    expect(fixed.big).toBeGreaterThanOrEqual(0);
    expect(fixed.done - fixed.big).toBeGreaterThan(800);
    // The yield it replaces: the same message arrives after the steps, with the end.
    expect(before.done - before.big).toBeLessThan(200);
  }, 30_000);

  it('yields until what it queued is written, at most maxWaitMs, and as one setImmediate when nothing is queued', async () => {
    const pending: (() => void)[] = [];
    const box = new IpcOutbox((_m, done) => pending.push(done), 50);
    box.send('a');
    box.send('b');
    expect(box.queued).toBe(2);
    let yielded = false;
    const y = box.yieldToHost().then(() => (yielded = true));
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(yielded).toBe(false);
    pending.shift()!();
    // a second report of one write counts once
    await y;
    expect(box.queued).toBe(0);
    // Nothing queued: one loop pass (done by the second setImmediate after it, where waiting out
    // maxWaitMs would not be; counted in loop passes, not timed: npm test's load made 1 pass 63 ms).
    let passed = false;
    const once = box.yieldToHost().then(() => (passed = true));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(passed).toBe(true);
    await once;
    // A write Node completes at once reports on the next tick: a yield still lets the loop turn (a
    // due timer fires: the run store's flush; the host's Stop is read). Waiting for the write alone,
    // a run sending between every two yields went on in one macrotask to its end.
    const quick = new IpcOutbox((_m, done) => process.nextTick(done));
    let fired = false;
    setTimeout(() => (fired = true), 0);
    for (let step = 0; step < 3; step++) {
      const until = performance.now() + 3;
      while (performance.now() < until) {
        // a step: the timer falls due
      }
      quick.send('progress');
      await quick.yieldToHost();
    }
    expect(fired).toBe(true);
    // A host that stopped reading: the yield ends at maxWaitMs.
    box.send('c');
    const t2 = performance.now();
    await box.yieldToHost();
    expect(performance.now() - t2).toBeGreaterThanOrEqual(45);
    expect(box.queued).toBe(1);
  });
});
