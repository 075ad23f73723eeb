/**
 * A bidirectional message pipe between two parties. Implementations: MessagePort (Electron),
 * WebSocket (web mode), Node IPC (engine child), and the in-memory pair below (tests).
 * A channel moves values; it does not trust them — the RPC layer validates what arrives.
 */
export interface Channel {
  send(message: unknown): void;
  /** Subscribe to incoming messages; returns an unsubscribe function. */
  onMessage(handler: (message: unknown) => void): () => void;
  /** Notified once when the other side goes away. */
  onClose?(handler: () => void): () => void;
  close(): void;
}

/** Two connected in-memory channels; delivery is asynchronous and structured-cloned, like a real port. */
export function createMemoryChannelPair(): [Channel, Channel] {
  const make = () => ({ handlers: new Set<(m: unknown) => void>(), closeHandlers: new Set<() => void>(), closed: false });
  const a = make();
  const b = make();
  const end = (self: ReturnType<typeof make>, peer: ReturnType<typeof make>): Channel => ({
    send(message) {
      if (self.closed || peer.closed) return;
      const copy = structuredClone(message);
      queueMicrotask(() => {
        if (!peer.closed) for (const h of peer.handlers) h(copy);
      });
    },
    onMessage(handler) {
      self.handlers.add(handler);
      return () => self.handlers.delete(handler);
    },
    onClose(handler) {
      self.closeHandlers.add(handler);
      return () => self.closeHandlers.delete(handler);
    },
    close() {
      if (self.closed) return;
      self.closed = true;
      for (const side of [self, peer]) {
        side.closed = true;
        for (const h of side.closeHandlers) h();
        side.closeHandlers.clear();
      }
    },
  });
  return [end(a, b), end(b, a)];
}
