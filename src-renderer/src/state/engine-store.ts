import { create } from 'zustand';
import { PROTOCOL_VERSION, RpcClient, type EngineInfo, type EngineState } from '../../../src-engine/protocol';
import { connectToHost, restartEngine } from '../engine/connection';

/** The engine as the renderer sees it: the host's `EngineState`, before the first report (`connecting`) or after the channel closed (`disconnected`). */
export type ConnectionState = 'connecting' | EngineState | 'disconnected';

export interface EngineStore {
  state: ConnectionState;
  info: EngineInfo | undefined;
  restarts: number;
  detail: string | undefined;
  client: RpcClient | undefined;
  /** Start connecting; returns a disposer. Called once by the app shell. */
  connect(): () => void;
  /** Ask the host to start the engine afresh (offered once it has given up after repeated crashes). */
  restart(): void;
}

const log = (message: string) => console.error(`[netwright] ${message}`);

/**
 * The engine connection as UI state. Components select narrow slices (`useEngine(s => s.state)`)
 * so status changes re-render the status bar, not the canvas.
 */
export const useEngine = create<EngineStore>((set, get) => ({
  state: 'connecting',
  info: undefined,
  restarts: 0,
  detail: undefined,
  client: undefined,
  restart() {
    if (restartEngine()) set({ state: 'restarting', detail: undefined });
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
      onStatus(event) {
        // `ready` is confirmed by the hello handshake above, not by the host alone.
        if (event.state === 'ready') return set({ restarts: event.restarts });
        get().client?.dispose();
        set({ state: event.state, restarts: event.restarts, detail: event.detail, client: undefined, info: event.state === 'failed' ? undefined : get().info });
      },
    });
  },
}));
