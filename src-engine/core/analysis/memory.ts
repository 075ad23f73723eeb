import type { GraphIR } from '../../base/ir/types';

/**
 * Rough training memory in bytes at `batchSize`: 4 bytes × (weights, gradients and two Adam
 * moments per parameter + every node's output and its gradient for one batch). It leaves out
 * workspace and the data set, so it is a lower bound — a design over it certainly fails.
 *
 * @param shapes output shapes as `analyzeGraph` infers them (dim 0 is the batch; ignored here).
 */
export function estimateTrainingBytes(graph: Pick<GraphIR, 'nodes'>, shapes: Readonly<Record<string, readonly number[]>>, params: number, batchSize: number): number {
  return 4 * (4 * params + 2 * batchSize * activationsPerSample(graph, shapes));
}

/** What a run's memory estimate is made of (`estimateRunMemory`). */
export interface RunMemoryInputs {
  params: number;
  /** Values of every node's output for one sample (the sum over nodes of the shape without its batch dim). */
  activationsPerSample: number;
  batchSize: number;
  /** Buffers the optimizer keeps per parameter (Adam 2, SGD with momentum 1; `optimizerSlots`). */
  optimizerSlots: number;
  /**
   * Copies of the weights and optimizer state kept while training besides the live ones: a
   * session's rollback snapshot, and a best checkpoint kept for early stopping or waiting to be
   * written (`sessionCheckpointCopies`, app/session/run-recorder.ts).
   */
  checkpointCopies: number;
  /**
   * Copies of the weights alone kept while training: the gradient probe's, of the weights before a
   * probed step (its update ratio, app/probes/gradient-probe.ts); 0 without probes.
   */
  weightCopies?: number;
  /** What the engine holds already, measured (its resident memory with the data loaded), or 0. */
  residentBytes: number;
  /**
   * A set streamed from disk: the bytes of decoded samples it may come to hold while training (its
   * memory budget: cache and prefetched batches), which `residentBytes` has not seen yet; else 0.
   */
  streamedDataBytes?: number;
}

/** A run's peak memory estimate in bytes, and its parts (for the message and the bench). */
export interface RunMemoryEstimate {
  bytes: number;
  parts: { resident: number; model: number; checkpoints: number; probes: number; activations: number; data: number };
}

/**
 * The most memory a run will hold at once: what the engine holds now (code, the loaded data), the
 * model on the backend (weights, gradients, optimizer buffers), the copies of its state kept while
 * it trains, the probes' copy of the weights, and the activations and their gradients of the batch's plan and of one more (a
 * partial last batch, evaluation), and a streamed set's memory budget. Float32 throughout. `bench/memory.ts` compares it with the
 * engine's measured peak.
 */
export function estimateRunMemory(m: RunMemoryInputs): RunMemoryEstimate {
  const parts = {
    resident: m.residentBytes,
    model: 4 * m.params * (2 + m.optimizerSlots),
    checkpoints: 4 * m.params * (1 + m.optimizerSlots) * m.checkpointCopies,
    probes: 4 * m.params * (m.weightCopies ?? 0),
    activations: 4 * 2 * m.activationsPerSample * 2 * m.batchSize,
    data: m.streamedDataBytes ?? 0,
  };
  return { bytes: parts.resident + parts.model + parts.checkpoints + parts.probes + parts.activations + parts.data, parts };
}

/** Values per sample over every node's output (shapes as `analyzeGraph` infers them, dim 0 the batch). */
export function activationsPerSample(graph: Pick<GraphIR, 'nodes'>, shapes: Readonly<Record<string, readonly number[]>>): number {
  let activations = 0;
  for (const node of graph.nodes) {
    const shape = Object.hasOwn(shapes, node.id) ? shapes[node.id] : undefined;
    if (!shape) continue;
    let per = 1;
    for (let i = 1; i < shape.length; i++) per *= shape[i];
    activations += per;
  }
  return activations;
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
