import { z } from 'zod';
import { ErrorInfo } from './schemas';

/**
 * Netwright's one message protocol: the only contract between the renderer, the hosts (Electron
 * main, the web-mode server) and the engine. Every message that crosses a process boundary is
 * checked against these schemas; a message of the wrong shape is rejected with a logged error.
 *
 * Envelopes follow VS Code's IPC: requests and responses correlated by id, one-way events, and
 * cancellation of an in-flight request.
 */
export const PROTOCOL_VERSION = 1;

// ── Envelopes ─────────────────────────────────────────────────────────────────────────────

const Id = z.number().int().nonnegative();

export const RequestMessage = z.object({ kind: z.literal('request'), id: Id, method: z.string(), params: z.unknown() });
export const ResponseMessage = z.discriminatedUnion('ok', [
  z.object({ kind: z.literal('response'), id: Id, ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('response'), id: Id, ok: z.literal(false), error: ErrorInfo }),
]);
export const EventMessage = z.object({ kind: z.literal('event'), event: z.string(), data: z.unknown() });
export const CancelMessage = z.object({ kind: z.literal('cancel'), id: Id });

/**
 * Anything that travels between the renderer and the engine. Discriminated by `kind`: a plain
 * union would try each envelope in turn and build the failed ones' issues for every message.
 */
export const EngineMessage = z.discriminatedUnion('kind', [RequestMessage, ResponseMessage, EventMessage, CancelMessage]);
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

/** Renderer → host: start a failed engine again (web mode: over the WebSocket; Electron: IPC). */
export const HostCommand = z.object({ kind: z.literal('host'), type: z.literal('restart-engine') });
export type HostCommand = z.infer<typeof HostCommand>;

/** What the web-mode WebSocket carries: engine traffic plus host events. */
export const WireMessage = z.discriminatedUnion('kind', [EngineMessage, HostEvent]);
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
  /** The host has no running engine to pass a request to (starting, restarting or failed). */
  unavailable: 'E_ENGINE_UNAVAILABLE',
  /**
   * The renderer's own: this very request was in flight when the engine crashed, so it is not sent
   * again by itself after the restart (a preview that crashes the engine would loop); the user asks.
   */
  crashedOnRequest: 'E_ENGINE_CRASHED_ON_REQUEST',
  tooDeep: 'E_PROTOCOL_TOO_DEEP',
  tooLarge: 'E_PROTOCOL_TOO_LARGE',
} as const;

/** A short, log-friendly account of why a value failed a schema. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
