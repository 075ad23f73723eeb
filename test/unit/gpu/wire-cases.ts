/**
 * Which GPU tests run again across the GPU wire (vitest.config.ts, project `gpu-wire`).
 *
 * The wire carries WebGPU calls, not kernels: a case earns its second run by what it sends and
 * receives, not by the ops it computes. Measured (`scripts/gpu-wire-coverage.mjs`), the cases of
 * `WIRE_FILES` that are not marked `itDirectOnly` — probes.test.ts's readback count of a session's
 * probed and unprobed steps and device-lost.test.ts's loss at an epoch end — send every kind of
 * wire message the whole set sends (buffer usages, copies at offsets and not, clears, writes,
 * mapped reads, error scopes, shader and pipeline creation, releases, 2-D dispatches, device loss
 * and destruction); the others (one more optimizer, loss, kernel, graph or service request each)
 * repeat those messages with other numbers. So does probes.test.ts's readback count of a compiled
 * plan's probed step (the MNIST MLP): tallied across the wire with the two above
 * (`NETWRIGHT_GPU_WIRE_TALLY=… npx vitest run --project gpu-wire`), it sent 20 kinds, none that
 * they did not send. The acquirer's new device after a loss: wire.test.ts.
 * `NETWRIGHT_GPU_WIRE_ALL=1` runs all of them across the wire again. The files: vitest.config.ts.
 */
import { it } from 'vitest';

/** Run everything across the wire again (as before the selection). */
export const WIRE_ALL = process.env.NETWRIGHT_GPU_WIRE_ALL === '1';

/**
 * Files that add no wire traffic of their own (the executor's graphs and optimizers, the kernels
 * of executor-ops, the loop over the same plan in train-loop, the service's runs over the same
 * acquirer): vitest.config.ts runs them across the wire only with WIRE_ALL.
 */
export const DIRECT_ONLY_FILES = ['executor', 'service', 'executor-ops', 'train-loop'];

/** Test names registered with `itDirectOnly` in this process. */
export const directOnlyNames = new Set<string>();

/**
 * A case whose wire traffic the other cases of its file already send: it runs on Dawn directly
 * (project `gpu`), and is registered in the `gpu-wire` project only with NETWRIGHT_GPU_WIRE_ALL=1.
 * That its traffic is covered is checked, not assumed: run every case across the wire with a tally
 * (`NETWRIGHT_GPU_WIRE_ALL=1 NETWRIGHT_GPU_WIRE_TALLY=/tmp/wire.jsonl npx vitest run --project gpu-wire`),
 * then `node scripts/gpu-wire-coverage.mjs /tmp/wire.jsonl` fails, naming it, when a message kind
 * is sent only by cases this leaves out.
 */
export function itDirectOnly(name: string, fn: () => unknown, timeout?: number): void {
  directOnlyNames.add(name);
  if (process.env.NETWRIGHT_GPU_TEST_WIRE === '1' && !WIRE_ALL) return;
  it(name, fn as () => void, timeout);
}
