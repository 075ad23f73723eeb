import {
  EngineMessage,
  ErrorCodes,
  HostEvent,
  WireError,
  WireMessage,
  WireReassembler,
  encodeWireFrames,
  describeIssues,
  type Channel,
} from '../../../src-engine/protocol';
import { ENGINE_PORT_MESSAGE, type PreloadBridge } from '../../../src-contracts/host';
import { portChannel } from './port-channel';

/** Callbacks a host connection drives: a new engine channel, or a supervision event. */
export interface ConnectionSink {
  /** A fresh channel to a (re)started engine; the previous one is closed. */
  onChannel(channel: Channel): void;
  /** `taken`: another tab of the same host connected and took the engine (web mode); `takeEngineHere` takes it back. */
  onStatus(event: HostEvent | { kind: 'host'; type: 'engine-status'; state: 'disconnected'; restarts: number; detail: string; taken?: true }): void;
  log(message: string): void;
}

declare global {
  interface Window {
    netwright?: PreloadBridge;
  }
}

/** How to ask the current host to start the engine afresh (set by whichever host is connected). */
let restartCommand: (() => void) | undefined;

/** How to connect again after another tab took the engine (web mode), which takes it back from that tab. */
let takeBackCommand: (() => void) | undefined;

/** Connect this tab to the engine again, taking it from the tab that took it; false when the engine was not taken. */
export function takeEngineHere(): boolean {
  const take = takeBackCommand;
  if (!take) return false;
  takeBackCommand = undefined;
  take();
  return true;
}

/** Ask the host to restart the engine (after it gave up on a crash loop); false when no host is connected. */
export function restartEngine(): boolean {
  if (!restartCommand) return false;
  restartCommand();
  return true;
}

/** Connect through the Electron preload bridge. */
function connectElectron(bridge: PreloadBridge, sink: ConnectionSink): () => void {
  restartCommand = () => bridge.restartEngine();
  let current: Channel | undefined;
  const onWindowMessage = (e: MessageEvent) => {
    if (e.source !== window || (e.data as { type?: unknown })?.type !== ENGINE_PORT_MESSAGE || !e.ports[0]) return;
    current?.close();
    current = portChannel(e.ports[0]);
    sink.onChannel(current);
  };
  window.addEventListener('message', onWindowMessage);
  const off = bridge.onEngineStatus((raw) => {
    const event = HostEvent.safeParse(raw);
    if (!event.success) return sink.log(`Rejected a malformed status from the host: ${describeIssues(event.error)}`);
    sink.onStatus(event.data);
  });
  bridge.requestEngine();
  return () => {
    window.removeEventListener('message', onWindowMessage);
    off();
    current?.close();
  };
}

/**
 * Connect to the web-mode host over a WebSocket. Each engine incarnation (each `ready`) gets a
 * fresh logical channel, so requests to a crashed engine fail instead of hanging.
 */
function connectWeb(token: string, sink: ConnectionSink): () => void {
  let ws: WebSocket | undefined;
  let stream = 0;
  let disposed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let logical: { handlers: Set<(m: unknown) => void>; closeHandlers: Set<() => void>; closed: boolean } | undefined;
  let restarts = 0;

  const closeLogical = () => {
    if (!logical || logical.closed) return;
    logical.closed = true;
    logical.closeHandlers.forEach((h) => h());
  };
  const openLogical = (socket: WebSocket) => {
    closeLogical();
    const l = { handlers: new Set<(m: unknown) => void>(), closeHandlers: new Set<() => void>(), closed: false };
    logical = l;
    sink.onChannel({
      send: (m) => {
        // A message larger than a frame (an ONNX file to import) goes as chunks (protocol/wire.ts).
        if (!l.closed && socket.readyState === WebSocket.OPEN) for (const frame of encodeWireFrames(m, ++stream)) socket.send(frame);
      },
      onMessage: (h) => (l.handlers.add(h), () => l.handlers.delete(h)),
      onClose: (h) => (l.closeHandlers.add(h), () => l.closeHandlers.delete(h)),
      close: closeLogical,
    });
  };

  const open = () => {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${proto}://${location.host}/engine?token=${encodeURIComponent(token)}`);
    ws = socket;
    restartCommand = () => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ kind: 'host', type: 'restart-engine' }));
    };
    // Binary frames (probe frames with typed arrays, protocol/wire.ts) arrive as ArrayBuffers.
    socket.binaryType = 'arraybuffer';
    // A large answer (a large model's export) arrives as chunks (protocol/wire.ts).
    const reassembler = new WireReassembler();
    socket.onmessage = (e) => {
      let raw: unknown;
      try {
        raw = reassembler.push(e.data instanceof ArrayBuffer ? e.data : String(e.data));
      } catch (err) {
        sink.log(err instanceof WireError ? `Rejected a binary message from the host: ${err.message}` : 'Rejected a WebSocket message that is not JSON.');
        const refused = refusedAnswer(err);
        if (refused && logical && !logical.closed) logical.handlers.forEach((h) => h(refused));
        return;
      }
      if (raw === undefined) return;
      const msg = WireMessage.safeParse(raw);
      if (!msg.success) return sink.log(`Rejected a malformed message from the host: ${describeIssues(msg.error)}`);
      if (msg.data.kind === 'host') {
        restarts = msg.data.restarts;
        if (msg.data.state === 'ready') openLogical(socket);
        else closeLogical();
        sink.onStatus(msg.data);
        return;
      }
      const engineMsg = EngineMessage.parse(msg.data);
      if (logical && !logical.closed) logical.handlers.forEach((h) => h(engineMsg));
    };
    socket.onclose = (e) => {
      closeLogical();
      if (disposed) return;
      // 4001: another tab took the engine (the host drives one tab at a time). Not retried by itself, which would take it
      // back from the tab the user is in; "Use it here" (takeEngineHere) does, when the user asks.
      if (e.code === 4001) {
        takeBackCommand = open;
        sink.onStatus({ kind: 'host', type: 'engine-status', state: 'disconnected', restarts, detail: e.reason || 'Netwright was opened in another tab.', taken: true });
        return;
      }
      sink.onStatus({ kind: 'host', type: 'engine-status', state: 'disconnected', restarts, detail: 'Lost the connection to the Netwright host. Reconnecting…' });
      retry = setTimeout(open, 1000);
    };
  };
  open();
  return () => {
    disposed = true;
    if (retry) clearTimeout(retry);
    closeLogical();
    ws?.close();
  };
}

/**
 * What a refused answer becomes on the page: an error response to the request it answered, with
 * the refusal's code, so that request fails instead of waiting forever (issue #82: an export
 * refused for its size left Export disabled until a reload); undefined when no request is known.
 */
export function refusedAnswer(err: unknown): EngineMessage | undefined {
  if (!(err instanceof WireError) || err.responseId === undefined) return undefined;
  const error = { code: err.tooLarge ? ErrorCodes.tooLarge : ErrorCodes.badMessage, message: `The answer could not be received: ${err.message}` };
  return EngineMessage.parse({ kind: 'response', id: err.responseId, ok: false, error });
}

/** Connect to the engine through whichever host serves this page. */
export function connectToHost(sink: ConnectionSink): () => void {
  if (window.netwright?.host === 'electron') return connectElectron(window.netwright, sink);
  const token = new URLSearchParams(location.search).get('token');
  if (!token) {
    sink.onStatus({ kind: 'host', type: 'engine-status', state: 'disconnected', restarts: 0, detail: 'No access token in the address. Open the address Netwright printed when it started in web mode.' });
    return () => {};
  }
  return connectWeb(token, sink);
}
