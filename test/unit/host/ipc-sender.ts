/**
 * A busy engine in a process of its own, for ipc-outbox.test.ts: started by `fork` (serialization
 * 'advanced', as the web host starts the engine), it sends one message of `argv[2]` bytes, then
 * holds its event loop 100 ms at a time, 16 times, as a training step does (the CPU backend's main
 * thread waits on its workers), yielding between with `IpcOutbox.yieldToHost` (`argv[3]` = 'outbox')
 * or one `setImmediate` (the yield before it), a small message before each yield, and sends
 * `{ done }` with the time it finished.
 */
import { IpcOutbox } from '../../../src-engine/node/ipc-outbox';

const bytes = Number(process.argv[2]);
const outbox = new IpcOutbox((m, done) => process.send!(m, undefined, {}, done));
const yieldToHost = process.argv[3] === 'outbox' ? outbox.yieldToHost : () => new Promise<void>((resolve) => setImmediate(resolve));

process.once('message', async () => {
  outbox.send({ big: new Uint8Array(bytes).fill(7) });
  for (let i = 0; i < 16; i++) {
    const until = Date.now() + 100;
    while (Date.now() < until) {
      // busy, as a step is
    }
    // a progress event between every two yields, as a run at full speed sends
    outbox.send({ step: i });
    await yieldToHost();
  }
  outbox.send({ done: Date.now() });
});
process.send!({ ready: true });
