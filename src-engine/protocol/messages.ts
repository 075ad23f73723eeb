import { z } from 'zod';

/**
 * Netwright's one message protocol: the only contract between the renderer, the hosts (Electron
 * main, the web-mode server) and the engine. Every message that crosses a process boundary is
 * checked against these schemas; a message of the wrong shape is rejected with a logged error.
 *
 * Envelopes follow VS Code's IPC: requests and responses correlated by id, one-way events, and
 * cancellation of an in-flight request.
 */
export const PROTOCOL_VERSION = 1;

// ── Payloads ────────────────────────────────────────────────────────────────────────────────

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
});
export type EngineInfo = z.infer<typeof EngineInfo>;

export const Diagnostic = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  nodeId: z.string().optional(),
  message: z.string(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;

export const ErrorInfo = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfo>;

// ── Methods: renderer → engine requests, with typed params and results ─────────────────────

/**
 * Every request the engine answers. Adding a method = one entry here plus its handler in the
 * engine service; both ends get the types and the runtime checks from this table.
 */
export const EngineMethods = {
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
      shapes: z.record(z.string(), z.array(z.number())),
      params: z.number(),
      flopsPerSample: z.number(),
    }),
  },
} as const;
export type EngineMethod = keyof typeof EngineMethods;
export type ParamsOf<M extends EngineMethod> = z.infer<(typeof EngineMethods)[M]['params']>;
export type ResultOf<M extends EngineMethod> = z.infer<(typeof EngineMethods)[M]['result']>;

// ── Events: engine → renderer notifications ────────────────────────────────────────────────

export const EngineEvents = {
  /** Sent once by a freshly started engine to its host (Electron main or the web server). */
  'engine.ready': z.object({ pid: z.number().int(), version: z.string() }),
  'engine.log': z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string() }),
} as const;
export type EngineEvent = keyof typeof EngineEvents;
export type EventData<E extends EngineEvent> = z.infer<(typeof EngineEvents)[E]>;

// ── Envelopes ─────────────────────────────────────────────────────────────────────────────

const Id = z.number().int().nonnegative();

export const RequestMessage = z.object({ kind: z.literal('request'), id: Id, method: z.string(), params: z.unknown() });
export const ResponseMessage = z.union([
  z.object({ kind: z.literal('response'), id: Id, ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('response'), id: Id, ok: z.literal(false), error: ErrorInfo }),
]);
export const EventMessage = z.object({ kind: z.literal('event'), event: z.string(), data: z.unknown() });
export const CancelMessage = z.object({ kind: z.literal('cancel'), id: Id });

/** Anything that travels between the renderer and the engine. */
export const EngineMessage = z.union([RequestMessage, ResponseMessage, EventMessage, CancelMessage]);
export type EngineMessage = z.infer<typeof EngineMessage>;
export type RequestMessage = z.infer<typeof RequestMessage>;
export type ResponseMessage = z.infer<typeof ResponseMessage>;
export type EventMessage = z.infer<typeof EventMessage>;

/** Engine process supervision, as a host reports it to the renderer. */
export const EngineState = z.enum(['starting', 'ready', 'crashed', 'restarting', 'failed']);
export type EngineState = z.infer<typeof EngineState>;

export const HostEvent = z.object({
  kind: z.literal('host'),
  type: z.literal('engine-status'),
  state: EngineState,
  /** How many times the engine has been restarted since the app started. */
  restarts: z.number().int().nonnegative(),
  detail: z.string().optional(),
});
export type HostEvent = z.infer<typeof HostEvent>;

/** What the web-mode WebSocket carries: engine traffic plus host events. */
export const WireMessage = z.union([EngineMessage, HostEvent]);
export type WireMessage = z.infer<typeof WireMessage>;

/** Stable error codes carried in failed responses. */
export const ErrorCodes = {
  badMessage: 'E_PROTOCOL_BAD_MESSAGE',
  unknownMethod: 'E_PROTOCOL_UNKNOWN_METHOD',
  badParams: 'E_PROTOCOL_BAD_PARAMS',
  badResult: 'E_PROTOCOL_BAD_RESULT',
  cancelled: 'E_CANCELLED',
  disconnected: 'E_ENGINE_DISCONNECTED',
  internal: 'E_ENGINE_INTERNAL',
} as const;

/** A short, log-friendly account of why a value failed a schema. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
