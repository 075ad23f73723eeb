/**
 * The GPU wire's connection, shared by the client (gpu-client.ts, which opens it) and the proxies
 * it hands the engine (gpu-remote.ts, which record their calls on it): the op queue, request and
 * object ids, replies and loss. Its own module so neither of those two imports the other.
 */
import type { Channel } from './channel';
import type { GpuWireReply, GpuWireOp } from './gpu-wire';

type Pending = { resolve(r: GpuWireReply): void };

/** The connection: op queue, request ids, object ids, replies, loss. */
export class Wire {
  private nextId = 1;
  private ops: GpuWireOp[] = [];
  private flushQueued = false;
  private readonly pending = new Map<number, Pending>();
  private lostInfo: { reason: string; message: string } | null = null;
  private readonly lostListeners: ((info: { reason: string; message: string }) => void)[] = [];
  onUncaptured: (e: { type: string; message: string }) => void = () => {};
  /** Ids of proxies garbage-collected since the last flush. */
  private released: number[] = [];
  readonly registry = new FinalizationRegistry<number>((id) => {
    if (this.lostInfo) return;
    this.released.push(id);
    this.queueFlush();
  });

  constructor(private readonly channel: Channel) {}

  id(): number {
    return this.nextId++;
  }

  get lost(): { reason: string; message: string } | null {
    return this.lostInfo;
  }

  onLost(l: (info: { reason: string; message: string }) => void): void {
    if (this.lostInfo) l(this.lostInfo);
    else this.lostListeners.push(l);
  }

  send(op: GpuWireOp): void {
    if (this.lostInfo) return;
    this.ops.push(op);
    this.queueFlush();
  }

  /** Send an op that the server answers; resolves with the answer (or the loss's stand-in). */
  request(make: (req: number) => GpuWireOp): Promise<GpuWireReply> {
    const req = this.id();
    return new Promise((resolve) => {
      if (this.lostInfo) return resolve(this.lostReply(req));
      this.pending.set(req, { resolve });
      this.send(make(req));
    });
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  flush(): void {
    this.flushQueued = false;
    if (this.released.length) {
      this.ops.push({ op: 'release', ids: this.released });
      this.released = [];
    }
    if (this.ops.length === 0 || this.lostInfo) return;
    const ops = this.ops;
    this.ops = [];
    this.channel.send({ t: 'ops', ops });
  }

  /** What a request gets once the device is gone. */
  private lostReply(req: number): GpuWireReply {
    return { t: 'mapFailed', req, name: 'AbortError', message: 'The GPU device was lost.' };
  }

  receive(r: GpuWireReply): void {
    switch (r.t) {
      case 'mapped':
      case 'mapFailed':
      case 'scope':
      case 'workDone': {
        const p = this.pending.get(r.req);
        this.pending.delete(r.req);
        p?.resolve(r);
        return;
      }
      case 'uncaptured':
        this.onUncaptured(r.error);
        return;
      case 'lost':
        this.markLost({ reason: r.reason, message: r.message });
        return;
      default:
        return; // ready/unavailable belong to the handshake
    }
  }

  markLost(info: { reason: string; message: string }): void {
    if (this.lostInfo) return;
    this.lostInfo = info;
    this.ops = [];
    for (const [req, p] of this.pending) p.resolve(this.lostReply(req));
    this.pending.clear();
    for (const l of this.lostListeners.splice(0)) l(info);
  }
}

