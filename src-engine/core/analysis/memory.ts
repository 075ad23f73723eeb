import type { GraphIR } from '../../base/ir/types';

/**
 * Rough training memory in bytes at `batchSize`: 4 bytes × (weights, gradients and two Adam
 * moments per parameter + every node's output and its gradient for one batch). It leaves out
 * workspace and the data set, so it is a lower bound — a design over it certainly fails.
 *
 * @param shapes output shapes as `analyzeGraph` infers them (dim 0 is the batch; ignored here).
 */
export function estimateTrainingBytes(graph: Pick<GraphIR, 'nodes'>, shapes: Readonly<Record<string, readonly number[]>>, params: number, batchSize: number): number {
  let activations = 0;
  for (const node of graph.nodes) {
    const shape = Object.hasOwn(shapes, node.id) ? shapes[node.id] : undefined;
    if (!shape) continue;
    let per = 1;
    for (let i = 1; i < shape.length; i++) per *= shape[i];
    activations += per;
  }
  return 4 * (4 * params + 2 * batchSize * activations);
}

/** Above this estimate the problems panel warns (the engine refuses by the machine's memory). */
export const MEMORY_WARN_BYTES = 2 ** 30;

/** `n` bytes as GiB or MiB, for messages. */
export function formatGiB(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(n / 2 ** 20)} MiB`;
}

/** The warning (code `W_MEMORY`) for a design whose training needs more than MEMORY_WARN_BYTES, else undefined. */
export function memoryWarning(bytes: number, batchSize: number): { code: string; severity: 'warning'; message: string } | undefined {
  if (!(bytes > MEMORY_WARN_BYTES)) return undefined;
  return {
    code: 'W_MEMORY',
    severity: 'warning',
    message: `Training this design at batch ${batchSize} needs at least ${formatGiB(bytes)} (weights, gradients, optimizer state and activations); it may not fit in this machine's memory. Use smaller layers or a smaller batch.`,
  };
}
