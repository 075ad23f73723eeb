import { z } from 'zod';
import { defineService } from '../service';
import { Diagnostic } from '../../base/schemas';
import { Numbers } from '../schemas';

export const ComputeBackendInfo = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cpu'), threads: z.number().int().positive(), simd: z.boolean(), description: z.string() }),
  z.object({ kind: z.literal('webgpu'), adapter: z.string(), description: z.string() }),
]);
export type ComputeBackendInfo = z.infer<typeof ComputeBackendInfo>;

export const EngineInfo = z.object({
  name: z.literal('netwright-engine'),
  version: z.string(),
  protocol: z.number().int(),
  pid: z.number().int(),
  runtime: z.enum(['electron-utility', 'node-child', 'in-process']),
  backend: ComputeBackendInfo,
  /**
   * What a run may use (core/analysis/memory.ts `MemoryLimits`): the machine's share and what the
   * compute backend's memory can grow to, in bytes. The Problems panel's memory verdict is the one
   * Start gives with them. Absent: the engine trains nothing, or sets no limit.
   */
  memory: z.object({ machineBytes: z.number().positive().optional(), backendBytes: z.number().positive().optional() }).optional(),
});
export type EngineInfo = z.infer<typeof EngineInfo>;

/**
 * The engine itself: the handshake, a ping, graph analysis (shapes, parameters, diagnostics) and
 * each node's measured cost at batch 1;
 * it announces itself (`engine.ready`) and logs (`engine.log`).
 */
export const engineService = defineService({
  name: 'engine',
  methods: {
    'engine.hello': {
      params: z.object({ client: z.string().max(200), protocol: z.number().int() }),
      result: EngineInfo,
    },
    'engine.ping': {
      params: z.object({}),
      result: z.object({ time: z.number() }),
    },
    'graph.analyze': {
      params: z.object({ graph: z.unknown(), batchSize: z.number().int().positive().max(1 << 20).optional() }),
      result: z.object({
        diagnostics: z.array(Diagnostic),
        shapes: z.record(z.string(), Numbers),
        params: z.number(),
        flopsPerSample: z.number(),
      }),
    },
    /**
     * Each node's cost at batch 1 on the engine's CPU backend (core/profile/node-latency.ts): its
     * forward time, measured over a few repeats (median; a fused chain's shared by FLOPs), and its
     * memory (output and weights, float32), with the whole forward's time beside the nodes' sum.
     * `E_GRAPH_INVALID` for a design with errors; `E_TRAIN_UNAVAILABLE` on an engine without a backend.
     */
    'graph.latency': {
      params: z.object({ graph: z.unknown() }),
      result: z.object({
        batchSize: z.literal(1),
        nodes: z.array(
          z.object({
            id: z.string(),
            ms: z.number().nonnegative(),
            activationBytes: z.number().int().nonnegative(),
            paramBytes: z.number().int().nonnegative(),
            fusedWith: z.array(z.string()).optional(),
          }),
        ),
        sumMs: z.number().nonnegative(),
        forwardMs: z.number().nonnegative(),
        repeats: z.number().int().positive(),
        backend: z.string(),
      }),
    },
  },
  events: {
    /** Sent once by a freshly started engine to its host (Electron main or the web server). */
    'engine.ready': z.object({ pid: z.number().int(), version: z.string() }),
    'engine.log': z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string() }),
  },
  limits: {},
});
