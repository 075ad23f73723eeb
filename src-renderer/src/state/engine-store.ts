import { createStore } from 'zustand';
import { ErrorCodes, PROTOCOL_VERSION, RpcClient, RpcError, type EngineInfo, type EngineMethod, type EngineState, type ParamsOf, type ResultOf } from '../../../src-engine/protocol';
import { connectToHost, restartEngine, takeEngineHere, type ConnectionSink } from '../engine/connection';

/** The engine as the renderer sees it: the host's `EngineState`, before the first report (`connecting`) or after the channel closed (`disconnected`). */
export type ConnectionState = 'connecting' | EngineState | 'disconnected';

export interface EngineStore {
  state: ConnectionState;
  info: EngineInfo | undefined;
  restarts: number;
  detail: string | undefined;
  client: RpcClient | undefined;
  /** Another tab took the engine (web mode: the host drives one tab at a time): this one has none until `useHere`. */
  taken: boolean;
  /**
   * The requests that were in flight when the engine crashed (by `requestKey`), with the crash's
   * detail: `requestUnlessCrashed` does not send them again by itself.
   */
  crashedOn: ReadonlyMap<string, string>;
  /** Start connecting; returns a disposer. Called once by the app shell. */
  connect(): () => void;
  /** Ask the host to start the engine afresh (offered once it has given up after repeated crashes). */
  restart(): void;
  /** "Use it here": connect this tab again, taking the engine back from the tab that took it. */
  useHere(): void;
  /** A status from the host (what `connect` is told); a crash notes the requests it took down. */
  status: ConnectionSink['onStatus'];
  /**
   * `client.request`, for what the UI asks by itself (a preview on opening a project, after a
   * restart): a request the engine crashed on is refused at once with `E_ENGINE_CRASHED_ON_REQUEST`
   * instead of being sent again, until the user asks for it (`forgetCrash`).
   */
  requestUnlessCrashed<M extends EngineMethod>(client: RpcClient, method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  /** The user asks again: send this request next time. */
  forgetCrash(method: EngineMethod, params: unknown): void;
}

/** How a request is known across engine restarts: its method and parameters. */
export const requestKey = (method: EngineMethod, params: unknown): string => `${method}\u0000${JSON.stringify(params)}`;

/** Crashes remembered (the oldest forgotten first). */
const MAX_CRASHED_ON = 32;

const log = (message: string) => console.error(`[netwright] ${message}`);

/**
 * A window's engine connection as UI state. Components select narrow slices (`useEngine(s => s.state)`)
 * so status changes re-render the status bar, not the canvas.
 */
export const createEngineStore = () =>
  createStore<EngineStore>((set, get) => ({
    state: 'connecting',
    info: undefined,
    restarts: 0,
    detail: undefined,
    client: undefined,
    taken: false,
    crashedOn: new Map(),
    restart() {
      if (restartEngine()) set({ state: 'restarting', detail: undefined });
    },
    useHere() {
      if (takeEngineHere()) set({ state: 'connecting', detail: undefined, taken: false });
    },
    status(event) {
      // `ready` is confirmed by the hello handshake (connect), not by the host alone.
      if (event.state === 'ready') return set({ restarts: event.restarts });
      const client = get().client;
      const crashed = event.state === 'crashed' || event.state === 'failed';
      if (client && crashed) {
        const crashedOn = new Map(get().crashedOn);
        for (const r of client.unanswered()) if (r.method !== 'engine.hello' && r.method !== 'engine.ping') crashedOn.set(requestKey(r.method, r.params), event.detail ?? 'The engine crashed.');
        for (const k of [...crashedOn.keys()].slice(0, Math.max(0, crashedOn.size - MAX_CRASHED_ON))) crashedOn.delete(k);
        set({ crashedOn });
      }
      client?.dispose();
      set({ state: event.state, restarts: event.restarts, detail: event.detail, client: undefined, info: event.state === 'failed' ? undefined : get().info, taken: 'taken' in event && event.taken === true });
    },
    requestUnlessCrashed(client, method, params) {
      const detail = get().crashedOn.get(requestKey(method, params));
      if (detail !== undefined) {
        return Promise.reject(new RpcError(ErrorCodes.crashedOnRequest, `The engine stopped while working on this, so it is not asked again by itself. ${detail.replace(/\s*Restarting…$/, '')}`));
      }
      return client.request(method, params);
    },
    forgetCrash(method, params) {
      const crashedOn = new Map(get().crashedOn);
      if (crashedOn.delete(requestKey(method, params))) set({ crashedOn });
    },
    connect() {
      return connectToHost({
        log,
        onChannel(channel) {
          get().client?.dispose();
          const client = new RpcClient(channel, (level, message) => (level === 'error' ? log(message) : console.log(message)));
          set({ client });
          client
            .request('engine.hello', { client: 'netwright-renderer', protocol: PROTOCOL_VERSION })
            .then((info) => {
              if (get().client === client) set({ info, state: 'ready', detail: undefined });
            })
            .catch((err: Error) => {
              if (get().client === client) set({ state: 'failed', detail: err.message });
            });
        },
        onStatus: (event) => get().status(event),
      });
    },
  }));
