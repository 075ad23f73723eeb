/**
 * What the preload script exposes to the renderer as `window.netwright` (Electron only). The
 * renderer reaches the host through this object and nothing else. Engine traffic does not pass
 * through it: main hands the renderer a MessagePort straight to the engine, announced by a
 * `window.postMessage({ type: ENGINE_PORT_MESSAGE })` carrying the port.
 */
export interface PreloadBridge {
  readonly host: 'electron';
  /** Ask main for a (new) engine port; it arrives as a window message. */
  requestEngine(): void;
  /** Engine supervision events (unvalidated here; the renderer checks them against HostEvent). */
  onEngineStatus(listener: (event: unknown) => void): () => void;
}

export const ENGINE_PORT_MESSAGE = 'netwright:engine-port';

/** IPC channel names between preload and main (the only ones there are). */
export const IpcChannels = {
  engineConnect: 'netwright:engine-connect',
  enginePort: 'netwright:engine-port',
  engineStatus: 'netwright:engine-status',
} as const;
