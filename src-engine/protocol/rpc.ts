import type { Channel } from './channel';
import { checkValueLimits } from './limits';
import { CancelMessage, EngineMessage, ErrorCodes, describeIssues } from './envelopes';
import type { ErrorInfo } from './schemas';
import { EngineEvents, EngineMethods, type EngineEvent, type EngineMethod, type EventData, type ParamsOf, type ResultOf } from './services';
import type { ServiceSpec } from './service';
import { isAppErrorCode, messagesWithoutHostPaths, withoutHostPaths } from './redact';

export type Logger = (level: 'info' | 'warn' | 'error', message: string) => void;
export const consoleLogger: Logger = (level, message) => console[level === 'info' ? 'log' : level](`[netwright] ${message}`);

/** A failed request, carrying the stable error code from the other side. */
export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/**
 * The renderer's end: typed requests with promises, typed events. Responses and events are
 * validated against the protocol; malformed ones are logged and dropped, never thrown into the UI.
 */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { method: EngineMethod; params: unknown; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** The requests still unanswered when the channel closed (the engine went away with them). */
  private lost: { method: EngineMethod; params: unknown }[] = [];
  private readonly listeners = new Map<string, Set<(data: never) => void>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly channel: Channel,
    private readonly log: Logger = consoleLogger,
  ) {
    this.unsubscribe = channel.onMessage((m) => this.receive(m));
    channel.onClose?.(() => {
      this.lost = [...this.pending.values()].map(({ method, params }) => ({ method, params }));
      this.failAll(new RpcError(ErrorCodes.disconnected, 'The engine disconnected.'));
    });
  }

  /**
   * The requests this client has sent that were never answered: those lost when the channel closed,
   * and those still waiting. After an engine crash, what it was doing when it died.
   */
  unanswered(): { method: EngineMethod; params: unknown }[] {
    return [...this.lost, ...[...this.pending.values()].map(({ method, params }) => ({ method, params }))];
  }

  request<M extends EngineMethod>(method: M, params: ParamsOf<M>, options: { signal?: AbortSignal } = {}): Promise<ResultOf<M>> {
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) return reject(new RpcError(ErrorCodes.cancelled, `${method} was cancelled.`));
      const onAbort = () => {
        if (!this.pending.delete(id)) return;
        this.channel.send({ kind: 'cancel', id });
        reject(new RpcError(ErrorCodes.cancelled, `${method} was cancelled.`));
      };
      // A value the other side could not receive (structured clone and JSON recurse) fails here, coded.
      const tooBig = checkValueLimits(params, undefined, `The ${method} request`);
      if (tooBig) return reject(new RpcError(tooBig.code, tooBig.message));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        params,
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v as ResultOf<M>);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      this.channel.send({ kind: 'request', id, method, params });
    });
  }

  on<E extends EngineEvent>(event: E, handler: (data: EventData<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(handler as (data: never) => void);
    return () => set.delete(handler as (data: never) => void);
  }

  /** Reject everything in flight (the engine went away) and stop listening. */
  dispose(): void {
    this.unsubscribe();
    this.failAll(new RpcError(ErrorCodes.disconnected, 'The engine connection was closed.'));
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private receive(raw: unknown): void {
    const parsed = EngineMessage.safeParse(raw);
    if (!parsed.success) {
      this.log('error', `Rejected a malformed message from the engine: ${describeIssues(parsed.error)}`);
      return;
    }
    const msg = parsed.data;
    if (msg.kind === 'response') {
      const p = this.pending.get(msg.id);
      if (!p) return; // cancelled or already settled
      this.pending.delete(msg.id);
      if (!msg.ok) return p.reject(new RpcError(msg.error.code, msg.error.message));
      const result = EngineMethods[p.method].result.safeParse(msg.result);
      if (!result.success) {
        const text = `The engine's answer to ${p.method} has the wrong shape: ${describeIssues(result.error)}`;
        this.log('error', text);
        return p.reject(new RpcError(ErrorCodes.badResult, text));
      }
      p.resolve(result.data);
    } else if (msg.kind === 'event') {
      const schema = (EngineEvents as Record<string, (typeof EngineEvents)[EngineEvent]>)[msg.event];
      if (!schema) return this.log('error', `Rejected an unknown event from the engine: ${msg.event}`);
      const data = schema.safeParse(msg.data);
      if (!data.success) return this.log('error', `Rejected event ${msg.event}: ${describeIssues(data.error)}`);
      for (const h of this.listeners.get(msg.event) ?? []) h(data.data as never);
    } else {
      this.log('error', `Rejected a ${msg.kind} message sent to the client side.`);
    }
  }
}

export type Handler<M extends EngineMethod> = (params: ParamsOf<M>, ctx: { signal: AbortSignal }) => ResultOf<M> | Promise<ResultOf<M>>;
/** Handlers of some methods: what an `RpcServer` serves (a test's fake engine answers a few; a missing one answers `E_PROTOCOL_UNKNOWN_METHOD`). */
export type Handlers = { [M in EngineMethod]?: Handler<M> };
/**
 * Handlers of every method service `S` declares (protocol/services): the engine's handler group
 * for a service has this type, so a declared method left without a handler does not compile.
 */
export type ServiceHandlers<S extends ServiceSpec> = { [M in keyof S['methods'] & EngineMethod]-?: Handler<M> };

/**
 * The engine's end: validates each request's params, runs the handler, answers with a result or
 * a coded error. A malformed message is logged and, when it carries an id, answered with an error.
 */
export class RpcServer {
  private readonly inflight = new Map<number, AbortController>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly channel: Channel,
    private readonly handlers: Handlers,
    private readonly log: Logger = consoleLogger,
  ) {
    this.unsubscribe = channel.onMessage((m) => void this.receive(m));
  }

  emit<E extends EngineEvent>(event: E, data: EventData<E>): void {
    // An event's `message` (train.error, train.diverged, a sweep run's `failed.message`, …) is
    // text for the user, as an error answer's is.
    this.channel.send({ kind: 'event', event, data: messagesWithoutHostPaths(data) });
  }

  dispose(): void {
    this.unsubscribe();
    for (const c of this.inflight.values()) c.abort();
    this.inflight.clear();
  }

  private fail(id: number, error: ErrorInfo): void {
    this.channel.send({ kind: 'response', id, ok: false, error });
  }

  private async receive(raw: unknown): Promise<void> {
    const usableId = () => {
      const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
      return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : undefined;
    };
    const tooBig = checkValueLimits(raw);
    if (tooBig) {
      this.log('error', `Rejected a message: ${tooBig.message}`);
      const id = usableId();
      if (id !== undefined) this.fail(id, tooBig);
      return;
    }
    const parsed = EngineMessage.safeParse(raw);
    if (!parsed.success) {
      const text = `Rejected a malformed message: ${describeIssues(parsed.error)}`;
      this.log('error', text);
      const id = usableId();
      if (id !== undefined) this.fail(id, { code: ErrorCodes.badMessage, message: text });
      return;
    }
    const msg = parsed.data;
    if (msg.kind === 'cancel') {
      this.inflight.get(CancelMessage.parse(msg).id)?.abort();
      return;
    }
    if (msg.kind !== 'request') {
      this.log('error', `Rejected a ${msg.kind} message sent to the engine.`);
      return;
    }
    const spec = Object.hasOwn(EngineMethods, msg.method) ? EngineMethods[msg.method as EngineMethod] : undefined;
    const handler = Object.hasOwn(this.handlers, msg.method) ? (this.handlers[msg.method as EngineMethod] as Handler<EngineMethod> | undefined) : undefined;
    if (!spec || !handler) {
      this.log('error', `Rejected a request for unknown method ${JSON.stringify(msg.method).slice(0, 80)}.`);
      return this.fail(msg.id, { code: ErrorCodes.unknownMethod, message: `Unknown method: ${msg.method}` });
    }
    const params = spec.params.safeParse(msg.params);
    if (!params.success) {
      const text = `Bad parameters for ${msg.method}: ${describeIssues(params.error)}`;
      this.log('error', text);
      return this.fail(msg.id, { code: ErrorCodes.badParams, message: text });
    }
    const controller = new AbortController();
    this.inflight.set(msg.id, controller);
    try {
      const result = await handler(params.data as never, { signal: controller.signal });
      if (controller.signal.aborted) return this.fail(msg.id, { code: ErrorCodes.cancelled, message: `${msg.method} was cancelled.` });
      try {
        this.channel.send({ kind: 'response', id: msg.id, ok: true, result });
      } catch (err) {
        // A result the channel cannot carry (it cannot be cloned or serialised) is a failure, not a hang.
        this.log('error', `${msg.method}: the result could not be sent: ${err instanceof Error ? err.message : String(err)}`);
        this.fail(msg.id, { code: ErrorCodes.badResult, message: `The engine could not send its answer to ${msg.method}.` });
      }
    } catch (err) {
      // A system error (ENOENT, EACCES, …) that escaped a handler is a bug: answered as internal.
      const own = (err as { code?: unknown } | null)?.code;
      const code = isAppErrorCode(own) ? own : ErrorCodes.internal;
      const message = err instanceof Error ? err.message : String(err);
      if (code === ErrorCodes.internal) this.log('error', `${msg.method} failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
      this.fail(msg.id, { code, message: withoutHostPaths(message) });
    } finally {
      this.inflight.delete(msg.id);
    }
  }
}
